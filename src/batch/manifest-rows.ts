// Splits a manifest's bytes into rows (JSONL lines, or CSV records, whose quoted fields may hold newlines) with the
// line each starts on. A row longer than the cap is not kept: its bytes are skipped up to its end, so memory stays
// bounded whatever the file holds, and the row is reported so the batch can go on with the next one.
import type { Readable } from "node:stream";

/** The longest row read: generous for any instruction and image URL, small enough for many rows in flight. */
export const MAX_ROW_BYTES = 256 * 1024;

export type RawRow = { line: number; text: string } | { line: number; tooLong: true };

const NEWLINE = 0x0a;
const QUOTE = 0x22;
const COMMA = 0x2c;
const SPACE = 0x20;
const TAB = 0x09;

/** Where a CSV scanner stands in a record; for JSONL any newline ends the row. */
type CsvState = "fieldStart" | "unquoted" | "quoted" | "quoteInQuoted";

export interface SplitOptions {
  csv: boolean;
  maxRowBytes?: number;
}

export async function* splitRows(stream: Readable, options: SplitOptions): AsyncGenerator<RawRow> {
  const scanner = new RowScanner(options.csv, options.maxRowBytes ?? MAX_ROW_BYTES);
  let first = true;
  for await (const value of stream as AsyncIterable<Buffer | string>) {
    let chunk = Buffer.isBuffer(value) ? value : Buffer.from(value);
    if (first) {
      first = false;
      if (chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) chunk = chunk.subarray(3);
    }
    yield* scanner.push(chunk);
  }
  const last = scanner.end();
  if (last) yield last;
}

class RowScanner {
  private parts: Buffer[] = [];
  private size = 0;
  private tooLong = false;
  private line = 1;
  private startLine = 1;
  private state: CsvState = "fieldStart";

  constructor(
    private readonly csv: boolean,
    private readonly maxBytes: number,
  ) {}

  *push(chunk: Buffer): Generator<RawRow> {
    for (let from = 0; ; ) {
      const end = this.csv ? this.csvRowEnd(chunk, from) : chunk.indexOf(NEWLINE, from);
      if (end < 0) return this.take(chunk, from, chunk.length);
      this.take(chunk, from, end);
      this.line++;
      const row = this.end();
      if (row) yield row;
      from = end + 1;
    }
  }

  /** The row in progress, ended (at a newline, or at the end of the stream). */
  end(): RawRow | undefined {
    const row: RawRow | undefined = this.tooLong ? { line: this.startLine, tooLong: true } : this.size > 0 ? { line: this.startLine, text: decode(this.parts, this.size) } : undefined;
    this.parts = [];
    this.size = 0;
    this.tooLong = false;
    this.state = "fieldStart";
    this.startLine = this.line;
    return row;
  }

  private take(chunk: Buffer, from: number, to: number): void {
    if (this.tooLong || to <= from) return;
    this.size += to - from;
    if (this.size <= this.maxBytes) this.parts.push(chunk.subarray(from, to));
    else {
      this.tooLong = true;
      this.parts = [];
    }
  }

  /**
   * The index of the newline that ends the current CSV record, or -1. Quotes open a field only at its start (as
   * csv-parse's relax_quotes reads them); inside a quoted field "" is a quote, and a newline belongs to the field.
   */
  private csvRowEnd(chunk: Buffer, from: number): number {
    for (let k = from; k < chunk.length; k++) {
      if (this.state === "quoted") {
        const quote = chunk.indexOf(QUOTE, k);
        this.line += countNewlines(chunk, k, quote < 0 ? chunk.length : quote);
        if (quote < 0) return -1;
        k = quote;
        this.state = "quoteInQuoted";
        continue;
      }
      const byte = chunk[k]!;
      if (byte === NEWLINE) {
        this.state = "fieldStart";
        return k;
      }
      if (this.state === "quoteInQuoted") this.state = byte === QUOTE ? "quoted" : byte === COMMA ? "fieldStart" : "unquoted";
      else if (this.state === "fieldStart") this.state = byte === QUOTE ? "quoted" : byte === COMMA || byte === SPACE || byte === TAB ? "fieldStart" : "unquoted";
      else if (byte === COMMA) this.state = "fieldStart";
    }
    return -1;
  }
}

function countNewlines(chunk: Buffer, from: number, to: number): number {
  const span = chunk.subarray(from, to);
  let count = 0;
  for (let at = span.indexOf(NEWLINE); at >= 0; at = span.indexOf(NEWLINE, at + 1)) count++;
  return count;
}

function decode(parts: Buffer[], size: number): string {
  const text = Buffer.concat(parts, size).toString("utf8");
  return text.endsWith("\r") ? text.slice(0, -1) : text;
}
