// The local-file checks: custom prompts that load (or the template's own hint), a run dir that can be made, a
// cache dir that is reasonedit's.
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { checkPrompts } from "../../../src/app/doctor/folder-checks.js";
import { check, useDoctorSandbox } from "./doctor-harness.js";

const sandbox = useDoctorSandbox();
const { doctor } = sandbox;

describe("doctor and local files", () => {
  it("reports prompts that do not load as a config problem with the template's own hint", async () => {
    const prompts = path.join(sandbox.home, "prompts");
    await mkdir(prompts);
    await writeFile(path.join(prompts, "conclude.md"), "Judge the edit of {{instruction}}. Reply with JSON.");

    const result = await checkPrompts(prompts);

    expect(result).toMatchObject({ status: "fail", kind: "config" });
    expect(result.detail).toContain('it does not ask for the JSON fields "verdict", "refined_instruction"');
    expect(result.fix).toContain("docs/DESIGN.md §2");
    expect((await doctor({ prompts })).exitCode).toBe(2);
  });

  it("lists custom prompts and the built-in ones they fall back to", async () => {
    const prompts = path.join(sandbox.home, "prompts");
    await mkdir(prompts);
    await writeFile(path.join(prompts, "describe.md"), "Describe the finished image for: {{instruction}}. Reply with JSON {\"target_description\": string}.");

    expect(await checkPrompts(prompts)).toMatchObject({ status: "ok", detail: `${prompts}: describe.md; built-in for the other 8` });
    expect(await checkPrompts(path.join(sandbox.home, "missing"))).toMatchObject({ status: "fail", kind: "config" });
  });

  it("fails when the run dir cannot be created, and warns when the cache dir belongs to something else", async () => {
    const file = path.join(sandbox.home, "a-file");
    await writeFile(file, "not a folder");
    const foreign = path.join(sandbox.home, "photos");
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
