import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ReasonEditError } from "../../src/errors.js";
import type { ChatRequest } from "../../src/providers/chat-model.js";
import { createChatModel, type ChatModelOptions } from "../../src/providers/hf-chat-model.js";
import { captureLogger } from "../fakes/capture-logger.js";
import { fault, startFakeProviders, type FakeProviders } from "../fakes/fake-providers.mjs";
import { routeHostsTo, type HostRouting } from "../fakes/route-hosts.mjs";

const HF_TOKEN = "hf_testChatToken1234567890";
const PIXEL = "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";

const critiqueRequest: ChatRequest = {
  messages: [
    { role: "system", content: "You judge image edits." },
    {
      role: "user",
      content: [
        { type: "text", text: "Did the edit follow the instruction? Answer as JSON." },
        { type: "image_url", image_url: { url: PIXEL } },
      ],
    },
  ],
  jsonSchema: { name: "critique", schema: { type: "object", properties: { ok: { type: "boolean" } }, required: ["ok"] } },
  maxTokens: 256,
  temperature: 0.2,
  seed: 11,
};

let fake: FakeProviders;

beforeEach(async () => {
  fake = await startFakeProviders({ chat: () => '{"ok":true}' });
});
afterEach(async () => {
  await fake.close();
});

function model(overrides: Partial<ChatModelOptions> = {}) {
  const log = captureLogger();
  const chat = createChatModel({
    model: "Qwen/Qwen2.5-VL-7B-Instruct",
    provider: "auto",
    timeoutMs: 10_000,
    maxRetries: 0,
    logger: log.logger,
    ...overrides,
  });
  return { chat, log };
}

describe("chat with a custom OpenAI-compatible url", () => {
  it("posts image parts and the JSON schema to /v1/chat/completions and returns text and usage", async () => {
    const { chat } = model({ url: `${fake.url}/v1` });

    const reply = await chat.complete(critiqueRequest);

    expect(reply.text).toBe('{"ok":true}');
    expect(reply.usage.prompt).toBeGreaterThan(0);
    expect(reply.usage.total).toBe(reply.usage.prompt + reply.usage.completion);
    const [request] = fake.requestsOf("chat");
    expect(request?.path).toBe("/v1/chat/completions");
    expect(request?.body.model).toBe("Qwen/Qwen2.5-VL-7B-Instruct");
    expect(request?.body.messages[1].content[1]).toEqual({ type: "image_url", image_url: { url: expect.stringMatching(/^<image image\/png \d+ bytes/) } });
    expect(request?.images[0]?.mimeType).toBe("image/png");
    expect(request?.body.response_format).toEqual({ type: "json_schema", json_schema: critiqueRequest.jsonSchema });
    expect(request?.body).toMatchObject({ max_tokens: 256, temperature: 0.2, seed: 11 });
  });

  it("never sends the HF token to a custom url", async () => {
    const { chat } = model({ url: fake.url, hfToken: HF_TOKEN });

    await chat.complete(critiqueRequest);

    const [request] = fake.requestsOf("chat");
    expect(request?.path).toBe("/v1/chat/completions");
    expect(request?.headers.authorization).toBeUndefined();
    expect(JSON.stringify(request?.headers)).not.toContain(HF_TOKEN);
  });

  it("sends the server's own API key as a Bearer token", async () => {
    const { chat } = model({ url: `${fake.url}/v1/chat/completions`, hfToken: HF_TOKEN, apiKey: "sk-local-server-key" });

    await chat.complete(critiqueRequest);

    expect(fake.requestsOf("chat")[0]?.headers.authorization).toBe("Bearer sk-local-server-key");
  });

  it("reports zero usage when the server leaves usage out", async () => {
    fake.setChat(() => ({ text: "plain answer", usage: null }));
    const { chat } = model({ url: fake.url });

    const reply = await chat.complete({ messages: [{ role: "user", content: "hi" }] });

    expect(reply).toEqual({ text: "plain answer", usage: { prompt: 0, completion: 0, total: 0 }, finishReason: "stop" });
  });

  it("asks again without response_format when the server rejects it, and stops sending it", async () => {
    fake.setRejectResponseFormat(true);
    const { chat, log } = model({ url: fake.url });

    const first = await chat.complete(critiqueRequest);
    const second = await chat.complete(critiqueRequest);

    expect(first.text).toBe('{"ok":true}');
    expect(second.text).toBe('{"ok":true}');
    expect(fake.requestsOf("chat").map((request) => request.body.response_format !== undefined)).toEqual([true, false, false]);
    // One warning for the run, quoting the server's reason.
    expect(log.at("warn").map((line) => line.msg)).toEqual([
      `${fake.url} rejected response_format json_schema (response_format json_schema is not supported by this server); asking Qwen/Qwen2.5-VL-7B-Instruct without it from now on, replies are still checked`,
    ]);
  });

  it("names the model and the url without credentials in its id", () => {
    const { chat } = model({ url: "http://user:secret@127.0.0.1:8000/v1?key=abc", apiKey: "sk-x" });
    expect(chat.id).toBe("Qwen/Qwen2.5-VL-7B-Instruct@http://127.0.0.1:8000/v1");
  });

  it("fails with provider_network when nothing listens at the url", async () => {
    const closed = await startFakeProviders();
    await closed.close();
    const { chat } = model({ url: closed.url });

    const error = await chat.complete(critiqueRequest).catch((caught: unknown) => caught);

    expect(ReasonEditError.is(error) && error.code).toBe("provider_network");
  });
});

describe("chat through Inference Providers", () => {
  let routing: HostRouting;
  beforeEach(() => {
    routing = routeHostsTo(fake.url);
  });
  afterEach(() => routing.restore());

  it("auto posts to the router's /v1/chat/completions with the HF token and the X-HF-Bill-To header", async () => {
    const { chat } = model({ hfToken: HF_TOKEN, billTo: "my-org", fetch: routing.fetch });

    const reply = await chat.complete(critiqueRequest);

    expect(reply.text).toBe('{"ok":true}');
    const [request] = fake.requestsOf("chat");
    expect(request?.path).toBe("/router/v1/chat/completions");
    expect(request?.headers.authorization).toBe(`Bearer ${HF_TOKEN}`);
    expect(request?.headers["x-hf-bill-to"]).toBe("my-org");
    expect(fake.requestsOf("hub")).toHaveLength(0);
    expect(chat.id).toBe("Qwen/Qwen2.5-VL-7B-Instruct@auto");
  });

  it("a named provider reads the Hub mapping and posts the provider's model id to its route", async () => {
    fake.setMapping("zai-org/GLM-4.5V-chat-test", [{ provider: "novita", providerId: "zai-org/glm-4.5v", task: "conversational" }]);
    const { chat } = model({ model: "zai-org/GLM-4.5V-chat-test", provider: "novita", hfToken: HF_TOKEN, fetch: routing.fetch });

    await chat.complete(critiqueRequest);

    expect(fake.requestsOf("hub")[0]?.path).toBe("/hub/api/models/zai-org/GLM-4.5V-chat-test?expand[]=inferenceProviderMapping");
    const [request] = fake.requestsOf("chat");
    expect(request?.path).toBe("/router/novita/v3/openai/chat/completions");
    expect(request?.body.model).toBe("zai-org/glm-4.5v");
  });

  it("turns a 401 into provider_auth with the token hint, at once and without leaking the token", async () => {
    fake.fail("chat", fault.authError(401));
    const { chat, log } = model({ hfToken: HF_TOKEN, fetch: routing.fetch, maxRetries: 3 });

    const error = await chat.complete(critiqueRequest).catch((caught: unknown) => caught);

    expect(ReasonEditError.is(error)).toBe(true);
    const mapped = error as ReasonEditError;
    expect(mapped.code).toBe("provider_auth");
    expect(mapped.status).toBe(401);
    expect(mapped.message).toContain("Invalid credentials");
    expect(mapped.hint).toContain("https://huggingface.co/settings/tokens");
    expect(fake.requestsOf("chat")).toHaveLength(1);
    expect(`${mapped.message} ${mapped.hint} ${log.text()}`).not.toContain(HF_TOKEN);
  });

  it("needs an HF token for the auto router", async () => {
    const { chat } = model({ fetch: routing.fetch });

    const error = await chat.complete(critiqueRequest).catch((caught: unknown) => caught);

    expect(ReasonEditError.is(error) && error.code).toBe("no_token");
    expect(fake.requests).toHaveLength(0);
  });
});
