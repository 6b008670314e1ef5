// Bounded, jittered retries for provider calls: transient failures are retried, everything a user must fix is not.
import pRetry, { AbortError } from "p-retry";
import type { Logger } from "pino";
import { ReasonEditError } from "../errors.js";
import { sleep } from "./throttle.js";

export interface RetryOptions {
  /** Retries after the first attempt; 0 means a single attempt. */
  maxRetries: number;
  logger: Logger;
  /** Named in the warn line of each retry. */
  provider: string;
  signal?: AbortSignal;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** A Retry-After longer than this is cut down to it. */
  maxRetryAfterMs?: number;
  /** For tests: a source of randomness in [0, 1). */
  random?: () => number;
}

/** Only ReasonEditErrors that say so are retried; the error decides (see ReasonEditError.retryable). */
export function isRetryable(error: unknown): boolean {
  return ReasonEditError.is(error) && error.retryable;
}

/** Equal jitter on an exponential curve: half fixed, half random, never above the cap. */
export function backoffDelayMs(retryNumber: number, options: Pick<RetryOptions, "baseDelayMs" | "maxDelayMs" | "random"> = {}): number {
  const base = options.baseDelayMs ?? 1_000;
  const cap = options.maxDelayMs ?? 30_000;
  const ceiling = Math.min(cap, base * 2 ** Math.max(0, retryNumber - 1));
  return Math.round(ceiling / 2 + (ceiling / 2) * (options.random ?? Math.random)());
}

/** The wait before retry number `retryNumber`: the backoff, or the provider's Retry-After when that is longer. */
export function retryDelayMs(error: ReasonEditError, retryNumber: number, options: RetryOptions): number {
  const backoff = backoffDelayMs(retryNumber, options);
  if (error.retryAfterMs === undefined) return backoff;
  return Math.max(backoff, Math.min(error.retryAfterMs, options.maxRetryAfterMs ?? 60_000));
}

/**
 * Runs `attempt` until it succeeds, fails for good, or the retries run out. `attempt` must throw
 * ReasonEditErrors (see error-mapping.ts); an abort of `options.signal` ends everything at once.
 */
export async function retryProviderCall<T>(attempt: (attemptNumber: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const { signal } = options;
  const guarded = async (attemptNumber: number): Promise<T> => {
    try {
      return await attempt(attemptNumber);
    } catch (error) {
      if (signal?.aborted) throw new AbortError(asError(signal.reason));
      if (!isRetryable(error)) throw new AbortError(asError(error));
      throw error;
    }
  };
  return pRetry(guarded, {
    retries: options.maxRetries,
    minTimeout: 0, // the wait happens in onFailedAttempt, where Retry-After is known
    signal,
    onFailedAttempt: async ({ error, attemptNumber, retriesLeft }) => {
      if (retriesLeft <= 0 || !ReasonEditError.is(error)) return;
      const delayMs = retryDelayMs(error, attemptNumber, options);
      options.logger.warn(
        { provider: options.provider, status: error.status, code: error.code, attempt: attemptNumber, delayMs, retryAfterMs: error.retryAfterMs },
        `retrying ${options.provider} in ${(delayMs / 1000).toFixed(1)} s after ${error.code}`,
      );
      await sleep(delayMs, signal);
    },
    shouldRetry: ({ error }) => isRetryable(error),
  });
}

function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}
