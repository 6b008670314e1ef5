// Opens a manifest (a path or "-" for stdin) and tells JSONL from CSV, without reading it whole.
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { ReasonEditError } from "../errors.js";

export type ManifestFormat = "jsonl" | "csv";

export interface ManifestSource {
  format: ManifestFormat;
  /** Relative image paths resolve against this folder: the manifest's, or the working directory for stdin. */
  baseDir: string;
  /** Shown in messages. */
  label: string;
  stream: Readable;
  /** Stops reading early (e.g. after Ctrl-C), releasing the file or stdin. */
  close: () => void;
}

const FORMAT_BY_EXTENSION: Record<string, ManifestFormat> = { ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".csv": "csv" };

export async function openManifest(spec: string, options: { cwd: string; stdin: NodeJS.ReadableStream }): Promise<ManifestSource> {
  if (spec === "-") {
    const input = toReadable(options.stdin);
    const { format, stream } = await sniffFormat(input, "stdin");
    return { format, baseDir: options.cwd, label: "stdin", stream, close: () => closeBoth(stream, input) };
  }
  const file = path.resolve(options.cwd, spec);
  await assertReadableFile(file, spec);
  const byExtension = FORMAT_BY_EXTENSION[path.extname(file).toLowerCase()];
  const input = createReadStream(file);
  const opened = byExtension ? { format: byExtension, stream: input } : await sniffFormat(input, spec);
  return { ...opened, baseDir: path.dirname(file), label: spec, close: () => closeBoth(opened.stream, input) };
}

async function assertReadableFile(file: string, spec: string): Promise<void> {
  try {
    const info = await stat(file);
    if (!info.isFile()) throw new Error("not a regular file");
  } catch (error) {
    throw manifestError(`cannot read the manifest ${spec}: ${(error as Error).message}`, "check the path, or pass - to read the manifest from stdin");
  }
}

/** JSONL lines start with "{"; anything else is taken for a CSV header. The bytes read are put back in front. */
async function sniffFormat(stream: Readable, label: string): Promise<{ format: ManifestFormat; stream: Readable }> {
  const iterator = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer | string>;
  const seen: Buffer[] = [];
  let first: string | undefined;
  while (first === undefined) {
    const next = await iterator.next();
    if (next.done) break;
    const chunk = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value);
    seen.push(chunk);
    first = /[^\s\uFEFF]/u.exec(Buffer.concat(seen).toString("utf8"))?.[0];
  }
  if (first === undefined) throw manifestError(`the manifest ${label} is empty`, "write one JSON object per line, or a CSV with a header row");
  const replay = Readable.from(replayThenRest(seen, iterator), { objectMode: false });
  return { format: first === "{" ? "jsonl" : "csv", stream: replay };
}

async function* replayThenRest(seen: Buffer[], rest: AsyncIterator<Buffer | string>): AsyncGenerator<Buffer> {
  try {
    yield* seen;
    for (let next = await rest.next(); !next.done; next = await rest.next()) {
      yield Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value);
    }
  } finally {
    await rest.return?.(); // closes the file when the batch stops reading early
  }
}

function closeBoth(stream: Readable, input: Readable): void {
  stream.destroy();
  input.destroy();
}

function toReadable(stream: NodeJS.ReadableStream): Readable {
  return stream instanceof Readable ? stream : Readable.from(stream);
}

export function manifestError(message: string, hint: string): ReasonEditError {
  return new ReasonEditError("manifest", message, { hint });
}
