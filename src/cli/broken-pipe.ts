// A reader that leaves early (`reasonedit batch … | head -1`) ends the command as it ends a Unix tool: quietly,
// with exit 141 (128 + SIGPIPE), instead of an unhandled EPIPE stack trace and exit 1.
import { EXIT } from "../errors.js";
import type { CliIo } from "./context.js";

/**
 * Watches stdout and stderr for EPIPE. The returned signal aborts when the reader went away; writes after that
 * are dropped by the stream, so nothing is ever thrown at the process.
 */
export function watchForBrokenPipe(io: Pick<CliIo, "stdout" | "stderr">): AbortSignal {
  const closed = new AbortController();
  const onError = (error: NodeJS.ErrnoException) => {
    if (error.code !== "EPIPE" && !closed.signal.aborted) throw error;
    process.exitCode = EXIT.brokenPipe;
    if (!closed.signal.aborted) closed.abort(error);
  };
  // Kept for the life of the process: a late flush can still fail after the command returned.
  io.stdout.on("error", onError);
  if (io.stderr !== io.stdout) io.stderr.on("error", onError);
  return closed.signal;
}

/** True when `error` is (or was caused by) the failed write to a reader that went away. */
export function isBrokenPipe(error: unknown, closed: AbortSignal | undefined): boolean {
  if (closed?.aborted) return true;
  for (let cause = error, depth = 0; typeof cause === "object" && cause !== null && depth < 5; depth++) {
    if ((cause as NodeJS.ErrnoException).code === "EPIPE") return true;
    cause = (cause as { cause?: unknown }).cause;
  }
  return false;
}
