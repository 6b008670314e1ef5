// The doctor's checks as data: what a user is told about the token, the models' providers, custom servers,
// prompts and folders — and the exit code each problem maps to. The Hub mapping comes from the loopback fake,
// whoami-v2 and /v1/models from a tiny extra server; nothing leaves 127.0.0.1.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { modelsUrl } from "../../src/app/doctor/custom-server-checks.js";
import { checkPrompts } from "../../src/app/doctor/folder-checks.js";
import { checkNode } from "../../src/app/doctor/program-checks.js";
import { exitCodeOf, runDoctor, type DoctorCheck, type DoctorReport } from "../../src/app/doctor/run-doctor.js";
import { resolveSettings, type Credentials, type SettingsInput } from "../../src/config/settings.js";
import { startFakeProviders, type FakeProviders } from "../fakes/fake-providers.mjs";
import { closedPortUrl, doctorFetch, FINE_GRAINED_WITH_INFERENCE, FINE_GRAINED_WITHOUT_INFERENCE, startHubExtras, type HubExtras } from "../fakes/hub-extras.js";

const TOKEN = "hf_doctorTestTokenAbcdef123456";
const MLLM = "Qwen/Qwen3-VL-235B-A22B-Instruct";
const EDITOR = "Qwen/Qwen-Image-Edit";

let fake: FakeProviders;
let extras: HubExtras;
let home: string;

beforeAll(async () => {
  fake = await startFakeProviders();
  extras = await startHubExtras();
  extras.tokens.set(TOKEN, FINE_GRAINED_WITH_INFERENCE);
});

afterAll(async () => {
  await fake?.close();
  await extras?.close();
});

beforeEach(async () => {
  home = await mkdtemp(path.join(tmpdir(), "reasonedit-doctor-"));
  fake.setMapping(MLLM, [
    { provider: "novita", providerId: "qwen/qwen3-vl-235b-a22b-instruct", task: "conversational" },
    { provider: "hyperbolic", providerId: "Qwen/Qwen3-VL-235B-A22B-Instruct", task: "conversational" },
  ]);
  fake.setMapping(EDITOR, [
    { provider: "fal-ai", providerId: "fal-ai/qwen-image-edit", task: "image-to-image" },
    { provider: "replicate", providerId: "qwen/qwen-image-edit", task: "image-to-image" },
    { provider: "wavespeed", providerId: "wavespeed-ai/qwen-image/edit", task: "image-to-image" },
  ]);
  fake.setDefaultMapping(null); // any other model: the Hub answers 404
});

afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

function env(): NodeJS.ProcessEnv {
  return { XDG_CACHE_HOME: path.join(home, "cache"), XDG_STATE_HOME: path.join(home, "state") };
}

async function doctor(flags: SettingsInput = {}, credentials: Credentials = { hfToken: TOKEN }, extraEnv: NodeJS.ProcessEnv = {}): Promise<DoctorReport> {
  const settings = resolveSettings({ flags: { timeout: 5, ...flags } });
  return runDoctor({ settings, credentials, env: { ...env(), ...(credentials.hfToken ? { HF_TOKEN: credentials.hfToken } : {}), ...extraEnv }, fetch: doctorFetch(fake.url, extras) });
}

function check(report: DoctorReport, id: DoctorCheck["id"]): DoctorCheck {
  const found = report.checks.find((c) => c.id === id);
  if (!found) throw new Error(`no ${id} check`);
  return found;
}

describe("doctor with a good setup", () => {
  it("passes every check, names the providers serving each model, and exits 0", async () => {
    const report = await doctor();

    expect(report.checks.map((c) => [c.id, c.status])).toEqual([
      ["node", "ok"],
      ["sharp", "ok"],
      ["token", "ok"],
      ["token_valid", "ok"],
      ["proxy", "ok"],
      ["mllm", "ok"],
      ["editor", "ok"],
      ["prompts", "ok"],
      ["cache", "ok"],
      ["runs", "ok"],
    ]);
    expect(report.exitCode).toBe(0);
    expect(check(report, "token_valid").detail).toBe('valid fine-grained token "reasonedit" of user alice, may call Inference Providers');
    expect(check(report, "mllm").detail).toBe(`${MLLM}: served for chat by novita, hyperbolic (auto: the router picks)`);
    expect(check(report, "editor").detail).toBe(`${EDITOR}: served for editing by fal-ai (image-to-image), replicate (image-to-image), wavespeed (image-to-image) (auto picks fal-ai)`);
    expect(check(report, "editor").data).toMatchObject({ route: "fal-ai", task: "image-to-image" });
    expect(check(report, "sharp").detail).toMatch(/^\d+\.\d+\.\d+, libvips \d+\.\d+\.\d+; writes png, jpeg, webp/);
    expect(check(report, "cache").detail).toContain("(created on first use)");
  });

  it("never shows the token, and sends it only to the Hub", async () => {
    const before = fake.requests.length;
    const report = await doctor();

    expect(JSON.stringify(report)).not.toContain(TOKEN);
    expect(JSON.stringify(report)).not.toContain(TOKEN.slice(-4));
    expect(check(report, "token").detail).toBe("set in HF_TOKEN, a Hugging Face token: calls go through the router (huggingface.co)");
    const hub = fake.requests.slice(before).filter((r) => r.kind === "hub");
    expect(hub.map((r) => r.path.split("?")[0])).toEqual(expect.arrayContaining([`/hub/api/models/${MLLM}`, `/hub/api/models/${EDITOR}`]));
    expect(hub.every((r) => r.headers.authorization === `Bearer ${TOKEN}`)).toBe(true);
  });

  it("checks a pinned provider against the mapping", async () => {
    const report = await doctor({ mllmProvider: "novita", editorProvider: "replicate" });

    expect(check(report, "mllm")).toMatchObject({ status: "ok", detail: `${MLLM}: served for chat by novita, hyperbolic (pinned to novita)` });
    expect(check(report, "editor")).toMatchObject({ status: "ok", detail: expect.stringContaining("(pinned to replicate)") });
  });
});

describe("doctor and the token", () => {
  it("says the token came from the file `hf auth login` saved, never showing it", async () => {
    const report = await doctor({}, { hfToken: TOKEN, hfTokenSource: "/home/alice/.cache/huggingface/token" });
    const token = check(report, "token");
    expect(token.detail).toBe("set in the login token file /home/alice/.cache/huggingface/token (hf auth login), a Hugging Face token: calls go through the router (huggingface.co)");
    expect(JSON.stringify(report)).not.toContain(TOKEN);
  });

  it("reports the proxy every call goes through, without its password", async () => {
    const report = await doctor({}, { hfToken: TOKEN }, { HTTPS_PROXY: "http://bob:s3cret@proxy.corp:3128", NO_PROXY: "localhost,127.0.0.1" });
    expect(check(report, "proxy").detail).toBe("https via http://proxy.corp:3128, not for localhost,127.0.0.1: every hosted call, Hub lookup and image URL uses it");
    expect(JSON.stringify(report)).not.toContain("s3cret");
  });

  it("reports a missing token as a config problem, says how to get one, and exits 2", async () => {
    const report = await doctor({}, {});

    const token = check(report, "token");
    expect(token).toMatchObject({ status: "fail", kind: "config" });
    expect(token.detail).toBe(`HF_TOKEN is not set and no login token was found, and the MLLM (${MLLM}) and the editor (${EDITOR}) run on Hugging Face Inference Providers`);
    expect(token.fix).toContain("export HF_TOKEN=hf_");
    expect(token.fix).toContain("hf auth login");
    expect(token.fix).toContain("https://huggingface.co/settings/tokens/new?ownUserPermissions=inference.serverless.write&tokenType=fineGrained");
    expect(token.fix).toContain("--mllm-url and --editor-url");
    expect(check(report, "token_valid").status).toBe("skip");
    // The public mapping is still read, without a token.
    expect(check(report, "mllm").status).toBe("ok");
    expect(report.exitCode).toBe(2);
  });

  it("does not need a token when both models are on custom URLs", async () => {
    extras.models.ids = [MLLM];
    const report = await doctor({ mllmUrl: `${extras.url}/v1`, editorUrl: `${fake.url}/edit` }, {});

    expect(check(report, "token")).toMatchObject({ status: "ok", detail: "not set (not needed: both models are on custom URLs)" });
    expect(report.exitCode).toBe(0);

    const withToken = await doctor({ mllmUrl: `${extras.url}/v1`, editorUrl: `${fake.url}/edit` }, { hfToken: "hf_revokedTokenXyz987654321" });
    expect(check(withToken, "token").detail).toBe("set in HF_TOKEN, not used (both models are on custom URLs, and it is never sent to them)");
    expect(check(withToken, "token_valid").status).toBe("skip");
    expect(extras.requests.filter((r) => r.path === "/v1/models").every((r) => !r.authorized)).toBe(true);
    extras.models = { ids: [] };
  });

  it("reports a token the Hub rejects (401) as invalid, with how to fix it", async () => {
    const report = await doctor({}, { hfToken: "hf_revokedTokenXyz987654321" }, { HF_TOKEN: "hf_revokedTokenXyz987654321" });

    expect(check(report, "token_valid")).toMatchObject({
      status: "fail",
      kind: "config",
      detail: "the Hub rejected the token (HTTP 401): it is invalid, expired or revoked",
    });
    expect(check(report, "token_valid").fix).toContain("export it as HF_TOKEN");
    expect(report.exitCode).toBe(2);
  });

  it("reports a fine-grained token without the Inference Providers permission", async () => {
    extras.tokens.set("hf_repoOnlyToken1234567890", FINE_GRAINED_WITHOUT_INFERENCE);
    const report = await doctor({}, { hfToken: "hf_repoOnlyToken1234567890" });

    const valid = check(report, "token_valid");
    expect(valid).toMatchObject({ status: "fail", kind: "config" });
    expect(valid.detail).toContain('without the "Make calls to Inference Providers" permission');
    expect(valid.fix).toContain("Make calls to Inference Providers");
  });

  it("treats a token without hf_ as a provider key: a warning, not sent to the Hub", async () => {
    const before = extras.requests.length;
    const hubBefore = fake.requestsOf("hub").length;
    const report = await doctor({}, { hfToken: "fal-key-1234567890" });

    expect(check(report, "token")).toMatchObject({ status: "warn" });
    expect(check(report, "token").detail).toContain("does not start with hf_: treated as a provider key");
    expect(check(report, "token_valid").status).toBe("skip");
    expect(extras.requests.length).toBe(before);
    expect(fake.requestsOf("hub").slice(hubBefore).every((r) => r.headers.authorization === undefined)).toBe(true);
    expect(JSON.stringify(report)).not.toContain("fal-key-1234567890");
  });
});

describe("doctor and the hosted models", () => {
  it("reports an editor no provider serves for editing as unserved, with a fix, and exits 4", async () => {
    fake.setMapping("acme/text-only-image-model", [{ provider: "fal-ai", providerId: "fal-ai/acme", task: "text-to-image" }]);
    const report = await doctor({ editor: "acme/text-only-image-model" });

    const editor = check(report, "editor");
    expect(editor).toMatchObject({ status: "fail", kind: "service" });
    expect(editor.detail).toBe("acme/text-only-image-model is not served for image editing by any Inference Provider (it is mapped only for text-to-image)");
    expect(editor.fix).toContain("--editor Qwen/Qwen-Image-Edit");
    expect(editor.fix).toContain("--editor-url");
    expect(report.exitCode).toBe(4);
  });

  it("reports an MLLM without a chat mapping as unserved", async () => {
    fake.setMapping("acme/vision-encoder", []);
    const report = await doctor({ mllm: "acme/vision-encoder" });

    expect(check(report, "mllm")).toMatchObject({ status: "fail", kind: "service", detail: "acme/vision-encoder is not served for chat by any Inference Provider (no provider serves it)" });
    expect(report.exitCode).toBe(4);
  });

  it("reports a model the Hub does not know", async () => {
    const report = await doctor({ editor: "acme/no-such-model" });

    expect(check(report, "editor")).toMatchObject({ status: "fail", kind: "service", detail: "acme/no-such-model was not found on the Hub" });
    expect(check(report, "editor").fix).toContain("check the model id");
  });

  it("reports a pinned editor provider that does not serve the model, listing the ones that do", async () => {
    const report = await doctor({ editorProvider: "together" });

    expect(check(report, "editor")).toMatchObject({
      status: "fail",
      kind: "service",
      detail: `${EDITOR} is not served for editing by together; it is by fal-ai (image-to-image), replicate (image-to-image), wavespeed (image-to-image)`,
      fix: "use --editor-provider auto or one of: fal-ai, replicate, wavespeed",
    });
  });

  it("accepts an image-text-to-image mapping for the editor", async () => {
    fake.setMapping("acme/kontext-like", [{ provider: "wavespeed", providerId: "wavespeed-ai/kontext", task: "image-text-to-image" }]);
    const report = await doctor({ editor: "acme/kontext-like" });

    expect(check(report, "editor")).toMatchObject({ status: "ok", detail: "acme/kontext-like: served for editing by wavespeed (image-text-to-image) (auto picks wavespeed)" });
  });

  it("explains a pinned MLLM provider the client cannot call directly", async () => {
    const report = await doctor({ mllmProvider: "hyperbolic" });

    expect(check(report, "mllm")).toMatchObject({ status: "fail", kind: "config" });
    expect(check(report, "mllm").fix).toBe(`use --mllm-provider auto with --mllm ${MLLM}:hyperbolic (the router reaches hyperbolic for you)`);
  });

  it("reports an unreachable Hub as a service problem", async () => {
    const settings = resolveSettings({ flags: { timeout: 5 } });
    const down = await closedPortUrl();
    const report = await runDoctor({ settings, credentials: { hfToken: TOKEN }, env: env(), fetch: (input, init) => fetch(`${down}/x`, init) });

    expect(check(report, "mllm")).toMatchObject({ status: "fail", kind: "service" });
    expect(check(report, "mllm").detail).toMatch(/could not reach huggingface.co to read .*: ECONNREFUSED/);
    expect(check(report, "token_valid").detail).toMatch(/could not reach huggingface.co to check the token: ECONNREFUSED/);
    expect(report.exitCode).toBe(4);
  });
});

describe("doctor and custom servers", () => {
  it("finds the MLLM on an OpenAI-compatible server that lists it", async () => {
    extras.models = { ids: [MLLM, "other/model"] };
    const report = await doctor({ mllmUrl: `${extras.url}/v1` });

    expect(check(report, "mllm")).toMatchObject({ status: "ok", label: "MLLM server", detail: `${extras.url}/v1 is reachable and serves ${MLLM}` });
    expect(extras.requests.at(-1)).toEqual({ path: "/v1/models", authorized: false });
  });

  it("warns when the server lists other models, naming one to pass", async () => {
    extras.models = { ids: ["qwen2.5vl:7b"] };
    const report = await doctor({ mllmUrl: `${extras.url}/v1` });

    expect(check(report, "mllm")).toMatchObject({ status: "warn", fix: "pass the server's model name: --mllm qwen2.5vl:7b" });
    expect(report.exitCode).toBe(0);
  });

  it("sends the server's own key, never the HF token, and says when the key is missing", async () => {
    extras.models = { ids: [MLLM], requireKey: "sk-local-123456789" };
    const without = await doctor({ mllmUrl: `${extras.url}/v1` });
    expect(check(without, "mllm")).toMatchObject({ status: "fail", kind: "config", fix: "export REASONEDIT_MLLM_API_KEY=<the server's key> (sent as a Bearer token to this URL only)" });
    expect(without.exitCode).toBe(2);

    const withKey = await doctor({ mllmUrl: `${extras.url}/v1` }, { hfToken: TOKEN, mllmApiKey: "sk-local-123456789" });
    expect(check(withKey, "mllm").status).toBe("ok");
    extras.models = { ids: [] };
  });

  it("reports an unreachable --mllm-url and --editor-url as service problems, exit 4", async () => {
    const down = await closedPortUrl();
    const report = await doctor({ mllmUrl: `${down}/v1`, editorUrl: `${down}/edit` }, {});

    expect(check(report, "mllm")).toMatchObject({ status: "fail", kind: "service", detail: `cannot reach ${down}/v1: ECONNREFUSED` });
    expect(check(report, "mllm").fix).toContain("start the server, or correct --mllm-url");
    expect(check(report, "editor")).toMatchObject({ status: "fail", kind: "service", detail: `cannot reach ${down}/edit: ECONNREFUSED` });
    expect(report.exitCode).toBe(4);
  });

  it("counts any HTTP answer from an editor URL as reachable", async () => {
    const report = await doctor({ editorUrl: `${fake.url}/edit` });

    expect(check(report, "editor")).toMatchObject({ status: "ok", label: "editor server", detail: `${fake.url}/edit is reachable (HTTP 404 to a GET)` });
  });

  it("derives the model-list URL the way the client derives the chat URL", () => {
    expect(modelsUrl("http://127.0.0.1:11434/v1")).toBe("http://127.0.0.1:11434/v1/models");
    expect(modelsUrl("http://127.0.0.1:8000/")).toBe("http://127.0.0.1:8000/v1/models");
    expect(modelsUrl("http://127.0.0.1:1234/v1/chat/completions")).toBe("http://127.0.0.1:1234/v1/models");
  });
});

describe("doctor and local files", () => {
  it("reports prompts that do not load as a config problem with the template's own hint", async () => {
    const prompts = path.join(home, "prompts");
    await mkdir(prompts);
    await writeFile(path.join(prompts, "conclude.md"), "Judge the edit of {{instruction}}. Reply with JSON.");

    const result = await checkPrompts(prompts);

    expect(result).toMatchObject({ status: "fail", kind: "config" });
    expect(result.detail).toContain('it does not ask for the JSON fields "verdict", "refined_instruction"');
    expect(result.fix).toContain("docs/DESIGN.md §2");
    expect((await doctor({ prompts })).exitCode).toBe(2);
  });

  it("lists custom prompts and the built-in ones they fall back to", async () => {
    const prompts = path.join(home, "prompts");
    await mkdir(prompts);
    await writeFile(path.join(prompts, "describe.md"), "Describe the finished image for: {{instruction}}. Reply with JSON {\"target_description\": string}.");

    expect(await checkPrompts(prompts)).toMatchObject({ status: "ok", detail: `${prompts}: describe.md; built-in for the other 5` });
    expect(await checkPrompts(path.join(home, "missing"))).toMatchObject({ status: "fail", kind: "config" });
  });

  it("fails when the run dir cannot be created, and warns when the cache dir belongs to something else", async () => {
    const file = path.join(home, "a-file");
    await writeFile(file, "not a folder");
    const foreign = path.join(home, "photos");
    await mkdir(foreign);
    await writeFile(path.join(foreign, "holiday.jpg"), "…");

    const report = await doctor({ runDir: path.join(file, "runs"), cacheDir: foreign });

    expect(check(report, "runs")).toMatchObject({ status: "fail", kind: "config" });
    expect(check(report, "runs").detail).toContain(`${file} is a file`);
    expect(check(report, "runs").fix).toContain("--run-dir");
    expect(check(report, "cache")).toMatchObject({ status: "warn", detail: `${foreign} holds other files and no CACHEDIR.TAG: reasonedit will not cache there` });
    expect(report.exitCode).toBe(2);
  });

  it("skips the cache with --no-cache and needs a filled one with --offline", async () => {
    expect(check(await doctor({ cache: false }), "cache")).toMatchObject({ status: "skip", detail: "off (--no-cache)" });
    const offline = await doctor({ offline: true }, {});
    expect(check(offline, "cache")).toMatchObject({ status: "fail", kind: "config" });
    expect(check(offline, "token").status).toBe("ok");
    expect(check(offline, "mllm").status).toBe("skip");
  });
});

describe("doctor's exit code", () => {
  it("is 2 when a config problem and a service problem are both found (fix the setup first)", () => {
    const fail = (kind: "config" | "service"): DoctorCheck => ({ id: "mllm", label: "x", status: "fail", kind, detail: "" });
    expect(exitCodeOf([fail("service")])).toBe(4);
    expect(exitCodeOf([fail("service"), fail("config")])).toBe(2);
    expect(exitCodeOf([{ id: "node", label: "x", status: "warn", detail: "" }])).toBe(0);
  });

  it("fails on a Node.js older than 20", () => {
    expect(checkNode("18.19.0")).toMatchObject({ status: "fail", kind: "config", detail: "v18.19.0 is too old: reasonedit needs Node.js 20 or later" });
    expect(checkNode("20.20.2").status).toBe("ok");
  });
});
