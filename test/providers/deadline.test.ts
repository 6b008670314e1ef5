import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ReasonEditError } from "../../src/errors.js";
import { withDeadline } from "../../src/providers/deadline.js";

beforeEach(() => void vi.useFakeTimers());
afterEach(() => void vi.useRealTimers());

const never = () => new Promise<never>(() => {});

describe("withDeadline", () => {
  it("returns the result and leaves no timer behind", async () => {
    await expect(withDeadline(1_000, undefined, async () => "done")).resolves.toBe("done");
    expect(vi.getTimerCount()).toBe(0);
  });

  it("fails with provider_timeout and aborts the work's signal when the time is up", async () => {
    let workSignal: AbortSignal | undefined;
    const result = withDeadline(
      30_000,
      undefined,
      (signal) => {
        workSignal = signal;
        return never();
      },
      { provider: "fal-ai" },
    ).catch((error: unknown) => error);

    await vi.advanceTimersByTimeAsync(30_000);
    const error = await result;

    expect(ReasonEditError.is(error) && error.code).toBe("provider_timeout");
    expect((error as Error).message).toBe("fal-ai did not answer within 30 s");
    expect((error as ReasonEditError).hint).toContain("--timeout");
    expect(workSignal?.aborted).toBe(true);
  });

  it("also bounds work that ignores its signal", async () => {
    const result = withDeadline(100, undefined, never).catch((error: unknown) => error);
    await vi.advanceTimersByTimeAsync(100);
    expect(ReasonEditError.is(await result)).toBe(true);
  });

  it("passes the caller's abort through as the caller's reason", async () => {
    const controller = new AbortController();
    const result = withDeadline(30_000, controller.signal, never).catch((error: unknown) => error);
    controller.abort();
    const error = await result;
    expect((error as Error).name).toBe("AbortError");
    expect(vi.getTimerCount()).toBe(0);
  });

  it("holds a ref'd timer, so Node stays alive while the library sleeps on unref'd ones", async () => {
    vi.useRealTimers();
    let timerRef: boolean | undefined;
    const spy = vi.spyOn(globalThis, "setTimeout");
    try {
      await withDeadline(5_000, undefined, async () => {
        const timer = spy.mock.results[0]?.value as NodeJS.Timeout;
        timerRef = timer.hasRef();
      });
    } finally {
      spy.mockRestore();
    }
    expect(timerRef).toBe(true);
  });
});
