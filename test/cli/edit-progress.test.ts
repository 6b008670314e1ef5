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
