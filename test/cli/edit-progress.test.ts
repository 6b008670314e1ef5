// What a person watching one edit sees: timestamped step lines when stderr is a pipe, a live line on a terminal
// (driven through a pseudo-terminal by util-linux `script`), nothing with -q.
import { execFile } from "node:child_process";
import { copyFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startFakeProviders, type FakeProviders } from "../fakes/fake-providers.mjs";
import { reasoningResponder } from "../fakes/reasoning-responder.mjs";
import { BIN, cleanEnv, makeTempHome, runCli } from "../support/run-cli.js";
import { expectExit } from "../support/assertions.js";

const ROUTED_BIN = new URL("../fakes/routed-bin.mjs", import.meta.url).pathname;

const FIXTURE = new URL("../../fixtures/chelsea.png", import.meta.url);

let fake: FakeProviders;
let home: { dir: string; cleanup: () => void };

beforeAll(async () => {
  fake = await startFakeProviders({ latencyMs: { edit: 2500 } });
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => {
  home = makeTempHome();
  copyFileSync(FIXTURE, join(home.dir, "cat.png"));
  fake.setChat(reasoningResponder({ verdicts: [{ refine: "make the whiskers white too" }, "success"] }));
});
afterEach(() => home.cleanup());

const urls = () => ["--mllm-url", `${fake.url}/v1`, "--editor-url", fake.url, "--max-retries", "0", "--seed", "7"];

describe("progress of one edit", () => {
  it("prints timestamped step lines in order, naming where each call went, when stderr is not a terminal", async () => {
    const result = await runCli(["edit", "cat.png", "make it snow", ...urls()], { cwd: home.dir, env: cleanEnv(home.dir) });
    expectExit(result, 0);
    const lines = result.stderr.split("\n").filter((line) => /^\d\d:\d\d:\d\d /.test(line));
    const host = new URL(fake.url).host;
    const starts = lines.filter((line) => line.includes(`via ${host}`)).map((line) => line.replace(/^\S+ /, "").replace(/ \(.*$/, ""));
    expect(starts[0]).toBe("thinking");
    expect(starts).toContain("describing the target");
    expect(starts).toContain("round 1: editing");
    expect(starts).toContain("round 1: assessing");
    expect(starts).toContain("round 2: concluding");
    expect(starts.indexOf("thinking")).toBe(0);
    expect(starts.indexOf("round 1: editing")).toBeLessThan(starts.indexOf("round 1: assessing"));
    expect(starts.indexOf("round 1: concluding")).toBeLessThan(starts.indexOf("round 2: editing"));
    expect(lines.some((line) => /round 1: editing: done in \d+\.\d s$/.test(line))).toBe(true);
    expect(lines.some((line) => /round 1: refine \(assessed .*\/10, SC \[.*\]\/10 · PQ \[.*\]\/10 · value .*\/100/.test(line))).toBe(true);
  });

  it("prints nothing but the result with -q", async () => {
    const result = await runCli(["edit", "cat.png", "make it snow", "-q", ...urls()], { cwd: home.dir, env: cleanEnv(home.dir) });
    expectExit(result, 0);
    expect(result.stderr).toBe("");
  });

  it("on a terminal keeps one live line per running step with its elapsed seconds, then replaces it with the result", async () => {
    const command = [process.execPath, BIN, "edit", "cat.png", "'make it snow'", ...urls()].join(" ");
    const output = await new Promise<string>((resolve, reject) =>
      execFile("script", ["-qec", command, "/dev/null"], { cwd: home.dir, env: cleanEnv(home.dir), timeout: 60_000 }, (error, stdout) =>
        error ? reject(error) : resolve(stdout),
      ),
    );
    expect(output).toMatch(/round 1: editing… [12] s \(Qwen-Image-Edit via [^)]+\)/);
    expect(output).toContain("\r\x1b[2K");
    expect(output).toMatch(/round 1: refine \(assessed/);
    expect(output).toContain("accepted: kept round 2 of 2");
    expect(output).not.toMatch(/^\d\d:\d\d:\d\d /m);
  });
});

describe("progress of one edit on hosted routes", () => {
  let hosted: FakeProviders;
  beforeAll(async () => {
    // auto must skip replicate, whose Hub health check failed; fal then holds the job behind two others.
    hosted = await startFakeProviders({
      falQueueAhead: 2,
      falPolls: 1,
      routerChatProvider: "novita",
      defaultMapping: [
        { provider: "replicate", providerId: "owner/broken", task: "image-to-image", status: "error" },
        { provider: "fal-ai", providerId: "fal-ai/qwen-image-edit", task: "image-to-image", status: "live" },
      ],
    });
  });
  afterAll(async () => {
    await hosted.close();
  });
  beforeEach(() => hosted.setChat(reasoningResponder({ verdicts: [{ refine: "make the whiskers white too" }, "success"] })));

  const hostedEnv = () => cleanEnv(home.dir, { HF_TOKEN: "hf_progressRoutesToken123456", REASONEDIT_FAKE_URL: hosted.url });
  const args = ["edit", "cat.png", "make it snow", "--max-retries", "0", "--seed", "7"];

  it("names the provider auto resolved to and fal's queue position in the step lines", async () => {
    const result = await runCli(args, { cwd: home.dir, env: hostedEnv(), launcher: ROUTED_BIN });
    expect(result.code).toBe(0);
    const steps = result.stderr.split("\n").filter((line) => /^\d\d:\d\d:\d\d /.test(line)).map((line) => line.replace(/^\S+ /, ""));
    const mllm = "Qwen3-VL-235B-A22B-Instruct";
    expect(steps[0]).toBe(`thinking (${mllm} via auto)`);
    expect(steps[1]).toBe(`thinking (${mllm} via novita)`);
    // Once a call said where auto went, the next ones start there.
    expect(steps).toContain(`describing the target (${mllm} via novita)`);
    const round1 = steps.filter((line) => line.startsWith("round 1: editing ("));
    expect(round1).toEqual([
      "round 1: editing (Qwen-Image-Edit via auto)",
      "round 1: editing (Qwen-Image-Edit via fal-ai)",
      "round 1: editing (Qwen-Image-Edit via fal-ai, queued 3rd)",
      "round 1: editing (Qwen-Image-Edit via fal-ai, queued 2nd)",
      "round 1: editing (Qwen-Image-Edit via fal-ai, queued 1st)",
      "round 1: editing (Qwen-Image-Edit via fal-ai, running)",
    ]);
    expect(steps.indexOf(round1.at(-1)!)).toBeLessThan(steps.findIndex((line) => /^round 1: editing: done in/.test(line)));
    expect(steps.filter((line) => line.startsWith("round 2: editing ("))[0]).toBe("round 2: editing (Qwen-Image-Edit via fal-ai)");
    expect(hosted.requestsOf("fal-submit")).toHaveLength(2);
  });

  it("on a terminal shows the resolved provider and the queue position on the live line", async () => {
    const command = [process.execPath, ROUTED_BIN, ...args.map((arg) => (arg.includes(" ") ? `'${arg}'` : arg))].join(" ");
    const output = await new Promise<string>((resolve, reject) =>
      execFile("script", ["-qec", command, "/dev/null"], { cwd: home.dir, env: hostedEnv(), timeout: 60_000 }, (error, stdout) =>
        error ? reject(error) : resolve(stdout),
      ),
    );
    expect(output).toMatch(/round 1: editing… \d+ s \(Qwen-Image-Edit via fal-ai, queued 3rd\)/);
    expect(output).toMatch(/round 1: editing… \d+ s \(Qwen-Image-Edit via fal-ai, running\)/);
    expect(output).toMatch(/scoring SC… \d+ s \(Qwen3-VL-235B-A22B-Instruct via novita\)/);
    expect(output).toContain("accepted: kept round 2 of 2");
  });
});
