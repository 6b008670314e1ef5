// Retries, Retry-After, the shared throttle and the deadline against a real loopback fake, on a fake clock.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { ChatRequest } from "../../src/providers/chat-model.js";
import { createChatModel, type ChatModelOptions } from "../../src/providers/hf-chat-model.js";
import { createEditor } from "../../src/providers/hf-editor.js";
import { SharedThrottle } from "../../src/providers/throttle.js";
import { captureLogger, type CapturedLogger } from "../fakes/capture-logger.js";
import { advance, realTurns, settle, useFakeClock, waitFor } from "../fakes/fake-clock.js";
import { fault, startFakeProviders, type FakeProviders } from "../fakes/fake-providers.mjs";
import { decodeWithSharp, solidPicture } from "../fakes/pictures.js";
import { routeHostsTo } from "../fakes/route-hosts.mjs";
import { rejection } from "../support/assertions.js";

const HF_TOKEN = "hf_testFaultToken1234567890";
const ask: ChatRequest = { messages: [{ role: "user", content: "Say ok" }] };

let fake: FakeProviders;
let log: CapturedLogger;

beforeEach(async () => {
  fake = await startFakeProviders({ chat: () => "ok" });
  log = captureLogger();
  useFakeClock();
});
afterEach(async () => {
  vi.useRealTimers();
  await fake.close();
});

function chatModel(overrides: Partial<ChatModelOptions> = {}) {
  return createChatModel({
    model: "test/chat",
    provider: "auto",
    url: fake.url,
    timeoutMs: 60_000,
    maxRetries: 3,
    logger: log.logger,
    ...overrides,
  });
}

const chatCalls = () => fake.requestsOf("chat").length;

/** The ReasonEditError a call rejects with, once the fake clock has moved far enough for it to settle. */
const failure = (promise: Promise<unknown>) => rejection(settle(promise));

describe("retries", () => {
  it("waits for the provider's Retry-After before retrying a 429, then succeeds", async () => {
    fake.fail("chat", fault.rateLimited(2));
    const reply = chatModel().complete(ask);

    await waitFor(() => log.at("warn").length === 1);
    await advance(1_900);
    expect(chatCalls()).toBe(1);
    await advance(200);
    await waitFor(() => chatCalls() === 2);

    expect((await reply).text).toBe("ok");
    expect(log.at("warn")[0]).toMatchObject({ provider: fake.url, status: 429, attempt: 1, retryAfterMs: 2_000, delayMs: 2_000 });
  });

  it("honours Retry-After given as an HTTP date", async () => {
    fake.fail("chat", fault.rateLimited(new Date(Date.now() + 5_000).toUTCString()));
    const reply = chatModel().complete(ask);

    await waitFor(() => log.at("warn").length === 1);
    await advance(3_900);
    expect(chatCalls()).toBe(1);

    expect((await settle(reply)).text).toBe("ok");
    expect(log.at("warn")[0]?.retryAfterMs).toBeGreaterThanOrEqual(4_000);
  });

  it("rides out a burst of three 503s with growing backoff, sending exactly four requests", async () => {
    fake.fail("chat", fault.unavailable(), fault.unavailable(), fault.unavailable());

    const reply = await settle(chatModel().complete(ask));

    expect(reply.text).toBe("ok");
    expect(chatCalls()).toBe(4); // the library's own immediate, unbounded 503 retry is off
    const delays = log.at("warn").map((line) => line.delayMs as number);
    expect(delays).toHaveLength(3);
    expect(delays[0]).toBeGreaterThanOrEqual(500);
    expect(delays[0]).toBeLessThanOrEqual(1_000);
    expect(delays[1]).toBeGreaterThanOrEqual(1_000);
    expect(delays[1]).toBeLessThanOrEqual(2_000);
    expect(delays[2]).toBeGreaterThanOrEqual(2_000);
    expect(delays[2]).toBeLessThanOrEqual(4_000);
  });

  it("gives up with provider_unavailable once the retries are spent", async () => {
    fake.fail("chat", ...Array.from({ length: 5 }, () => fault.unavailable()));

    const error = await failure(chatModel({ maxRetries: 2 }).complete(ask));

    expect(error.code).toBe("provider_unavailable");
    expect(error.status).toBe(503);
    expect(chatCalls()).toBe(3);
  });

  it("retries a connection reset", async () => {
    fake.fail("chat", fault.reset());

    const reply = await settle(chatModel().complete(ask));

    expect(reply.text).toBe("ok");
    expect(chatCalls()).toBe(2);
    expect(log.at("warn")[0]?.code).toBe("provider_network");
  });

  it("does not retry at all with maxRetries 0", async () => {
    fake.fail("chat", fault.unavailable());

    const error = await failure(chatModel({ maxRetries: 0 }).complete(ask));

    expect(error.code).toBe("provider_unavailable");
    expect(chatCalls()).toBe(1);
    expect(log.at("warn")).toHaveLength(0);
  });

  it.each([
    [401, "provider_auth", "invalid or expired"],
    [402, "provider_billing", "https://huggingface.co/settings/billing"],
    [403, "provider_auth", "Make calls to Inference Providers"],
  ] as const)("stops at once on %i with %s and a hint", async (status, code, hint) => {
    const routing = routeHostsTo(fake.url);
    try {
      fake.fail("chat", fault.authError(status));
      const model = chatModel({ url: undefined, hfToken: HF_TOKEN, fetch: routing.fetch });

      const error = await failure(model.complete(ask));

      expect(error.code).toBe(code);
      expect(error.status).toBe(status);
      expect(error.provider).toBe("auto");
      expect(error.hint).toContain(hint);
      expect(chatCalls()).toBe(1);
      expect(`${error.message} ${log.text()}`).not.toContain(HF_TOKEN);
    } finally {
      routing.restore();
    }
  });

  it("stops on a 400 and carries the provider's own message", async () => {
    fake.fail("chat", fault.status(400, { body: { error: { message: "messages[1]: image too large (max 20MB)" } } }));

    const error = await failure(chatModel().complete(ask));

    expect(error.code).toBe("provider_bad_request");
    expect(error.message).toContain("image too large");
    expect(chatCalls()).toBe(1);
  });
});

describe("deadline", () => {
  it("fails a hung call with provider_timeout after timeoutMs", async () => {
    fake.fail("chat", fault.hang());
    let settled = false;
    const reply = chatModel({ timeoutMs: 5_000, maxRetries: 0 }).complete(ask);
    reply.catch(() => undefined).finally(() => (settled = true));

    await waitFor(() => chatCalls() === 1);
    await advance(4_900);
    expect(settled).toBe(false);
    const error = await failure(reply);

    expect(error.code).toBe("provider_timeout");
    expect(error.message).toContain("did not answer within 5 s");
    expect(error.hint).toContain("--timeout");
  });

  it("retries after a timeout", async () => {
    fake.fail("chat", fault.hang());

    const reply = await settle(chatModel({ timeoutMs: 5_000, maxRetries: 1 }).complete(ask));

    expect(reply.text).toBe("ok");
    expect(chatCalls()).toBe(2);
  });

  it("lets the caller's abort through as an abort, without retrying", async () => {
    fake.fail("chat", fault.hang());
    const controller = new AbortController();
    const reply = chatModel({ maxRetries: 3 }).complete(ask, controller.signal);

    await waitFor(() => chatCalls() === 1);
    controller.abort();
    const error = await reply.catch((caught: unknown) => caught);

    expect((error as Error).name).toBe("AbortError");
    await advance(5_000);
    expect(chatCalls()).toBe(1);
  });
});

describe("shared throttle", () => {
  it("holds back every caller after one of them is rate-limited", async () => {
    const throttle = new SharedThrottle();
    const first = chatModel({ throttle });
    const second = chatModel({ throttle, model: "test/other-chat" });
    fake.fail("chat", fault.rateLimited(3));

    const firstReply = first.complete(ask);
    await waitFor(() => log.at("warn").length === 1);
    const secondReply = second.complete(ask);
    await realTurns(30);
    expect(chatCalls()).toBe(1);
    await advance(2_900);
    expect(chatCalls()).toBe(1);
    await advance(200);
    await waitFor(() => chatCalls() === 3);

    expect((await firstReply).text).toBe("ok");
    expect((await secondReply).text).toBe("ok");
  });

  it("slows callers down after a 429 without Retry-After too", async () => {
    const throttle = new SharedThrottle({ initialPenaltyMs: 4_000 });
    fake.fail("chat", fault.rateLimited());
    const firstReply = chatModel({ throttle }).complete(ask);
    await waitFor(() => log.at("warn").length === 1);

    const secondReply = chatModel({ throttle }).complete(ask);
    await advance(3_800);
    expect(chatCalls()).toBe(1);

    await settle(Promise.all([firstReply, secondReply]));
    expect(chatCalls()).toBe(3);
  });
});

describe("queued fal jobs", () => {
  it("does not submit again once fal accepted the job, even when a status poll fails", async () => {
    const routing = routeHostsTo(fake.url);
    try {
      fake.setMapping("test/fal-poll-failure", [{ provider: "fal-ai", providerId: "fal-ai/qwen-image-edit", task: "image-to-image" }]);
      fake.fail("fal-status", fault.unavailable());
      const editor = createEditor({
        model: "test/fal-poll-failure",
        provider: "fal-ai",
        hfToken: HF_TOKEN,
        fetch: routing.fetch,
        timeoutMs: 60_000,
        maxRetries: 3,
        logger: log.logger,
        decode: decodeWithSharp,
      });
      const image = await solidPicture();

      const error = await failure(editor.edit({ image, instruction: "red", seed: 1 }));

      expect(error.code).toBe("provider_unavailable");
      expect(error.hint).toContain("not submitted again");
      expect(fake.requestsOf("fal-submit")).toHaveLength(1);
    } finally {
      routing.restore();
    }
  });

  it("retries a submit the queue refused with 429", async () => {
    const routing = routeHostsTo(fake.url);
    try {
      fake.setMapping("test/fal-submit-429", [{ provider: "fal-ai", providerId: "fal-ai/qwen-image-edit", task: "image-to-image" }]);
      fake.fail("fal-submit", fault.rateLimited(1));
      const editor = createEditor({
        model: "test/fal-submit-429",
        provider: "fal-ai",
        hfToken: HF_TOKEN,
        fetch: routing.fetch,
        timeoutMs: 60_000,
        maxRetries: 2,
        logger: log.logger,
        decode: decodeWithSharp,
      });

      const outcome = await settle(editor.edit({ image: await solidPicture(), instruction: "red", seed: 1 }));

      expect(outcome.image.width).toBe(32);
      expect(fake.requestsOf("fal-submit")).toHaveLength(2);
    } finally {
      routing.restore();
    }
  });
});
