// The whole doctor on a good setup: every check passes, the providers serving each model are named, the token
// goes only to the Hub; and how the failed checks make one exit code.
import { describe, expect, it } from "vitest";
import { exitCodeOf, type DoctorCheck } from "../../../src/app/doctor/run-doctor.js";
import { check, EDITOR, MLLM, TOKEN, useDoctorSandbox } from "./doctor-harness.js";

const sandbox = useDoctorSandbox();
const { doctor } = sandbox;

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
    const before = sandbox.fake.requests.length;
    const report = await doctor();

    expect(JSON.stringify(report)).not.toContain(TOKEN);
    expect(JSON.stringify(report)).not.toContain(TOKEN.slice(-4));
    expect(check(report, "token").detail).toBe("set in HF_TOKEN, a Hugging Face token: calls go through the router (huggingface.co)");
    const hub = sandbox.fake.requests.slice(before).filter((r) => r.kind === "hub");
    expect(hub.map((r) => r.path.split("?")[0])).toEqual(expect.arrayContaining([`/hub/api/models/${MLLM}`, `/hub/api/models/${EDITOR}`]));
    expect(hub.every((r) => r.headers.authorization === `Bearer ${TOKEN}`)).toBe(true);
  });

  it("checks a pinned provider against the mapping", async () => {
    const report = await doctor({ mllmProvider: "novita", editorProvider: "replicate" });

    expect(check(report, "mllm")).toMatchObject({ status: "ok", detail: `${MLLM}: served for chat by novita, hyperbolic (pinned to novita)` });
    expect(check(report, "editor")).toMatchObject({ status: "ok", detail: expect.stringContaining("(pinned to replicate)") });
  });
});

describe("doctor's exit code", () => {
  it("is 2 when a config problem and a service problem are both found (fix the setup first)", () => {
    const fail = (kind: "config" | "service"): DoctorCheck => ({ id: "mllm", label: "x", status: "fail", kind, detail: "" });
    expect(exitCodeOf([fail("service")])).toBe(4);
    expect(exitCodeOf([fail("service"), fail("config")])).toBe(2);
    expect(exitCodeOf([{ id: "node", label: "x", status: "warn", detail: "" }])).toBe(0);
  });
});
