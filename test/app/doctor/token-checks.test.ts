// The token checks: where the HF token came from (never what it is), whether the hosted calls need one, and
// what the Hub says of it (whoami-v2).
import { describe, expect, it } from "vitest";
import { FINE_GRAINED_WITHOUT_INFERENCE } from "../../fakes/hub-extras.js";
import { check, EDITOR, MLLM, TOKEN, useDoctorSandbox } from "./doctor-harness.js";

const sandbox = useDoctorSandbox();
const { doctor } = sandbox;

describe("doctor and the token", () => {
  it("says the token came from the file `hf auth login` saved, never showing it", async () => {
    const report = await doctor({}, { hfToken: TOKEN, hfTokenSource: "/home/alice/.cache/huggingface/token" });
    const token = check(report, "token");
    expect(token.detail).toBe("set in the login token file /home/alice/.cache/huggingface/token (hf auth login), a Hugging Face token: calls go through the router (huggingface.co)");
    expect(JSON.stringify(report)).not.toContain(TOKEN);
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
    sandbox.extras.models.ids = [MLLM];
    const report = await doctor({ mllmUrl: `${sandbox.extras.url}/v1`, editorUrl: `${sandbox.fake.url}/edit` }, {});

    expect(check(report, "token")).toMatchObject({ status: "ok", detail: "not set (not needed: both models are on custom URLs)" });
    expect(report.exitCode).toBe(0);

    const withToken = await doctor({ mllmUrl: `${sandbox.extras.url}/v1`, editorUrl: `${sandbox.fake.url}/edit` }, { hfToken: "hf_revokedTokenXyz987654321" });
    expect(check(withToken, "token").detail).toBe("set in HF_TOKEN, not used (both models are on custom URLs, and it is never sent to them)");
    expect(check(withToken, "token_valid").status).toBe("skip");
    expect(sandbox.extras.requests.filter((r) => r.path === "/v1/models").every((r) => !r.authorized)).toBe(true);
    sandbox.extras.models = { ids: [] };
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
    sandbox.extras.tokens.set("hf_repoOnlyToken1234567890", FINE_GRAINED_WITHOUT_INFERENCE);
    const report = await doctor({}, { hfToken: "hf_repoOnlyToken1234567890" });

    const valid = check(report, "token_valid");
    expect(valid).toMatchObject({ status: "fail", kind: "config" });
    expect(valid.detail).toContain('without the "Make calls to Inference Providers" permission');
    expect(valid.fix).toContain("Make calls to Inference Providers");
  });

  it("treats a token without hf_ as a provider key: a warning, not sent to the Hub", async () => {
    const before = sandbox.extras.requests.length;
    const hubBefore = sandbox.fake.requestsOf("hub").length;
    const report = await doctor({}, { hfToken: "fal-key-1234567890" });

    expect(check(report, "token")).toMatchObject({ status: "warn" });
    expect(check(report, "token").detail).toContain("does not start with hf_: treated as a provider key");
    expect(check(report, "token_valid").status).toBe("skip");
    expect(sandbox.extras.requests.length).toBe(before);
    expect(sandbox.fake.requestsOf("hub").slice(hubBefore).every((r) => r.headers.authorization === undefined)).toBe(true);
    expect(JSON.stringify(report)).not.toContain("fal-key-1234567890");
  });
});
