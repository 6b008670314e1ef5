// Reads the encoded bytes of an input spec — a file path, an http(s) URL or "-" for stdin — before any decoding.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { ReasonEditError } from "../errors.js";

export type SourceKind = "file" | "url" | "stdin";

export interface SourceBytes {
  kind: SourceKind;
  label: string;
  path?: string;
  bytes: Buffer;
  /** The server's Content-Type, for URL inputs: it helps explain a download that is not an image. */
  contentType?: string;
}

export interface ReadSourceOptions {
  /** Caps URL downloads and stdin alike, so neither can exhaust memory. */
  maxDownloadBytes: number;
  downloadTimeoutMs: number;
  /** Defaults to process.stdin, touched only for "-" since merely reading the property sets stdin up. */
  stdin?: NodeJS.ReadableStream;
  fetch: typeof fetch;
  signal?: AbortSignal;
}

export function isUrlSpec(spec: string): boolean {
  return /^https?:\/\//i.test(spec);
}

export async function readSource(spec: string, options: ReadSourceOptions): Promise<SourceBytes> {
  if (spec === "-") return { kind: "stdin", label: "stdin", bytes: await readStdin(options) };
  if (isUrlSpec(spec)) return download(spec, options);
  return readFileSource(spec);
}

async function readFileSource(spec: string): Promise<SourceBytes> {
  const resolved = path.resolve(spec);
  try {
    return { kind: "file", label: spec, path: resolved, bytes: await readFile(resolved) };
  } catch (error) {
    throw fileReadError(spec, error);
  }
}

function fileReadError(spec: string, error: unknown): ReasonEditError {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "ENOENT" || code === "ENOTDIR") {
    return new ReasonEditError("input_missing", `no such file: ${spec}`, {
      hint: "Check the path. A URL must start with http:// or https://, and - reads the image from stdin.",
      cause: error,
    });
  }
  if (code === "EISDIR") {
    return new ReasonEditError("input_unreadable", `${spec} is a directory, not an image file`, {
      hint: "Give the path of one image; `reasonedit batch` edits many.",
      cause: error,
    });
  }
  const reason = code === "EACCES" || code === "EPERM" ? "permission denied" : errorMessage(error);
  return new ReasonEditError("input_unreadable", `cannot read ${spec}: ${reason}`, {
    hint: "Check that the file exists and that you may read it.",
    cause: error,
  });
}

async function readStdin(options: ReadSourceOptions): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of options.stdin ?? process.stdin) {
    options.signal?.throwIfAborted();
    const buffer = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
    total += buffer.length;
    if (total > options.maxDownloadBytes) throw overByteCap("stdin", options.maxDownloadBytes);
    chunks.push(buffer);
  }
  if (total === 0) {
    throw new ReasonEditError("input_missing", "stdin is empty: no image bytes were piped in", {
      hint: "Pipe an image in, e.g. `reasonedit edit - \"make it snow\" < photo.jpg`.",
    });
  }
  return Buffer.concat(chunks, total);
}

async function download(url: string, options: ReadSourceOptions): Promise<SourceBytes> {
  const label = withoutCredentials(url);
  const timeout = AbortSignal.timeout(options.downloadTimeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  try {
    const response = await options.fetch(url, { signal, redirect: "follow" });
    await assertDownloadable(response, label, options.maxDownloadBytes);
    const bytes = await readCapped(response.body, label, options.maxDownloadBytes);
    const contentType = response.headers.get("content-type") ?? undefined;
    return { kind: "url", label, bytes, ...(contentType ? { contentType } : {}) };
  } catch (error) {
    // The caller's own abort (Ctrl-C) is an interruption, not a download failure.
    if (ReasonEditError.is(error) || options.signal?.aborted) throw error;
    throw downloadError(label, error, timeout.aborted ? options.downloadTimeoutMs : undefined);
  }
}

async function assertDownloadable(response: Response, label: string, maxBytes: number): Promise<void> {
  if (!response.ok) {
    await response.body?.cancel().catch(() => undefined);
    const status = `HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ""}`;
    throw new ReasonEditError("input_download", `could not download ${label}: ${status}`, {
      status: response.status,
      hint: "Check that the URL opens in a browser, or download the image and pass the file.",
    });
  }
  const declared = Number(response.headers.get("content-length") ?? NaN);
  if (declared > maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    throw overByteCap(label, maxBytes);
  }
}

async function readCapped(body: ReadableStream<Uint8Array> | null, label: string, maxBytes: number): Promise<Buffer> {
  if (!body) return Buffer.alloc(0);
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return Buffer.concat(chunks, total);
    total += value.byteLength;
    if (total > maxBytes) {
      void reader.cancel().catch(() => undefined);
      throw overByteCap(label, maxBytes);
    }
    chunks.push(value);
  }
}

function overByteCap(label: string, maxBytes: number): ReasonEditError {
  return new ReasonEditError("input_too_large", `${label} is larger than the ${formatBytes(maxBytes)} input limit`, {
    hint: "Downscale or recompress the image first; the editor works at about 1 megapixel anyway.",
  });
}

function downloadError(label: string, error: unknown, timedOutAfterMs: number | undefined): ReasonEditError {
  const reason =
    timedOutAfterMs === undefined ? errorMessage(error) : `timed out after ${timedOutAfterMs / 1000} s`;
  return new ReasonEditError("input_download", `could not download ${label}: ${reason}`, {
    hint: "Check the URL and your connection, or download the image and pass the file.",
    cause: error,
  });
}

/** URLs end up in logs and run records, which must never hold a password. */
function withoutCredentials(url: string): string {
  try {
    const parsed = new URL(url);
    if (!parsed.username && !parsed.password) return url;
    parsed.username = "";
    parsed.password = "";
    return parsed.toString();
  } catch {
    return url;
  }
}

function errorMessage(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // undici reports "fetch failed" and keeps the useful part (ECONNREFUSED, ENOTFOUND…) in the cause.
  const cause = error.cause as { code?: string; message?: string } | undefined;
  return cause?.code ?? cause?.message ?? error.message;
}

export function formatBytes(bytes: number): string {
  const mib = bytes / (1024 * 1024);
  return mib >= 1 ? `${Number(mib.toFixed(1))} MiB` : `${Math.ceil(bytes / 1024)} KiB`;
}
