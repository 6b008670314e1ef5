// Where a call went and how it waited, as the adapters tell whoever listens: the provider "auto" resolved to (the
// Hub mapping for the editor, the router's x-inference-provider for chat) and fal's queue position from its answers.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { EditRequest } from "../../src/loop/types.js";
import { queueNewsOf, withCallListener, type CallNews } from "../../src/providers/call-news.js";
import { createChatModel } from "../../src/providers/hf-chat-model.js";
import { createEditor } from "../../src/providers/hf-editor.js";
import { captureLogger } from "../fakes/capture-logger.js";
import { settle, useFakeClock } from "../fakes/fake-clock.js";
import { startFakeProviders, type FakeProviders } from "../fakes/fake-providers.mjs";
import { decodeWithSharp, solidPicture } from "../fakes/pictures.js";
import { routeHostsTo, type HostRouting } from "../fakes/route-hosts.mjs";

const HF_TOKEN = "hf_testCallNewsToken1234567890";
const EDITOR = "test/queued-edit";

let fake: FakeProviders;
let routing: HostRouting;
let request: EditRequest;

beforeEach(async () => {
  fake = await startFakeProviders();
  routing = routeHostsTo(fake.url);
  request = { image: await solidPicture(48, 32, "#6080a0"), instruction: "make the sky red", seed: 42 };
});
afterEach(async () => {
  vi.useRealTimers();
  routing.restore();
  await fake.close();
});

const common = { hfToken: HF_TOKEN, timeoutMs: 20_000, maxRetries: 0 };

function hear(): { news: CallNews[]; listen: (news: CallNews) => void } {
  const news: CallNews[] = [];
  return { news, listen: (item) => void news.push(item) };
}

describe("an edit through fal's queue", () => {
  it("names the provider auto picked from the Hub mapping, then each queue position fal reports, then running", async () => {
    fake.setMapping(EDITOR, [
      { provider: "replicate", providerId: "owner/broken", task: "image-to-image", status: "error" },
      { provider: "fal-ai", providerId: "fal-ai/qwen-image-edit", task: "image-to-image", status: "live" },
    ]);
    fake.setFalQueueAhead(2);
    fake.setFalPolls(1);
    useFakeClock(); // the library waits 500 ms between fal polls
    const editor = createEditor({ ...common, fetch: routing.fetch, model: EDITOR, provider: "auto", logger: captureLogger().logger, decode: decodeWithSharp });
    const { news, listen } = hear();

    await settle(withCallListener(listen, () => editor.edit(request)));

    expect(news).toEqual([{ provider: "fal-ai" }, { queuePosition: 2 }, { queuePosition: 1 }, { queuePosition: 0 }, { queuePosition: null }]);
    expect(fake.requestsOf("fal-status")).toHaveLength(4);
  });

  it("tells nothing to a call made without a listener, and edits all the same", async () => {
    fake.setFalQueueAhead(1);
    useFakeClock();
    const editor = createEditor({ ...common, fetch: routing.fetch, model: EDITOR, provider: "auto", logger: captureLogger().logger, decode: decodeWithSharp });
    const outcome = await settle(editor.edit(request));
    expect(outcome.image.width).toBe(48);
  });
});

describe("a chat through the auto router", () => {
  it("names the provider the router says it chose", async () => {
    fake.setRouterChatProvider("novita");
    fake.setChat(() => "ok");
    const chat = createChatModel({ ...common, fetch: routing.fetch, model: "Qwen/Qwen3-VL-235B-A22B-Instruct", provider: "auto", logger: captureLogger().logger });
    const { news, listen } = hear();

    const reply = await withCallListener(listen, () => chat.complete({ messages: [{ role: "user", content: "hi" }] }));

    expect(reply.text).toBe("ok");
    expect(news).toEqual([{ provider: "novita" }]);
  });

  it("says nothing about a custom server's headers: its URL is the route the user chose", async () => {
    fake.setRouterChatProvider("novita");
    fake.setChat(() => ({ text: "ok", headers: { "x-inference-provider": "some-proxy" } }));
    const chat = createChatModel({ ...common, model: "local/model", provider: "auto", url: `${fake.url}/v1`, logger: captureLogger().logger });
    const { news, listen } = hear();
    await withCallListener(listen, () => chat.complete({ messages: [{ role: "user", content: "hi" }] }));
    expect(news).toEqual([]);
  });
});

describe("reading fal's queue answers", () => {
  it("reads IN_QUEUE with its position, IN_PROGRESS as running, and nothing else", () => {
    expect(queueNewsOf({ status: "IN_QUEUE", queue_position: 3, request_id: "r" })).toEqual({ queuePosition: 3 });
    expect(queueNewsOf({ request_id: "r", response_url: "u", queue_position: 0 })).toEqual({ queuePosition: 0 });
    expect(queueNewsOf({ status: "IN_PROGRESS", logs: null })).toEqual({ queuePosition: null });
    expect(queueNewsOf({ status: "COMPLETED" })).toBeUndefined();
    expect(queueNewsOf({ status: "IN_QUEUE", queue_position: -1 })).toBeUndefined();
    expect(queueNewsOf({ images: [{ url: "x" }] })).toBeUndefined();
    expect(queueNewsOf("IN_QUEUE")).toBeUndefined();
  });
});
