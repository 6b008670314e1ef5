// One edit job through the real services on the routed path: Hub mapping → router → fal-ai queue for the
// editor, the router's OpenAI-compatible chat for the MLLM — the library's own request code, over loopback.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import sharp from "sharp";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { runEditJob } from "../../src/app/edit-job.js";
import { createServices, loopSettings, recordableSettings } from "../../src/app/services.js";
import { resolveSettings } from "../../src/config/settings.js";
import { silentLogger } from "../../src/logging.js";
import { fault, startFakeProviders, type FakeProviders } from "../fakes/fake-providers.mjs";
import { reasoningResponder } from "../fakes/reasoning-responder.mjs";
import { routeHostsTo, type HostRouting } from "../fakes/route-hosts.mjs";

const FIXTURE = new URL("../../fixtures/coffee.png", import.meta.url);
const HF_TOKEN = "hf_routedTestToken000000";

let fake: FakeProviders;
let routing: HostRouting;
let dir: string;
let modelCounter = 0;

beforeAll(async () => {
  fake = await startFakeProviders({ falPolls: 2 });
  routing = routeHostsTo(fake.url);
});
afterAll(async () => {
  routing.restore();
  await fake.close();
});
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "reasonedit-job-"));
  fake.requests.length = 0;
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** The library caches Hub mappings per model id for the life of the process, so each test uses its own id. */
function uniqueEditor(provider = "fal-ai", task = "image-to-image"): string {
  const model = `test-org/editor-${++modelCounter}`;
  fake.setMapping(model, [{ provider, providerId: `fal-ai/qwen-image-edit-${modelCounter}`, task }]);
  return model;
}

async function runJob(overrides: Record<string, unknown>) {
  const settings = resolveSettings({ flags: { cache: false, seed: 42, maxRetries: 3, runDir: join(dir, "runs"), ...overrides } });
  const services = await createServices(settings, { hfToken: HF_TOKEN }, silentLogger, {}, { fetch: routing.fetch });
  return runEditJob(
    {
      image: new URL(FIXTURE).pathname,
      instruction: "pour latte art in the shape of a heart",
      output: join(dir, "out.png"),
      loop: loopSettings(settings, 42),
      runsRoot: services.runsRoot,
      settingsForRecord: recordableSettings(settings),
      cwd: dir,
    },
    services,
  );
}

describe("an edit job on the routed path", () => {
  it("thinks and reflects through the router's chat and edits through the fal-ai queue, polling until COMPLETED", async () => {
    fake.setChat(reasoningResponder({ verdicts: ["success"] }));
    const result = await runJob({ editor: uniqueEditor(), editorProvider: "fal-ai" });
    expect(result.status).toBe("accepted");

    const chat = fake.requestsOf("chat");
    expect(chat.every((r) => r.path === "/router/v1/chat/completions")).toBe(true);
    expect(chat.every((r) => r.headers.authorization === `Bearer ${HF_TOKEN}`)).toBe(true);
    expect(chat[0]!.body.response_format.type).toBe("json_schema");
    expect(chat[0]!.body.messages.at(-1).content.some((part: { type: string }) => part.type === "image_url")).toBe(true);

    const [submit] = fake.requestsOf("fal-submit");
    expect(submit!.body).toMatchObject({ prompt: "make the cat's fur white as snow", seed: 42 });
    expect(submit!.body.image_size).toEqual({ width: result.loop.rounds[0]!.candidates[0]!.image.width, height: result.loop.rounds[0]!.candidates[0]!.image.height });
    expect(fake.requestsOf("fal-status").length).toBeGreaterThanOrEqual(3);
    expect(fake.requestsOf("media")).toHaveLength(1);

    const meta = await sharp(join(dir, "out.png")).metadata();
    expect([meta.width, meta.height]).toEqual([600, 400]);
  });

  it("dispatches to imageTextToImage when the Hub maps the editor under image-text-to-image", async () => {
    fake.setChat(reasoningResponder({ verdicts: ["success"] }));
    const result = await runJob({ editor: uniqueEditor("fal-ai", "image-text-to-image"), editorProvider: "fal-ai" });
    expect(result.status).toBe("accepted");
    expect(fake.requestsOf("fal-submit")).toHaveLength(1);
  });

  it("survives a 429 with Retry-After and a 503 burst on the chat, and reads prose-wrapped JSON", async () => {
    const responder = reasoningResponder({ verdicts: ["success"] });
    fake.setChat((body) => {
      const text = responder(body);
      return `Sure! Here is my answer:\n\`\`\`json\n${text}\n\`\`\`\nLet me know if you need more.`;
    });
    fake.fail("chat", fault.rateLimited(1), fault.unavailable(), fault.unavailable());
    const result = await runJob({ editor: uniqueEditor(), editorProvider: "fal-ai" });
    expect(result.status).toBe("accepted");
    expect(result.record.thinking?.reply).toMatchObject({ instruction: "make the cat's fur white as snow" });
    expect(fake.pendingFaults("chat")).toBe(0);
  });

  it("re-asks once when a reply is not JSON, then goes on", async () => {
    const responder = reasoningResponder({ verdicts: ["success"] });
    let thinkCalls = 0;
    fake.setChat((body: { response_format?: { json_schema?: { name?: string } } }) => {
      if (body.response_format?.json_schema?.name === "think" && thinkCalls++ === 0) return "I think the user wants snow.";
      return responder(body);
    });
    const result = await runJob({ editor: uniqueEditor(), editorProvider: "fal-ai" });
    expect(result.record.thinking?.attempts).toBe(2);
    expect(result.status).toBe("accepted");
  });

  it("reports a non-image editor reply as a provider output error naming the editor", async () => {
    fake.setChat(reasoningResponder({ verdicts: ["success"] }));
    fake.fail("media", fault.notImage("text/html"));
    await expect(runJob({ editor: uniqueEditor(), editorProvider: "fal-ai", maxRetries: 0 })).rejects.toMatchObject({
      code: "provider_output",
    });
    const record = JSON.parse(readFileSync(join(dir, "runs", (await import("node:fs")).readdirSync(join(dir, "runs"))[0]!, "run.json"), "utf8"));
    expect(record.status).toBe("error");
  });

  it("times out a hung chat call at --timeout and retries it", async () => {
    fake.setChat(reasoningResponder({ verdicts: ["success"] }));
    fake.fail("chat", fault.hang());
    const started = performance.now();
    const result = await runJob({ editor: uniqueEditor(), editorProvider: "fal-ai", timeout: 3 });
    expect(result.status).toBe("accepted");
    expect(performance.now() - started).toBeGreaterThan(3_000);
    expect(performance.now() - started).toBeLessThan(15_000);
  });
});
