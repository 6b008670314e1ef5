import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ReasonEditError } from "../../src/errors.js";
import { parseRetryAfter } from "../../src/providers/fetch-recorder.js";
import { backoffDelayMs, isRetryable, retryDelayMs, retryProviderCall } from "../../src/providers/retry.js";
import { captureLogger } from "../fakes/capture-logger.js";

describe("parseRetryAfter", () => {
  const now = Date.parse("2026-01-01T00:00:00Z");

  it("reads seconds, HTTP dates and retry-after-ms", () => {
    expect(parseRetryAfter(null, "2", now)).toBe(2_000);
    expect(parseRetryAfter(null, "0.5", now)).toBe(500);
    expect(parseRetryAfter(null, "Thu, 01 Jan 2026 00:00:07 GMT", now)).toBe(7_000);
    expect(parseRetryAfter("1500", "9", now)).toBe(1_500);
  });

  it("ignores what it cannot read and never goes negative", () => {
    expect(parseRetryAfter(null, null, now)).toBeUndefined();
    expect(parseRetryAfter(null, "soon", now)).toBeUndefined();
    expect(parseRetryAfter(null, "-3", now)).toBeUndefined();
    expect(parseRetryAfter(null, "Wed, 31 Dec 2025 23:59:00 GMT", now)).toBe(0);
  });
});

describe("backoff", () => {
  it("grows exponentially from about a second, with jitter, up to the cap", () => {
    expect(backoffDelayMs(1, { random: () => 0 })).toBe(500);
    expect(backoffDelayMs(1, { random: () => 0.999 })).toBe(1_000);
    expect(backoffDelayMs(3, { random: () => 0 })).toBe(2_000);
    expect(backoffDelayMs(20, { random: () => 0.999 })).toBeLessThanOrEqual(30_000);
    expect(backoffDelayMs(20, { random: () => 0 })).toBe(15_000);
  });

  it("waits at least the provider's Retry-After, capped at a minute", () => {
    const options = { maxRetries: 3, logger: captureLogger().logger, provider: "x", random: () => 0 };
    const limited = (retryAfterMs: number) => new ReasonEditError("provider_rate_limited", "429", { retryAfterMs });
    expect(retryDelayMs(limited(2_000), 1, options)).toBe(2_000);
    expect(retryDelayMs(limited(100), 3, options)).toBe(2_000);
    expect(retryDelayMs(limited(3_600_000), 1, options)).toBe(60_000);
  });
});

describe("retryable errors", () => {
  it("retries transient codes only, and never an error marked final", () => {
    expect(isRetryable(new ReasonEditError("provider_unavailable", "503"))).toBe(true);
    expect(isRetryable(new ReasonEditError("provider_network", "reset"))).toBe(true);
    expect(isRetryable(new ReasonEditError("provider_auth", "401"))).toBe(false);
    expect(isRetryable(new ReasonEditError("provider_output", "junk"))).toBe(false);
    expect(isRetryable(new ReasonEditError("provider_timeout", "slow", { retryable: false }))).toBe(false);
    expect(isRetryable(new ReasonEditError("provider_timeout", "slow").with({ retryable: false }))).toBe(false);
    expect(isRetryable(new Error("plain"))).toBe(false);
  });
});

describe("retryProviderCall", () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  it("returns the first success and logs each retry at warn", async () => {
    const log = captureLogger();
    const attempt = vi
      .fn<() => Promise<string>>()
      .mockRejectedValueOnce(new ReasonEditError("provider_unavailable", "503", { status: 503 }))
      .mockResolvedValueOnce("done");

    const result = retryProviderCall(attempt, { maxRetries: 2, logger: log.logger, provider: "fal-ai", random: () => 0 });
    await vi.advanceTimersByTimeAsync(500);

    await expect(result).resolves.toBe("done");
    expect(attempt).toHaveBeenCalledTimes(2);
    expect(log.at("warn")[0]).toMatchObject({ provider: "fal-ai", status: 503, attempt: 1, delayMs: 500 });
  });

  it("rethrows a final error untouched after one attempt", async () => {
    const denied = new ReasonEditError("provider_billing", "402", { status: 402 });
    const attempt = vi.fn<() => Promise<string>>().mockRejectedValue(denied);

    await expect(retryProviderCall(attempt, { maxRetries: 5, logger: captureLogger().logger, provider: "x" })).rejects.toBe(denied);
    expect(attempt).toHaveBeenCalledTimes(1);
  });

  it("stops waiting and rethrows the abort when the caller aborts during a backoff", async () => {
    const controller = new AbortController();
    const attempt = vi.fn<() => Promise<string>>().mockRejectedValue(new ReasonEditError("provider_unavailable", "503"));
    const result = retryProviderCall(attempt, { maxRetries: 5, logger: captureLogger().logger, provider: "x", signal: controller.signal });
    const settled = result.catch((error: unknown) => error);

    await vi.advanceTimersByTimeAsync(10);
    controller.abort();

    expect(((await settled) as Error).name).toBe("AbortError");
    expect(attempt).toHaveBeenCalledTimes(1);
  });
});
