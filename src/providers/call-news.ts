// Lets whoever starts a model call hear where it went and how it waits (the provider "auto" resolved to, fal's
// queue position) without a listener threaded through every port and cache between them: the listener rides the
// call's async context, and the provider adapters, which learn these things, tell it.
import { AsyncLocalStorage } from "node:async_hooks";

export interface CallNews {
  /** The provider the call went to, once known ("auto" → "fal-ai", or the router's x-inference-provider). */
  provider?: string;
  /** Jobs ahead of this one in the provider's queue (0: next to run); null once it left the queue and runs. */
  queuePosition?: number | null;
}

export type CallListener = (news: CallNews) => void;

const listeners = new AsyncLocalStorage<CallListener>();

/** Runs `run` so that the calls it makes report to `listener`. */
export function withCallListener<T>(listener: CallListener, run: () => Promise<T>): Promise<T> {
  return listeners.run(listener, run);
}

/** The listener of the call being made here; a no-op when nobody listens. */
export function callListener(): CallListener {
  return listeners.getStore() ?? (() => {});
}

/**
 * What a fal queue answer (the submit or a status poll) says about waiting; undefined for any other answer.
 * fal: `{status: "IN_QUEUE", queue_position}` → `{status: "IN_PROGRESS", logs}` → `{status: "COMPLETED"}`.
 */
export function queueNewsOf(body: unknown): CallNews | undefined {
  if (typeof body !== "object" || body === null) return undefined;
  const { status, queue_position: position } = body as { status?: unknown; queue_position?: unknown };
  if (status === "IN_PROGRESS") return { queuePosition: null };
  const queued = status === "IN_QUEUE" || (status === undefined && typeof position === "number");
  return queued && typeof position === "number" && Number.isInteger(position) && position >= 0 ? { queuePosition: position } : undefined;
}
