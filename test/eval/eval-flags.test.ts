// A bad value reads the same whichever command it is given to: eval's own flags go through the same parser and
// validators as edit's settings and batch's flags, so the message names the flag, where the value came from and
// what a good value is, in the same words, and the hint names the command.
import { copyFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { resolveEvalOptions } from "../../src/eval/eval-options.js";
import { resolveSettings } from "../../src/config/settings.js";
import { cleanEnv, makeTempHome, runCli } from "../support/run-cli.js";

const BENCH = new URL("../../fixtures/bench/sample.jsonl", import.meta.url).pathname;
const FIXTURE = new URL("../../fixtures/chelsea.png", import.meta.url).pathname;

let home: { dir: string; cleanup: () => void };
beforeEach(() => {
  home = makeTempHome();
  copyFileSync(FIXTURE, join(home.dir, "cat.png"));
});
afterEach(() => home.cleanup());

/** The message with the flag, the variable and the command replaced by placeholders. */
function shape(stderr: string, flag: string, command: string): string {
  return stderr.replaceAll(flag, "<flag>").replaceAll(`reasonedit ${command} --help`, "reasonedit <command> --help");
}

describe("a bad flag value", () => {
  it("is worded by eval exactly as by edit and batch, and exits 2 before any call", async () => {
    const runs = [
      { command: "edit", flag: "--rounds", args: ["edit", "cat.png", "make it snow", "--rounds", "lots"] },
      { command: "eval", flag: "--judge-repeats", args: ["eval", BENCH, "--judge-repeats", "lots"] },
      { command: "batch", flag: "-j/--concurrency", args: ["batch", "cat.png", "--instruction", "make it snow", "--out-dir", "out", "-j", "lots"] },
    ];
    const results = await Promise.all(runs.map((run) => runCli(run.args, { cwd: home.dir, env: cleanEnv(home.dir) })));
    for (const result of results) expect(result.code).toBe(2);
    const shapes = results.map((result, index) => shape(result.stderr, runs[index]!.flag, runs[index]!.command));
    expect(shapes[0]).toBe("reasonedit: invalid <flag> (from the command line): must be a number\n  → see `reasonedit <command> --help` for every flag and its default\n");
    expect(shapes[1]).toBe(shapes[0]);
    expect(shapes[2]).toBe(shapes[0]);
  });

  it("names the variable a bad value came from, and the choices, in the same words as a setting", () => {
    const judgeImages = () => resolveEvalOptions({}, { REASONEDIT_JUDGE_IMAGES: "huge" }, "b.jsonl", "/w");
    const chain = () => resolveSettings({ env: { chain: "sideways" as never }, command: "edit" });
    expect(judgeImages).toThrow("invalid --judge-images (from REASONEDIT_JUDGE_IMAGES): must be one of working, original");
    expect(() => resolveSettings({ flags: { keepImages: "some" as never } })).toThrow("invalid --keep-images (from the command line): must be one of all, final, none");
    expect(chain).toThrow("invalid --chain (from REASONEDIT_CHAIN): must be one of latest, source");
  });

  it("keeps eval's ranges: a count of 0, a repeat above 10, a score above 100 are refused; good values pass", () => {
    const resolve = (flags: Record<string, unknown>) => () => resolveEvalOptions(flags, {}, "b.jsonl", "/w");
    expect(resolve({ concurrency: "0" })).toThrow("invalid -j/--concurrency (from the command line): must be at least 1");
    expect(resolve({ judgeRepeats: "11" })).toThrow("invalid --judge-repeats (from the command line): must be at most 10");
    expect(resolve({ minScore: "101", modes: "loop" })).toThrow("invalid --min-score (from the command line): must be at most 100");
    expect(resolve({ limit: "2.5" })).toThrow("invalid --limit (from the command line): must be a whole number");
    expect(resolve({ judgeUrl: "ftp://host" })).toThrow("invalid --judge-url (from the command line): must be an http(s) URL");
    expect(resolve({ concurrency: "8", judgeRepeats: "3", minScore: "6.5", modes: "loop", limit: "4", sample: "2" })()).toMatchObject({
      concurrency: 8,
      judgeRepeats: 3,
      minScore: 6.5,
      limit: 4,
      sample: 2,
    });
  });
});
