// The custom-server checks: an OpenAI-compatible --mllm-url asked for its models (with its own key, never the HF
// token), an --editor-url asked for any answer.
import { describe, expect, it } from "vitest";
import { modelsUrl } from "../../../src/app/doctor/custom-server-checks.js";
import { closedPortUrl } from "../../fakes/hub-extras.js";
import { check, MLLM, TOKEN, useDoctorSandbox } from "./doctor-harness.js";

const sandbox = useDoctorSandbox();
const { doctor } = sandbox;

describe("doctor and custom servers", () => {
  it("finds the MLLM on an OpenAI-compatible server that lists it", async () => {
    sandbox.extras.models = { ids: [MLLM, "other/model"] };
    const report = await doctor({ mllmUrl: `${sandbox.extras.url}/v1` });

    expect(check(report, "mllm")).toMatchObject({ status: "ok", label: "MLLM server", detail: `${sandbox.extras.url}/v1 is reachable and serves ${MLLM}` });
    expect(sandbox.extras.requests.at(-1)).toEqual({ path: "/v1/models", authorized: false });
  });

  it("warns when the server lists other models, naming one to pass", async () => {
    sandbox.extras.models = { ids: ["qwen2.5vl:7b"] };
    const report = await doctor({ mllmUrl: `${sandbox.extras.url}/v1` });

    expect(check(report, "mllm")).toMatchObject({ status: "warn", fix: "pass the server's model name: --mllm qwen2.5vl:7b" });
    expect(report.exitCode).toBe(0);
  });

  it("sends the server's own key, never the HF token, and says when the key is missing", async () => {
    sandbox.extras.models = { ids: [MLLM], requireKey: "sk-local-123456789" };
    const without = await doctor({ mllmUrl: `${sandbox.extras.url}/v1` });
    expect(check(without, "mllm")).toMatchObject({ status: "fail", kind: "config", fix: "export REASONEDIT_MLLM_API_KEY=<the server's key> (sent as a Bearer token to this URL only)" });
    expect(without.exitCode).toBe(2);

    const withKey = await doctor({ mllmUrl: `${sandbox.extras.url}/v1` }, { hfToken: TOKEN, mllmApiKey: "sk-local-123456789" });
    expect(check(withKey, "mllm").status).toBe("ok");
    sandbox.extras.models = { ids: [] };
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
    const report = await doctor({ editorUrl: `${sandbox.fake.url}/edit` });

    expect(check(report, "editor")).toMatchObject({ status: "ok", label: "editor server", detail: `${sandbox.fake.url}/edit is reachable (HTTP 404 to a GET)` });
  });

  it("derives the model-list URL the way the client derives the chat URL", () => {
    expect(modelsUrl("http://127.0.0.1:11434/v1")).toBe("http://127.0.0.1:11434/v1/models");
    expect(modelsUrl("http://127.0.0.1:8000/")).toBe("http://127.0.0.1:8000/v1/models");
    expect(modelsUrl("http://127.0.0.1:1234/v1/chat/completions")).toBe("http://127.0.0.1:1234/v1/models");
  });
});
