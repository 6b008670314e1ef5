import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { SharedThrottle } from "../../src/providers/throttle.js";

beforeEach(() => void vi.useFakeTimers());
afterEach(() => void vi.useRealTimers());

function track(promise: Promise<void>) {
  const state = { done: false };
  void promise.then(() => (state.done = true));
  return state;
}

describe("SharedThrottle", () => {
  it("lets calls through at once when nothing was rate-limited", async () => {
    const throttle = new SharedThrottle();
    const ready = track(throttle.ready());
    await vi.advanceTimersByTimeAsync(0);
    expect(ready.done).toBe(true);
  });

  it("holds every caller until the Retry-After has passed", async () => {
    const throttle = new SharedThrottle();
    throttle.rateLimited(3_000);
    const first = track(throttle.ready());
    const second = track(throttle.ready());

    await vi.advanceTimersByTimeAsync(2_999);
    expect([first.done, second.done]).toEqual([false, false]);
    await vi.advanceTimersByTimeAsync(1);
    expect([first.done, second.done]).toEqual([true, true]);
  });

  it("extends the wait of callers already waiting when another 429 arrives", async () => {
    const throttle = new SharedThrottle();
    throttle.rateLimited(1_000);
    const waiting = track(throttle.ready());
    await vi.advanceTimersByTimeAsync(500);
    throttle.rateLimited(2_000);

    await vi.advanceTimersByTimeAsync(1_000);
    expect(waiting.done).toBe(false);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(waiting.done).toBe(true);
  });

  it("doubles its own pause on repeated 429s without Retry-After and relaxes after successes", () => {
    const throttle = new SharedThrottle({ initialPenaltyMs: 1_000, maxPauseMs: 5_000 });
    expect([throttle.rateLimited(), throttle.rateLimited(), throttle.rateLimited(), throttle.rateLimited()]).toEqual([1_000, 2_000, 4_000, 5_000]);
    throttle.succeeded();
    expect(throttle.rateLimited()).toBe(5_000); // halved to 2.5 s, doubled back, capped
    throttle.succeeded();
    throttle.succeeded();
    throttle.succeeded();
    throttle.succeeded();
    expect(throttle.rateLimited()).toBe(1_000);
  });

  it("caps a huge Retry-After", () => {
    expect(new SharedThrottle({ maxPauseMs: 60_000 }).rateLimited(3_600_000)).toBe(60_000);
  });

  it("gives up waiting when the caller aborts", async () => {
    const throttle = new SharedThrottle();
    throttle.rateLimited(10_000);
    const controller = new AbortController();
    const waiting = throttle.ready(controller.signal).catch((error: unknown) => error);
    controller.abort();
    expect(((await waiting) as Error).name).toBe("AbortError");
  });
});
