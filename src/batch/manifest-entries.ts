// Streams a manifest as raw entries, one per row with its line number; a row that cannot be parsed is an entry too.
import type { Readable } from "node:stream";
import { parse, CsvError } from "csv-parse/sync";
import { manifestError, type ManifestSource } from "./manifest-source.js";
import { MAX_ROW_BYTES, splitRows, type RawRow } from "./manifest-rows.js";

/** A row as read; `problem` when it could not be read into fields (`id` then, if it could still be made out). */
export type ManifestEntry = { line: number; fields: Record<string, unknown> } | { line: number; problem: string; id?: string };

export const REQUIRED_COLUMNS = ["id", "image", "instruction"] as const;

export interface ReadOptions {
  maxRowBytes?: number;
}

export function readManifestEntries(source: ManifestSource, options: ReadOptions = {}): AsyncGenerator<ManifestEntry> {
  return source.format === "jsonl" ? readJsonlEntries(source.stream, options) : readCsvEntries(source.stream, source.label, options);
}

export async function* readJsonlEntries(stream: Readable, options: ReadOptions = {}): AsyncGenerator<ManifestEntry> {
  try {
    for await (const row of splitRows(stream, { csv: false, ...options })) {
      if ("tooLong" in row) yield tooLongEntry(row, options);
      else if (row.text.trim() !== "") yield parseJsonLine(row.text.trim(), row.line);
    }
  } finally {
    stream.destroy();
  }
}

function tooLongEntry(row: RawRow, options: ReadOptions): ManifestEntry {
  const limit = options.maxRowBytes ?? MAX_ROW_BYTES;
  return { line: row.line, problem: `the row is longer than the ${Math.round(limit / 1024)} KiB limit of a manifest row; it was skipped unread` };
}

function parseJsonLine(text: string, line: number): ManifestEntry {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { line, problem: `invalid JSON: ${(error as Error).message}` };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return { line, problem: "expected a JSON object" };
  return { line, fields: value as Record<string, unknown> };
}

/** CSV with a header row. Empty cells count as absent, so optional columns may be left blank. */
export async function* readCsvEntries(stream: Readable, label: string, options: ReadOptions = {}): AsyncGenerator<ManifestEntry> {
  let header: string[] | undefined;
  try {
    for await (const row of splitRows(stream, { csv: true, ...options })) {
      if ("tooLong" in row) {
        if (!header) throw manifestError(`the CSV header of ${label} is longer than the ${Math.round((options.maxRowBytes ?? MAX_ROW_BYTES) / 1024)} KiB row limit`, "start the CSV with a header such as id,image,instruction");
        yield tooLongEntry(row, options);
        continue;
      }
      const cells = parseRecord(row);
      if (cells === undefined) continue; // a blank line
      if ("problem" in cells) yield cells;
      else if (!header) header = checkHeader(cells.record, label);
      else yield csvEntry(header, cells.record, row.line);
    }
    if (!header) throw manifestError(`the manifest ${label} has no header row`, `start the CSV with a header such as ${REQUIRED_COLUMNS.join(",")}`);
  } finally {
    stream.destroy();
  }
}

/** One record's cells, parsed by csv-parse on its own (the splitter found where it ends). */
function parseRecord(row: { line: number; text: string }): { record: string[] } | { line: number; problem: string } | undefined {
  try {
    const records = parse(row.text, { trim: true, relax_quotes: true, relax_column_count: true, skip_empty_lines: true }) as string[][];
    if (records.length === 0) return undefined;
    if (records.length > 1) return { line: row.line, problem: "invalid CSV: a quoted field whose quotes do not pair up" };
    return { record: records[0]! };
  } catch (error) {
    const message = error instanceof CsvError || error instanceof Error ? error.message : String(error);
    return { line: row.line, problem: `invalid CSV: ${message.replace(/ at line \d+/g, "")}` };
  }
}

function checkHeader(names: string[], label: string): string[] {
  const missing = REQUIRED_COLUMNS.filter((column) => !names.includes(column));
  if (missing.length > 0) {
    throw manifestError(`the CSV header of ${label} lacks ${missing.join(", ")} (found: ${names.join(", ")})`, `the first line must name the columns, e.g. ${REQUIRED_COLUMNS.join(",")},rounds,seed,output`);
  }
  return names;
}

function csvEntry(header: string[], cells: string[], line: number): ManifestEntry {
  if (cells.length !== header.length) {
    const id = cells[header.indexOf("id")];
    return { line, problem: `invalid CSV: ${cells.length} fields where the header has ${header.length}`, ...(id ? { id } : {}) };
  }
  const fields: Record<string, unknown> = {};
  header.forEach((name, k) => {
    if (cells[k] !== "") fields[name] = cells[k];
  });
  return { line, fields };
}
