// Drives vitest's fake timers while real sockets talk to the fake server: the backoff, throttle, deadline
// and fal poll timers are fake, the loopback I/O is real, so each step lets real I/O run before moving the clock.
import { vi } from "vitest";

/** Fakes only what the code under test waits on; setImmediate and performance stay real for I/O turns. */
export function useFakeClock(): void {
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "Date"] });
}

/** Lets real I/O progress for about `ms` of wall time without touching the fake clock. */
export async function realTurns(ms = 5): Promise<void> {
  const end = performance.now() + ms;
  while (performance.now() < end) await new Promise((resolve) => setImmediate(resolve));
}

/** Waits (in real time, up to `limitMs`) until `condition` holds. */
export async function waitFor(condition: () => boolean, limitMs = 5_000): Promise<void> {
  const end = performance.now() + limitMs;
  while (!condition()) {
    if (performance.now() > end) throw new Error("waitFor: condition still false");
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** Advances the fake clock by `ms` in small steps, letting real I/O run between them. */
export async function advance(ms: number, stepMs = 100): Promise<void> {
  for (let left = ms; left > 0; left -= stepMs) {
    await realTurns();
    await vi.advanceTimersByTimeAsync(Math.min(stepMs, left));
  }
  await realTurns();
}

/** Moves the fake clock until `promise` settles (or `maxMs` of fake time passed), then returns its outcome. */
export async function settle<T>(promise: Promise<T>, maxMs = 600_000, stepMs = 100): Promise<T> {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  for (let elapsed = 0; !settled && elapsed < maxMs; elapsed += stepMs) {
    await realTurns();
    if (!settled) await vi.advanceTimersByTimeAsync(stepMs);
  }
  return promise;
}
