// Ctrl-C and SIGTERM. edit: the first aborts in-flight model calls and ends with exit 130, the second quits at once.
// batch: the first starts nothing new, the second aborts what is in flight, the third quits at once.
// What finished stays on disk either way.
import { setMaxListeners } from "node:events";
import { ReasonEditError } from "../errors.js";
import type { CliIo } from "./context.js";

const SIGNALS = ["SIGINT", "SIGTERM"] as const;
type Signal = (typeof SIGNALS)[number];

export async function withInterrupt<T>(_io: CliIo, say: (line: string) => void, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const onSignal = (signal: Signal) => {
    if (controller.signal.aborted) return quitAtOnce(signal);
    say("interrupted: stopping model calls (Ctrl-C again to quit at once)");
    controller.abort(new ReasonEditError("interrupted", "interrupted by the user", { hint: "what finished is in the run record" }));
  };
  const dispose = listen(onSignal);
  try {
    return await run(controller.signal);
  } catch (error) {
    if (controller.signal.aborted) throw controller.signal.reason;
    throw error;
  } finally {
    dispose();
  }
}

export interface BatchInterrupts {
  /** Aborted by the first signal: no new item starts. */
  stop: AbortSignal;
  /** Aborted by the second: the items in flight are cancelled. */
  abort: AbortSignal;
  /** Both at once, without a signal (stdout's reader went away): their records say interrupted. */
  end: (reason: ReasonEditError) => void;
  dispose: () => void;
}

export function listenForBatchInterrupts(say: (line: string) => void): BatchInterrupts {
  const stop = new AbortController();
  const abort = new AbortController();
  // Every in-flight model call listens on `abort`; dozens at -j 32 are expected, not a leak.
  setMaxListeners(0, abort.signal);
  const onSignal = (signal: Signal) => {
    if (abort.signal.aborted) return quitAtOnce(signal);
    if (stop.signal.aborted) {
      say("interrupted again: aborting the items in flight (Ctrl-C once more to quit at once)");
      abort.abort(new ReasonEditError("interrupted", "interrupted by the user", { hint: "run the batch again with --resume" }));
      return;
    }
    say("interrupted: no new items will start; waiting for the items in flight to finish (Ctrl-C again to abort them)");
    stop.abort();
  };
  const end = (reason: ReasonEditError) => {
    stop.abort(reason);
    abort.abort(reason);
  };
  return { stop: stop.signal, abort: abort.signal, end, dispose: listen(onSignal) };
}

function listen(onSignal: (signal: Signal) => void): () => void {
  for (const name of SIGNALS) process.on(name, onSignal);
  return () => {
    for (const name of SIGNALS) process.off(name, onSignal);
  };
}

/**
 * Ends the process by the signal itself (the shell reports 130 for Ctrl-C, 143 for SIGTERM). process.exit() would
 * wait for libuv's worker threads, and one stuck in a read (a FIFO, a hung network share or DNS lookup) never returns.
 */
function quitAtOnce(signal: Signal): void {
  process.exitCode = 130;
  process.removeAllListeners(signal);
  process.kill(process.pid, signal);
}
