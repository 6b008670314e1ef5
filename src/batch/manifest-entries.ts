// Streams a manifest as raw entries, one per row with its line number; a row that cannot be parsed is an entry too.
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import { parse, type CsvError } from "csv-parse";
import { manifestError, type ManifestSource } from "./manifest-source.js";

/** A row as read; `problem` when it could not be read into fields (`id` then, if it could still be made out). */
export type ManifestEntry = { line: number; fields: Record<string, unknown> } | { line: number; problem: string; id?: string };

export const REQUIRED_COLUMNS = ["id", "image", "instruction"] as const;

export function readManifestEntries(source: ManifestSource): AsyncGenerator<ManifestEntry> {
  return source.format === "jsonl" ? readJsonlEntries(source.stream) : readCsvEntries(source.stream, source.label);
}

export async function* readJsonlEntries(stream: Readable): AsyncGenerator<ManifestEntry> {
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  let line = 0;
  try {
    for await (const text of lines) {
      line++;
      const trimmed = line === 1 ? text.replace(/^\uFEFF/, "").trim() : text.trim();
      if (trimmed !== "") yield parseJsonLine(trimmed, line);
    }
  } finally {
    lines.close();
    stream.destroy();
  }
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
export async function* readCsvEntries(stream: Readable, label: string): AsyncGenerator<ManifestEntry> {
  const skipped: ManifestEntry[] = [];
  const parser = stream.pipe(
    parse({
      bom: true,
      info: true,
      raw: true,
      trim: true,
      skip_empty_lines: true,
      relax_quotes: true,
      relax_column_count: true,
      record_delimiter: ["\r\n", "\n"],
      skip_records_with_error: true,
    }),
  );
  parser.on("skip", (error: CsvError, raw?: string) => skipped.push({ line: skippedLine(error, raw), problem: `invalid CSV: ${error.message}` }));
  let header: string[] | undefined;
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      const line = info.lines - newlinesIn(record);
      yield* takeSkippedBefore(skipped, line);
      if (!header) header = checkHeader(record, label);
      else yield csvEntry(header, record, line);
    }
    yield* skipped.splice(0);
    if (!header) throw manifestError(`the manifest ${label} has no header row`, `start the CSV with a header such as ${REQUIRED_COLUMNS.join(",")}`);
  } finally {
    stream.destroy();
    parser.destroy();
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

/** csv-parse reports the line a record ends on; quoted newlines move its start back. */
function newlinesIn(cells: string[]): number {
  return cells.reduce((n, cell) => n + (cell.match(/\n/g)?.length ?? 0), 0);
}

function skippedLine(error: CsvError, raw: string | undefined): number {
  const lines = typeof error.lines === "number" ? error.lines : 0;
  return Math.max(1, lines - (raw?.replace(/\r?\n$/, "").match(/\n/g)?.length ?? 0));
}

function takeSkippedBefore(skipped: ManifestEntry[], line: number): ManifestEntry[] {
  const due = skipped.filter((entry) => entry.line < line);
  if (due.length > 0) skipped.splice(0, due.length);
  return due;
}
