// A hard per-call time limit that also keeps Node alive while the library waits on unref'd poll timers.
import { ReasonEditError } from "../errors.js";

export interface DeadlineLabel {
  /** Who failed to answer, for the message: "fal-ai", "http://127.0.0.1:8000". */
  provider?: string;
  /** Flag that raises the limit, named in the hint. */
  flag?: string;
}

/**
 * Runs `run` with a signal that aborts after `ms` or when `outerSignal` aborts.
 *
 * The timer is deliberately ref'd: @huggingface/inference waits between fal/wavespeed polls on unref'd
 * timers, so without something holding the event loop a CLI process exits with code 0 mid-edit
 * (AbortSignal.timeout() is unref'd too). Racing the timer also bounds calls that ignore the signal.
 */
export async function withDeadline<T>(
  ms: number,
  outerSignal: AbortSignal | undefined,
  run: (signal: AbortSignal) => Promise<T>,
  label: DeadlineLabel = {},
): Promise<T> {
  outerSignal?.throwIfAborted();
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let onOuterAbort: (() => void) | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = deadlineError(ms, label);
      controller.abort(error);
      reject(error);
    }, ms);
    onOuterAbort = () => {
      controller.abort(outerSignal?.reason);
      reject(outerSignal?.reason);
    };
    outerSignal?.addEventListener("abort", onOuterAbort, { once: true });
  });
  const work = run(controller.signal);
  work.catch(() => {}); // the race below reports the outcome; a late rejection must not go unhandled
  try {
    return await Promise.race([work, limit]);
  } finally {
    clearTimeout(timer);
    if (onOuterAbort) outerSignal?.removeEventListener("abort", onOuterAbort);
  }
}

export function deadlineError(ms: number, label: DeadlineLabel = {}): ReasonEditError {
  const seconds = Math.round(ms / 100) / 10;
  const who = label.provider ?? "The provider";
  return new ReasonEditError("provider_timeout", `${who} did not answer within ${seconds} s`, {
    provider: label.provider,
    hint: `Raise the per-call limit with ${label.flag ?? "--timeout"} <seconds> if the model is just slow or queued.`,
  });
}
