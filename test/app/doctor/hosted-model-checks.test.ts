// The hosted-model checks: each model's Hub mapping, read the way the client reads it, and what a user is told
// when no provider serves it, a pinned provider does not, or the Hub cannot be reached.
import { describe, expect, it } from "vitest";
import { runDoctor } from "../../../src/app/doctor/run-doctor.js";
import { resolveSettings } from "../../../src/config/settings.js";
import { closedPortUrl } from "../../fakes/hub-extras.js";
import { check, EDITOR, MLLM, TOKEN, useDoctorSandbox } from "./doctor-harness.js";

const sandbox = useDoctorSandbox();
const { doctor } = sandbox;

describe("doctor and the hosted models", () => {
  it("reports an editor no provider serves for editing as unserved, with a fix, and exits 4", async () => {
    sandbox.fake.setMapping("acme/text-only-image-model", [{ provider: "fal-ai", providerId: "fal-ai/acme", task: "text-to-image" }]);
    const report = await doctor({ editor: "acme/text-only-image-model" });

    const editor = check(report, "editor");
    expect(editor).toMatchObject({ status: "fail", kind: "service" });
    expect(editor.detail).toBe("acme/text-only-image-model is not served for image editing by any Inference Provider (it is mapped only for text-to-image)");
    expect(editor.fix).toContain("--editor Qwen/Qwen-Image-Edit");
    expect(editor.fix).toContain("--editor-url");
    expect(report.exitCode).toBe(4);
  });

  it("reports an MLLM without a chat mapping as unserved", async () => {
    sandbox.fake.setMapping("acme/vision-encoder", []);
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
    sandbox.fake.setMapping("acme/kontext-like", [{ provider: "wavespeed", providerId: "wavespeed-ai/kontext", task: "image-text-to-image" }]);
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
    const report = await runDoctor({ settings, credentials: { hfToken: TOKEN }, env: sandbox.env(), fetch: (input, init) => fetch(`${down}/x`, init) });

    expect(check(report, "mllm")).toMatchObject({ status: "fail", kind: "service" });
    expect(check(report, "mllm").detail).toMatch(/could not reach huggingface.co to read .*: ECONNREFUSED/);
    expect(check(report, "token_valid").detail).toMatch(/could not reach huggingface.co to check the token: ECONNREFUSED/);
    expect(report.exitCode).toBe(4);
  });
});
