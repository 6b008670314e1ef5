import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ReasonEditError } from "../../src/errors.js";
import type { EditRequest } from "../../src/loop/types.js";
import { createEditor, type EditorOptions } from "../../src/providers/hf-editor.js";
import { captureLogger } from "../fakes/capture-logger.js";
import { settle, useFakeClock } from "../fakes/fake-clock.js";
import { fault, sha256, startFakeProviders, type FakeProviders } from "../fakes/fake-providers.mjs";
import { decodeWithSharp, meanColor, solidPicture } from "../fakes/pictures.js";
import { routeHostsTo, type HostRouting } from "../fakes/route-hosts.mjs";

const HF_TOKEN = "hf_testEditorToken1234567890";

let fake: FakeProviders;
let request: EditRequest;

beforeEach(async () => {
  fake = await startFakeProviders();
  request = { image: await solidPicture(48, 32, "#6080a0"), instruction: "make the sky red", seed: 42 };
});
afterEach(async () => {
  await fake.close();
});

function editor(overrides: Partial<EditorOptions> = {}) {
  const log = captureLogger();
  const instance = createEditor({
    model: "Qwen/Qwen-Image-Edit",
    provider: "fal-ai",
    timeoutMs: 20_000,
    maxRetries: 0,
    logger: log.logger,
    decode: decodeWithSharp,
    ...overrides,
  });
  return { editor: instance, log };
}

describe("editing through a custom HF-Inference url", () => {
  it("sends JSON {inputs: base64, parameters} and decodes the image it gets back", async () => {
    const { editor: edit } = editor({ url: `${fake.url}/edit`, hfToken: HF_TOKEN, steps: 30, guidance: 4 });

    const outcome = await edit.edit(request);

    const [received] = fake.requestsOf("edit");
    expect(received?.path).toBe("/edit");
    expect(received?.headers.authorization).toBeUndefined();
    expect(received?.body.inputs).toMatch(/^<image/);
    expect(received?.images[0]?.sha256).toBe(sha256(request.image.bytes));
    expect(received?.body.parameters).toEqual({
      prompt: "make the sky red",
      seed: 42,
      num_inference_steps: 30,
      guidance_scale: 4,
      target_size: { width: 48, height: 32 },
    });
    expect(outcome.image).toMatchObject({ mimeType: "image/png", width: 48, height: 32 });
    const color = await meanColor(outcome.image.bytes);
    expect(color.r).toBeGreaterThan(color.b); // the fake tints red: we got the edited image, not the input
    expect(outcome.ms).toBeGreaterThanOrEqual(0);
    expect(edit.id).toBe(`Qwen/Qwen-Image-Edit@${fake.url}/edit`);
  });

  it("sends the endpoint's own API key, never the HF token", async () => {
    const { editor: edit } = editor({ url: fake.url, hfToken: HF_TOKEN, apiKey: "endpoint-key-123456" });

    await edit.edit(request);

    expect(fake.requestsOf("edit")[0]?.headers.authorization).toBe("Bearer endpoint-key-123456");
  });

  it("fails with provider_output when the endpoint answers something that is not an image", async () => {
    fake.fail("edit", fault.notImage());
    const { editor: edit } = editor({ url: fake.url });

    const error = await edit.edit(request).catch((caught: unknown) => caught);

    expect(ReasonEditError.is(error) && error.code).toBe("provider_output");
  });

  it("fails with provider_output when the endpoint answers JSON instead of an image", async () => {
    fake.fail("edit", fault.notImage("application/json"));
    const { editor: edit } = editor({ url: fake.url, maxRetries: 2 });

    const error = await edit.edit(request).catch((caught: unknown) => caught);

    expect(ReasonEditError.is(error) && error.code).toBe("provider_output");
    expect(fake.requestsOf("edit")).toHaveLength(1);
  });
});

describe("editing through Inference Providers (fal-ai queue)", () => {
  let routing: HostRouting;
  beforeEach(() => {
    routing = routeHostsTo(fake.url);
    useFakeClock(); // the library waits 500 ms between fal polls
  });
  afterEach(() => {
    vi.useRealTimers();
    routing.restore();
  });

  it("submits prompt, seed and image_size, polls the status until COMPLETED, then downloads the media", async () => {
    fake.setMapping("test/routed-fal-edit", [{ provider: "fal-ai", providerId: "fal-ai/qwen-image-edit", task: "image-to-image" }]);
    fake.setFalPolls(1);
    const { editor: edit } = editor({ model: "test/routed-fal-edit", hfToken: HF_TOKEN, billTo: "my-org", fetch: routing.fetch, steps: 28 });

    const outcome = await settle(edit.edit(request));

    const kinds = fake.requests.map((received) => received.kind);
    expect(kinds.filter((kind) => kind !== "hub")).toEqual(["fal-submit", "fal-status", "fal-status", "fal-result", "media"]);
    const [submit] = fake.requestsOf("fal-submit");
    expect(submit?.path).toBe("/router/fal-ai/fal-ai/qwen-image-edit?_subdomain=queue");
    expect(submit?.headers.authorization).toBe(`Bearer ${HF_TOKEN}`);
    expect(submit?.headers["x-hf-bill-to"]).toBe("my-org");
    expect(submit?.body).toMatchObject({ prompt: "make the sky red", seed: 42, num_inference_steps: 28, image_size: { width: 48, height: 32 } });
    expect(submit?.images[0]?.sha256).toBe(sha256(request.image.bytes));
    expect(fake.requestsOf("fal-status")[0]?.headers["x-hf-bill-to"]).toBe("my-org");
    expect(fake.requestsOf("hub")[0]?.headers.authorization).toBe(`Bearer ${HF_TOKEN}`);
    const color = await meanColor(outcome.image.bytes);
    expect(color.r).toBeGreaterThan(color.b);
    expect(edit.id).toBe("test/routed-fal-edit@fal-ai");
  });

  it("uses imageTextToImage when the Hub maps the model under image-text-to-image", async () => {
    fake.setMapping("test/routed-itti", [{ provider: "fal-ai", providerId: "fal-ai/flux-2/edit", task: "image-text-to-image" }]);
    const { editor: edit, log } = editor({ model: "test/routed-itti", hfToken: HF_TOKEN, fetch: routing.fetch });

    const outcome = await settle(edit.edit(request));

    // imageToImage would have thrown "not supported for task image-to-image … Supported task: image-text-to-image"
    expect(outcome.image.width).toBe(48);
    expect(fake.requestsOf("fal-submit")[0]?.path).toBe("/router/fal-ai/fal-ai/flux-2/edit?_subdomain=queue");
    expect(log.lines.some((line) => line.task === "image-text-to-image")).toBe(true);
  });

  it("auto picks the first mapped provider that can edit", async () => {
    fake.setMapping("test/routed-auto", [
      { provider: "novita", providerId: "x/chat", task: "conversational" },
      { provider: "fal-ai", providerId: "fal-ai/qwen-image-edit", task: "image-to-image" },
    ]);
    const { editor: edit } = editor({ model: "test/routed-auto", provider: "auto", hfToken: HF_TOKEN, fetch: routing.fetch });

    await settle(edit.edit(request));

    expect(fake.requestsOf("fal-submit")).toHaveLength(1);
  });

  it("reports model_unserved, naming providers that could edit, when the chosen provider has no mapping", async () => {
    fake.setMapping("test/routed-unserved", [{ provider: "fal-ai", providerId: "fal-ai/qwen-image-edit", task: "image-to-image" }]);
    const { editor: edit } = editor({ model: "test/routed-unserved", provider: "replicate", hfToken: HF_TOKEN, fetch: routing.fetch, maxRetries: 2 });

    const error = await settle(edit.edit(request)).catch((caught: unknown) => caught);

    expect(ReasonEditError.is(error) && error.code).toBe("model_unserved");
    expect((error as Error).message).toContain("test/routed-unserved is not served by replicate");
    expect((error as Error).message).toContain("fal-ai");
    expect(fake.requestsOf("fal-submit")).toHaveLength(0);
  });

  it("reports model_unserved when the Hub does not know the model", async () => {
    fake.setDefaultMapping(null);
    const { editor: edit } = editor({ model: "test/does-not-exist", hfToken: HF_TOKEN, fetch: routing.fetch, maxRetries: 2 });

    const error = await settle(edit.edit(request)).catch((caught: unknown) => caught);

    expect(ReasonEditError.is(error) && error.code).toBe("model_unserved");
    expect((error as ReasonEditError).status).toBe(404);
    expect(fake.requestsOf("hub")).toHaveLength(1);
  });
});
