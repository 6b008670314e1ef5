// Two evals on one --out-dir would bill every item twice and write over each other's reports: the second is refused
// before any model call, and a finished eval leaves no lock behind.
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FIXTURES } from "./eval-doubles.js";
import { cleanEnv, runCli } from "../support/run-cli.js";
import { expectExit } from "../support/assertions.js";
import { startEvalFake, type EvalFake } from "./eval-fake.js";

let fake: EvalFake;
let home: string;

beforeAll(async () => {
  fake = await startEvalFake();
  home = await mkdtemp(path.join(tmpdir(), "reasonedit-eval-lock-"));
  const row = { key: "cup-blue", task_type: "color_alter", instruction: "make the cup blue [1 round]", input_image: path.join(FIXTURES, "coffee.png") };
  await writeFile(path.join(home, "bench.jsonl"), `${JSON.stringify(row)}\n`);
});

afterAll(async () => {
  await fake?.close();
  if (home) await rm(home, { recursive: true, force: true });
});

function evaluate(outDir: string) {
  const args = ["eval", "bench.jsonl", "--modes", "single", "--out-dir", outDir, "--no-cache", ...fake.urlFlags];
  return runCli(args, { cwd: home, env: cleanEnv(home) });
}

describe("eval's --out-dir lock", () => {
  it("refuses an --out-dir another live eval holds: exit 5, its pid named, no model call", async () => {
    const outDir = path.join(home, "held");
    await mkdir(outDir);
    const holder = { pid: process.pid, host: hostname(), started: new Date().toISOString(), token: "0123456789abcdef", command: "eval" };
    await writeFile(path.join(outDir, ".reasonedit.lock"), JSON.stringify(holder));
    const before = fake.modelCalls();
    const result = await evaluate(outDir);
    expectExit(result, 5);
    expect(result.stderr).toContain(`--out-dir ${outDir} is in use by another reasonedit run (pid ${process.pid}`);
    expect(result.stderr).toContain("running eval)");
    expect(result.stderr).toContain("choose another folder");
    expect(result.stderr).not.toContain("--wait");
    expect(fake.modelCalls()).toBe(before);
  });

  it("takes over the lock of an eval that died, and releases its own when done", async () => {
    const outDir = path.join(home, "stale");
    await mkdir(outDir);
    const dead = { pid: 2 ** 22 + 12345, host: hostname(), started: new Date().toISOString(), token: "fedcba9876543210", command: "eval" };
    await writeFile(path.join(outDir, ".reasonedit.lock"), JSON.stringify(dead));
    const result = await evaluate(outDir);
    expect(result.code, result.stderr).toBe(0);
    expect(existsSync(path.join(outDir, "report.json"))).toBe(true);
    expect(existsSync(path.join(outDir, ".reasonedit.lock"))).toBe(false);
  });
});
