// One pause shared by every provider call in the process, so a 429 storm slows the whole batch down
// instead of letting each item multiply its own retries.

export interface ThrottleOptions {
  /** Pause after a first 429 that gave no Retry-After. */
  initialPenaltyMs?: number;
  /** Ceiling for any pause, Retry-After included. */
  maxPauseMs?: number;
}

export class SharedThrottle {
  private pausedUntil = 0;
  private penaltyMs = 0;
  private readonly initialPenaltyMs: number;
  private readonly maxPauseMs: number;

  constructor(options: ThrottleOptions = {}) {
    this.initialPenaltyMs = options.initialPenaltyMs ?? 1_000;
    this.maxPauseMs = options.maxPauseMs ?? 60_000;
  }

  /** Resolves once no pause is in force; a pause set while waiting extends the wait. */
  async ready(signal?: AbortSignal): Promise<void> {
    for (let wait = this.remainingMs(); wait > 0; wait = this.remainingMs()) {
      await sleep(wait, signal);
    }
    signal?.throwIfAborted();
  }

  /** Milliseconds until calls may go out again. */
  remainingMs(): number {
    return Math.max(0, this.pausedUntil - Date.now());
  }

  /** Pauses everyone: for the provider's Retry-After when given, else for a penalty that doubles on each 429. */
  rateLimited(retryAfterMs?: number): number {
    const pause = retryAfterMs !== undefined ? retryAfterMs : this.growPenalty();
    const bounded = Math.min(Math.max(0, pause), this.maxPauseMs);
    this.pausedUntil = Math.max(this.pausedUntil, Date.now() + bounded);
    return bounded;
  }

  /** A success halves the adaptive penalty, so the pace recovers once the provider does. */
  succeeded(): void {
    this.penaltyMs = this.penaltyMs / 2 < this.initialPenaltyMs ? 0 : this.penaltyMs / 2;
  }

  private growPenalty(): number {
    this.penaltyMs = this.penaltyMs === 0 ? this.initialPenaltyMs : Math.min(this.penaltyMs * 2, this.maxPauseMs);
    return this.penaltyMs;
  }
}

/** A ref'd sleep: waiting for a provider must keep the process alive. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
