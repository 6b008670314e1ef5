// Reads the encoded bytes of an input spec — a file path, an http(s) URL or "-" for stdin — before any decoding.
import { constants, type Stats } from "node:fs";
import { open, stat, type FileHandle } from "node:fs/promises";
import path from "node:path";
import { ReasonEditError } from "../errors.js";
import { hasUserinfo, withoutUserinfo } from "../redact.js";

/** Files may be larger than downloads (a 100-megapixel PNG), but never unbounded: /dev/zero is not an image. */
export const DEFAULT_MAX_FILE_BYTES = 256 * 1024 * 1024;
const READ_CHUNK_BYTES = 1024 * 1024;

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
  /** Caps files (default DEFAULT_MAX_FILE_BYTES). */
  maxFileBytes?: number;
  /** Bounds a download, and a file read too (a file on a hung network share must not block a batch forever). */
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
  return readFileSource(spec, options);
}

/**
 * Only a regular file is read: a FIFO nobody writes to would block forever (and pin a libuv thread, so that even
 * exiting hangs), a device such as /dev/zero never ends. The size is checked before reading, the read is capped
 * and bounded in time.
 */
async function readFileSource(spec: string, options: ReadSourceOptions): Promise<SourceBytes> {
  const resolved = path.resolve(spec);
  const maxBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  const info = await stat(resolved).catch((error: unknown) => {
    throw fileReadError(spec, error);
  });
  assertReadableFile(spec, info, maxBytes);
  const scope = timeLimit(options.downloadTimeoutMs, options.signal);
  try {
    const bytes = await untilAborted(readCappedFile(spec, resolved, maxBytes, scope.signal), scope.signal);
    return { kind: "file", label: spec, path: resolved, bytes };
  } catch (error) {
    if (options.signal?.aborted) throw options.signal.reason ?? error;
    if (scope.timedOut()) throw slowRead(spec, options.downloadTimeoutMs);
    throw ReasonEditError.is(error) ? error : fileReadError(spec, error);
  } finally {
    scope.dispose();
  }
}

/**
 * A signal that aborts after `ms` or with `outer`. Disposed as soon as the read ends: a batch reads thousands of
 * inputs, and neither a pending 30 s timer nor a listener on the batch-wide signal may outlive its read.
 */
function timeLimit(ms: number, outer: AbortSignal | undefined): { signal: AbortSignal; timedOut: () => boolean; dispose: () => void } {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new Error(`timed out after ${ms / 1000} s`));
  }, ms);
  timer.unref();
  const onOuterAbort = () => controller.abort(outer?.reason);
  if (outer?.aborted) onOuterAbort();
  else outer?.addEventListener("abort", onOuterAbort, { once: true });
  return {
    signal: controller.signal,
    timedOut: () => timedOut,
    dispose: () => {
      clearTimeout(timer);
      outer?.removeEventListener("abort", onOuterAbort);
    },
  };
}

function assertReadableFile(spec: string, info: Stats, maxBytes: number): void {
  if (info.isDirectory()) {
    throw new ReasonEditError("input_unreadable", `${spec} is a directory, not an image file`, {
      hint: "Give the path of one image; `reasonedit batch` edits many.",
    });
  }
  if (!info.isFile()) {
    throw new ReasonEditError("input_unreadable", `${spec} is not a regular file (${kindOf(info)}), so it is not read`, {
      hint: "Give the path of an image file; to pipe an image in, pass - and redirect stdin.",
    });
  }
  if (info.size > maxBytes) throw overByteCap(spec, maxBytes);
}

function kindOf(info: Stats): string {
  if (info.isFIFO()) return "a named pipe";
  if (info.isCharacterDevice() || info.isBlockDevice()) return "a device";
  if (info.isSocket()) return "a socket";
  return "not a file";
}

async function readCappedFile(spec: string, file: string, maxBytes: number, signal: AbortSignal): Promise<Buffer> {
  // O_NONBLOCK: should the path have been swapped for a FIFO since the stat, opening it still returns at once.
  const handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    if (!(await handle.stat()).isFile()) throw new ReasonEditError("input_unreadable", `${spec} is not a regular file, so it is not read`, { hint: "Give the path of an image file." });
    return await readChunks(handle, spec, maxBytes, signal);
  } finally {
    await handle.close();
  }
}

async function readChunks(handle: FileHandle, spec: string, maxBytes: number, signal: AbortSignal): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for (;;) {
    signal.throwIfAborted();
    const { bytesRead, buffer } = await handle.read(Buffer.allocUnsafe(READ_CHUNK_BYTES), 0, READ_CHUNK_BYTES, null);
    if (bytesRead === 0) return Buffer.concat(chunks, total);
    total += bytesRead;
    if (total > maxBytes) throw overByteCap(spec, maxBytes); // the file grew after the size check
    chunks.push(buffer.subarray(0, bytesRead));
  }
}

/** Settles when `work` does, or as soon as `signal` aborts (the work itself may go on, unobserved). */
function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  work.catch(() => undefined);
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

function slowRead(spec: string, timeoutMs: number): ReasonEditError {
  return new ReasonEditError("input_unreadable", `reading ${spec} did not finish within ${timeoutMs / 1000} s`, {
    hint: "Copy the image to a local disk first; a file on a stalled network share cannot be read.",
  });
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
  const read = readCappedStdin(options);
  return options.signal ? untilAborted(read, options.signal) : read;
}

async function readCappedStdin(options: ReadSourceOptions): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of options.stdin ?? process.stdin) {
    options.signal?.throwIfAborted();
    const buffer = typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer);
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
  const label = withoutUserinfo(url);
  if (hasUserinfo(url)) {
    // Sent, they would also be shown and recorded wherever the URL is; refused, the password goes nowhere.
    throw new ReasonEditError("input_download", `${label} carries a user name or password (user:password@), which reasonedit does not send`, {
      hint: "Download the image yourself and pass the file, or use a URL that needs no credentials (e.g. a pre-signed one).",
    });
  }
  const scope = timeLimit(options.downloadTimeoutMs, options.signal);
  try {
    const response = await options.fetch(url, { signal: scope.signal, redirect: "follow" });
    await assertDownloadable(response, label, options.maxDownloadBytes);
    const bytes = await readCapped(response.body, label, options.maxDownloadBytes);
    const contentType = response.headers.get("content-type") ?? undefined;
    return { kind: "url", label, bytes, ...(contentType ? { contentType } : {}) };
  } catch (error) {
    // The caller's own abort (Ctrl-C) is an interruption, not a download failure.
    if (ReasonEditError.is(error) || options.signal?.aborted) throw error;
    throw downloadError(label, error, scope.timedOut() ? options.downloadTimeoutMs : undefined);
  } finally {
    scope.dispose();
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
