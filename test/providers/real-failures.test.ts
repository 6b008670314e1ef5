// What real providers answer when things go wrong (see test/fakes/real-shapes.mjs), replayed over loopback HTTP:
// the user must learn which provider failed, with which status and words, and nothing may be billed twice.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { ChatRequest } from "../../src/providers/chat-model.js";
import { createChatModel, type ChatModelOptions } from "../../src/providers/hf-chat-model.js";
import { createEditor } from "../../src/providers/hf-editor.js";
import { pickEditRoute } from "../../src/providers/hub-mapping.js";
import { captureLogger, type CapturedLogger } from "../fakes/capture-logger.js";
import { advance, settle, useFakeClock, waitFor } from "../fakes/fake-clock.js";
import { fault, startFakeProviders, type FakeProviders } from "../fakes/fake-providers.mjs";
import { decodeWithSharp, solidPicture } from "../fakes/pictures.js";
import { hubObjectMapping, realFault, ROUTER_HEADERS } from "../fakes/real-shapes.mjs";
import { routeHostsTo, type HostRouting } from "../fakes/route-hosts.mjs";
import { rejection } from "../support/assertions.js";

const HF_TOKEN = "hf_testRealFailures1234567890";
const ask: ChatRequest = { messages: [{ role: "user", content: "Say ok" }] };

let fake: FakeProviders;
let log: CapturedLogger;
let routing: HostRouting;

beforeEach(async () => {
  fake = await startFakeProviders({ chat: () => "ok" });
  log = captureLogger();
  routing = routeHostsTo(fake.url);
  useFakeClock();
});
afterEach(async () => {
  vi.useRealTimers();
  routing.restore();
  await fake.close();
});

/** The ReasonEditError a call rejects with, once the fake clock has moved far enough for it to settle. */
const failure = (promise: Promise<unknown>) => rejection(settle(promise));

function chat(overrides: Partial<ChatModelOptions> = {}) {
  return createChatModel({ model: "Qwen/Qwen3-VL-8B-Instruct", provider: "auto", url: `${fake.url}/v1`, timeoutMs: 60_000, maxRetries: 3, logger: log.logger, ...overrides });
}

let modelCounter = 0;
/** An editor on "auto" for a model mapped (object form, as the Hub answers today) as given; a fresh id per test. */
function autoEditor(entries: Array<{ provider: string; providerId: string; task: string; status?: "live" | "staging" | "error" }>) {
  const model = `test/real-failure-${++modelCounter}`;
  fake.setHubBody(model, hubObjectMapping(model, entries));
  return createEditor({ model, provider: "auto", hfToken: HF_TOKEN, fetch: routing.fetch, timeoutMs: 60_000, maxRetries: 3, logger: log.logger, decode: decodeWithSharp });
}
const FAL = { provider: "fal-ai", providerId: "fal-ai/qwen-image-edit", task: "image-to-image" };

describe("fal-ai behind auto routing", () => {
  it("names fal-ai, the status and fal's words when the result is a detail array, and submits once", async () => {
    fake.fail("fal-result", realFault.falDetailArray());
    const error = await failure(autoEditor([FAL]).edit({ image: await solidPicture(), instruction: "red", seed: 1 }));

    expect(error.provider).toBe("fal-ai");
    expect(error.status).toBe(422);
    expect(error.message).toMatch(/^fal-ai answered 422 for test\/real-failure-\d+: Failed to download the file/);
    expect(error.message).toContain("Received malformed response from Fal.ai image-to-image API"); // the library's own sentence
    expect(error.message).not.toMatch(/auto|router/i);
    expect(fake.requestsOf("fal-submit")).toHaveLength(1);
  });

  it("names fal-ai and its 503 when a status poll says the runner disconnected, and does not pay again", async () => {
    fake.fail("fal-status", realFault.falRunnerDisconnected());
    const error = await failure(autoEditor([FAL]).edit({ image: await solidPicture(), instruction: "red", seed: 1 }));

    expect(error).toMatchObject({ code: "provider_unavailable", provider: "fal-ai", status: 503, retryable: false });
    expect(error.message).toBe("fal-ai answered 503: The runner disconnected before completing the request.");
    expect(error.hint).toContain("fal-ai is failing");
    expect(error.hint).toContain("not submitted again");
    expect(fake.requestsOf("fal-submit")).toHaveLength(1);
  });

  it("is final on the router's 402 for fal-ai, with a billing hint naming fal-ai", async () => {
    fake.fail("fal-submit", realFault.falPayAsYouGo());
    const error = await failure(autoEditor([FAL]).edit({ image: await solidPicture(), instruction: "red", seed: 1 }));

    expect(error).toMatchObject({ code: "provider_billing", provider: "fal-ai", status: 402, exitCode: 4 });
    expect(error.message).toBe("fal-ai answered 402: Pay-as-you go is not enabled for provider fal-ai yet.");
    expect(error.requestId).toBe(ROUTER_HEADERS["x-request-id"]);
    expect(error.hint).toContain("fal-ai");
    expect(fake.requestsOf("fal-submit")).toHaveLength(1);
  });

  it("names fal-ai when its job outlives the deadline", async () => {
    fake.setFalPolls(1_000);
    const model = `test/real-failure-slow`;
    fake.setHubBody(model, hubObjectMapping(model, [FAL]));
    const editor = createEditor({ model, provider: "auto", hfToken: HF_TOKEN, fetch: routing.fetch, timeoutMs: 5_000, maxRetries: 3, logger: log.logger, decode: decodeWithSharp });
    const error = await failure(editor.edit({ image: await solidPicture(), instruction: "red", seed: 1 }));
    expect(error.message).toBe("fal-ai did not answer within 5 s");
    expect(fake.requestsOf("fal-submit")).toHaveLength(1);
  });
});

describe("auto means live", () => {
  it("prefers a live mapping over one whose health check failed", () => {
    const entries = [
      { provider: "fal-ai", providerId: "fal-ai/qwen-image-edit", task: "image-to-image", status: "error" },
      { provider: "replicate", providerId: "qwen/qwen-image-edit", task: "image-to-image", status: "live" },
    ];
    expect(pickEditRoute("m", "auto", entries)).toMatchObject({ provider: "replicate", status: "live" });
    expect(pickEditRoute("m", "auto", [{ ...entries[0]!, status: "staging" }, entries[0]!])).toMatchObject({ status: "staging" });
  });

  it("falls back to a mapping in error only when nothing is live, and warns", async () => {
    const outcome = await settle(autoEditor([{ ...FAL, status: "error" }]).edit({ image: await solidPicture(), instruction: "red", seed: 1 }));
    expect(outcome.image.width).toBe(32);
    expect(log.at("warn").map((line) => line.msg)).toEqual([
      expect.stringMatching(/^no live provider edits test\/real-failure-\d+; using fal-ai, whose mapping is "error" on the Hub \(it may fail\)$/),
    ]);
  });
});

describe("retries that read the answer", () => {
  it("waits the estimated_time of a loading model before asking again", async () => {
    fake.fail("chat", realFault.modelLoading(20));
    const reply = chat().complete(ask);
    await waitFor(() => log.at("warn").length === 1);
    expect(log.at("warn")[0]).toMatchObject({ status: 503, retryAfterMs: 20_000 });
    await advance(19_000);
    expect(fake.requestsOf("chat")).toHaveLength(1);
    expect((await settle(reply)).text).toBe("ok");
    expect(fake.requestsOf("chat")).toHaveLength(2);
  });

  it("never waits longer than --timeout for a loading model", async () => {
    fake.fail("chat", realFault.modelLoading(600));
    const reply = chat({ timeoutMs: 5_000 }).complete(ask);
    await waitFor(() => log.at("warn").length === 1);
    expect(log.at("warn")[0]?.delayMs).toBe(5_000);
    expect((await settle(reply)).text).toBe("ok");
  });

  it("treats OpenAI's insufficient_quota 429 as billing: one request, no retry, no pause for others", async () => {
    fake.fail("chat", realFault.insufficientQuota());
    const error = await failure(chat({ url: `${fake.url}/v1`, apiKey: "sk-test" }).complete(ask));
    expect(error).toMatchObject({ code: "provider_billing", status: 429, retryable: false, exitCode: 4 });
    expect(error.message).toContain("You exceeded your current quota");
    expect(error.hint).toContain("REASONEDIT_MLLM_API_KEY is out of quota");
    expect(fake.requestsOf("chat")).toHaveLength(1);
  });

  it.each([
    ["vLLM", realFault.vllmNotMultimodal(), 400],
    ["vLLM before 0.10.1", realFault.vllmOldNotMultimodal(), 400],
    ["llama.cpp without --mmproj", realFault.llamaCppNoMmproj(), 500],
    ["Ollama", realFault.ollamaNoImages(), 400],
    ["LM Studio", realFault.lmStudioNoImages(), 400],
  ])("a %s capability refusal is final, with a hint about the model", async (_, refusal, status) => {
    fake.fail("chat", refusal);
    const error = await failure(chat().complete(ask));
    expect(error).toMatchObject({ code: "model_incapable", status, retryable: false, exitCode: 4 });
    expect(error.message).toContain("Qwen/Qwen3-VL-8B-Instruct does not accept images");
    expect(error.hint).toContain("--mllm");
    expect(fake.requestsOf("chat")).toHaveLength(1);
  });

  it("fails at once on a name that does not resolve, pointing at doctor and proxies", async () => {
    let attempts = 0;
    const unresolvable: typeof fetch = async () => {
      attempts++;
      throw new TypeError("fetch failed", { cause: Object.assign(new Error("getaddrinfo ENOTFOUND router.huggingface.co"), { code: "ENOTFOUND", hostname: "router.huggingface.co" }) });
    };
    const error = await failure(chat({ url: undefined, hfToken: HF_TOKEN, fetch: unresolvable }).complete(ask));
    expect(error.message).toBe("Could not reach The Inference Providers router: the name router.huggingface.co does not resolve (ENOTFOUND)");
    expect(error.hint).toContain("reasonedit doctor");
    expect(error.hint).toContain("HTTPS_PROXY");
    expect(attempts).toBe(1);
  });

  it("names the provider the router says it used", async () => {
    fake.fail("chat", fault.status(500, { body: { error: "upstream failed" }, headers: { "x-inference-provider": "novita" } }));
    const error = await failure(chat({ url: undefined, hfToken: HF_TOKEN, fetch: routing.fetch, maxRetries: 0 }).complete(ask));
    expect(error.provider).toBe("novita");
    expect(error.message).toMatch(/^novita answered 500/);
  });
});
