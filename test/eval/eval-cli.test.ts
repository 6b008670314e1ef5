import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FIXTURES } from "./eval-doubles.js";
import { cleanEnv, runCli, type CliResult } from "../support/run-cli.js";
import { startEvalFake, type EvalFake } from "./eval-fake.js";
import { expectExit } from "../support/assertions.js";

// Needs the built CLI (npm test builds it first); the fake answers every model on 127.0.0.1, so no token is used.
const BENCHMARK = [
  { key: "cup-blue", task_type: "color_alter", instruction: "make the cup blue [1 round]", input_image: "coffee.png" },
  { key: "cat-eyes", task_type: "color_alter", instruction: "make the eyes green [2 rounds]", input_image: "chelsea.png" },
  { key: "rocket-paint", task_type: "style_change", instruction: "paint it as a watercolour [3 rounds]", input_image: "rocket.jpg" },
  { key: "cup-odd", task_type: "style_change", instruction: "make it pop [1 round] [unjudgeable]", input_image: "coffee.png" },
];

let fake: EvalFake;
let home: string;
let benchmark: string;
let cacheDir: string;
let first: CliResult;
let second: CliResult;
let callsAfterFirst: number;
let callsAfterSecond: number;

function evalArgs(outDir: string, ...extra: string[]): string[] {
  return ["eval", benchmark, "--out-dir", outDir, "--cache-dir", cacheDir, "-j", "4", "--rounds", "3", ...fake.urlFlags, ...extra];
}

function cli(args: string[]): Promise<CliResult> {
  return runCli(args, { cwd: home, env: cleanEnv(home) });
}

function withoutWallTimes(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutWallTimes);
  if (typeof value !== "object" || value === null) return value;
  return Object.fromEntries(Object.entries(value).filter(([key]) => key !== "wall_ms").map(([key, inner]) => [key, withoutWallTimes(inner)]));
}

async function readReport(outDir: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(path.join(home, outDir, "report.json"), "utf8")) as Record<string, unknown>;
}

beforeAll(async () => {
  fake = await startEvalFake();
  home = await mkdtemp(path.join(tmpdir(), "reasonedit-eval-cli-"));
  benchmark = path.join(home, "bench.jsonl");
  cacheDir = path.join(home, "shared-cache");
  const rows = BENCHMARK.map((row) => ({ ...row, input_image: path.relative(home, path.join(FIXTURES, row.input_image)) }));
  await writeFile(benchmark, rows.map((row) => JSON.stringify(row)).join("\n"));
  first = await cli(evalArgs("first", "--json"));
  callsAfterFirst = fake.modelCalls();
  second = await cli(evalArgs("second"));
  callsAfterSecond = fake.modelCalls();
}, 120_000);

afterAll(async () => {
  await fake?.close();
  if (home) await rm(home, { recursive: true, force: true });
});

describe("reasonedit eval", () => {
  it("scores every mode and writes report.json, report.md and report.html", async () => {
    expect(first.stderr).not.toMatch(/internal error/);
    expectExit(first, 0);
    const report = (await readReport("first")) as { modes: Record<string, { overall: { O: number }; cost: { editor_calls: number } }> };
    expect(Object.keys(report.modes)).toEqual(["single", "think", "loop", "reroll"]);
    expect(report.modes.loop!.cost.editor_calls).toBe(1 + 2 + 3 + 1);
    expect(report.modes.reroll!.cost.editor_calls).toBe(report.modes.loop!.cost.editor_calls);
    expect(existsSync(path.join(home, "first", "report.md"))).toBe(true);
    expect(existsSync(path.join(home, "first", "report.html"))).toBe(true);
    const summary = JSON.parse(first.stdout) as { report_json: string; modes: Record<string, unknown> };
    expect(summary.report_json).toBe(path.join(home, "first", "report.json"));
    expect(Object.keys(summary.modes)).toEqual(["single", "think", "loop", "reroll"]);
  });

  it("reports the judge reply it could not parse as missing, after re-asking once", async () => {
    const report = (await readReport("first")) as { modes: Record<string, { languages: Record<string, { missing: { SC: number; PQ: number; O: number } }> }> };
    expect(report.modes.single!.languages.unspecified!.missing).toEqual({ SC: 1, PQ: 0, O: 1 }); // PQ never sees the instruction
    const judgeAsks = fake.fake.requestsOf("chat").filter((r) => r.path.startsWith("/judge/") && JSON.stringify(r.body).includes("[unjudgeable]"));
    expect(judgeAsks.length % 2).toBe(0); // every unparseable reply was asked again once
  });

  it("replays from the cache with no model calls and the same report.json, wall times aside", async () => {
    expect(callsAfterFirst).toBeGreaterThan(0);
    expectExit(second, 0);
    expect(callsAfterSecond).toBe(callsAfterFirst);
    expect(withoutWallTimes(await readReport("second"))).toEqual(withoutWallTimes(await readReport("first")));
  });

  it("gates on the loop mode's O with --min-score: exit 3 below, 0 at or above", { timeout: 120_000 }, async () => {
    const report = (await readReport("first")) as { modes: { loop: { overall: { O: number } } } };
    const loopO = report.modes.loop.overall.O;
    const below = await cli(evalArgs("gate-fail", "--offline", "--min-score", String(Math.min(10, loopO + 0.5))));
    expectExit(below, 3);
    expect(below.stderr).toMatch(/gate: loop O .* FAILED/);
    const above = await cli(evalArgs("gate-pass", "--offline", "--min-score", String(Math.max(0, loopO - 0.5))));
    expectExit(above, 0);
    expect(((await readReport("gate-pass")) as { gate: { passed: boolean } }).gate.passed).toBe(true);
  });

  it("scores KRIS-Bench's way with --metric kris: four criteria on 0–100, pooled, per meta-category", { timeout: 120_000 }, async () => {
    const kris = path.join(home, "kris.jsonl");
    const rows = [
      { key: "paper", task_type: "chemistry", instruction: "burn the paper [1 round]", input_image: "coffee.png", knowledge_hint: "it blackens and curls" },
      { key: "cup-red", task_type: "color_change", instruction: "make the cup red [1 round]", input_image: "coffee.png" },
    ].map((row) => ({ ...row, input_image: path.relative(home, path.join(FIXTURES, row.input_image)) }));
    await writeFile(kris, rows.map((row) => JSON.stringify(row)).join("\n"));
    const result = await cli(["eval", kris, "--out-dir", "kris", "--cache-dir", cacheDir, "--modes", "single,loop", "--metric", "kris", ...fake.urlFlags]);
    expect(result.stderr).not.toMatch(/internal error/);
    expectExit(result, 0);
    type KrisReport = {
      metric: { name: string; headline: string };
      modes: Record<string, { languages: Record<string, { overall: Record<string, number | null>; meta_categories: Record<string, unknown> }> }>;
      items: Array<{ key: string; modes: Record<string, { judged: { answers: unknown[] }; judge_cost: { calls: number } }> }>;
    };
    const report = (await readReport("kris")) as KrisReport;
    expect(report.metric).toMatchObject({ name: "kris", headline: "score" });
    const overall = report.modes.single!.languages.unspecified!.overall;
    for (const key of ["VC", "VQ", "IF", "KP", "score"]) expect(overall[key]).toBeGreaterThanOrEqual(0);
    expect(overall.VQ).toBe(100); // the fake rates quality 5
    expect(overall.KP).toBe(50); // knowledge 3, only for chemistry
    expect(Object.keys(report.modes.single!.languages.unspecified!.meta_categories).sort()).toEqual(["conceptual", "factual"]);
    expect(report.items[0]!.modes.single!.judge_cost.calls).toBe(3);
    const hinted = fake.fake.requestsOf("chat").filter((r) => r.path.startsWith("/judge/") && JSON.stringify(r.body).includes("it blackens and curls"));
    expect(hinted.length).toBeGreaterThan(0);
    expect(hinted.every((r) => r.body.response_format.json_schema.name === "kris-knowledge")).toBe(true);
    expect(result.stderr).toMatch(/single +score \d+\.\d\d \(VC/);
  });

  it("shows the judge GEdit's rendering with --judge-images original: full size, images first for a Qwen judge", { timeout: 120_000 }, async () => {
    const before = fake.fake.requestsOf("chat").length;
    const result = await cli(evalArgs("original", "--modes", "single", "--judge-images", "original"));
    expectExit(result, 0);
    const judged = fake.fake.requestsOf("chat").slice(before).filter((r) => r.path.startsWith("/judge/"));
    expect(judged.length).toBeGreaterThan(0);
    for (const request of judged) {
      const user = request.body.messages.find((m: { role: string }) => m.role === "user");
      expect(user.content[0].type).toBe("image_url");
    }
    // The fixtures are under 1024 px, so full size shows as the input's own size, sent as PNG (working sends JPEG).
    const { default: sharp } = await import("sharp");
    const seen = await Promise.all(judged.flatMap((r) => r.images).map(async (image) => sharp(image.data).metadata()));
    expect(new Set(seen.map((meta) => meta.format))).toEqual(new Set(["png"]));
    expect(new Set(seen.map((meta) => `${meta.width}x${meta.height}`))).toEqual(new Set(["600x400", "451x300", "640x427"]));
  });

  it("fails with exit 2 and says why when --offline meets an empty cache", async () => {
    const before = fake.modelCalls();
    const result = await cli(["eval", benchmark, "--out-dir", "offline", "--cache-dir", path.join(home, "empty-cache"), "--offline", ...fake.urlFlags]);
    expectExit(result, 2);
    expect(result.stderr).toMatch(/offline: no cached answer/);
    expect(result.stderr).toMatch(/without --offline/);
    expect(fake.modelCalls()).toBe(before);
  });

  it("refuses to start without a token when the judge is hosted, before any call", async () => {
    const flags = fake.urlFlags.slice(0, 4);
    const result = await cli(["eval", benchmark, "--out-dir", "no-token", "--cache-dir", cacheDir, ...flags]);
    expectExit(result, 2);
    expect(result.stderr).toMatch(/HF_TOKEN is not set, and the judge \(Qwen\/Qwen2\.5-VL-72B-Instruct\)/);
  });

  it("refuses --no-think and --no-reflect, which would make two modes the same", async () => {
    const result = await cli(["eval", benchmark, "--no-reflect", ...fake.urlFlags]);
    expectExit(result, 2);
    expect(result.stderr).toMatch(/eval does not take --no-reflect/);
  });

  it("rejects a benchmark whose image is missing with exit 2, naming the line", async () => {
    const broken = path.join(home, "broken.jsonl");
    await writeFile(broken, JSON.stringify({ key: "a", task_type: "x", instruction: "y", input_image: "nowhere.png" }));
    const result = await cli(["eval", broken, "--out-dir", "broken", "--cache-dir", cacheDir, ...fake.urlFlags]);
    expectExit(result, 2);
    expect(result.stderr).toMatch(/line 1: input_image .*nowhere\.png does not exist/);
  });
});

describe("reasonedit show", () => {
  const loopRun = () => path.join(home, "first", "items", "cat-eyes", "loop");

  it("prints a run's rounds with instruction, verdict, scores and timings", async () => {
    const result = await cli(["show", loopRun()]);
    expectExit(result, 0);
    expect(result.stdout).toMatch(/round 1 \(edits source, seed \d+\): "make the eyes green \[2 rounds\]"/);
    expect(result.stdout).toMatch(/refine → "make the eyes green \[2 rounds\] \(fix\)"/);
    expect(result.stdout).toMatch(/round 2 .*\(edits round 1/);
    expect(result.stdout).toMatch(/SC \[7, 8\]\/10 · PQ \[7, 8\]\/10 · value 49\/100/);
    expect(result.stdout).toMatch(/edit \d+\.\ds · assess/);
  });

  it("prints JSON with --json and writes a contact sheet with --sheet", async () => {
    const sheet = path.join(home, "sheet.png");
    const result = await cli(["show", path.join(loopRun(), "run.json"), "--json", "--sheet", sheet]);
    expectExit(result, 0);
    const json = JSON.parse(result.stdout) as { rounds: Array<{ verdict: string }>; kept_round: number };
    expect(json.rounds.map((round) => round.verdict)).toEqual(["refine", "success"]);
    const { default: sharp } = await import("sharp");
    const meta = await sharp(sheet).metadata();
    expect(meta.format).toBe("png");
    expect(meta.width).toBeGreaterThan(3 * 100);
  });

  it("shows the newest run under --run-dir when no run is named, and says so when there is none", async () => {
    const newest = await cli(["show", "--run-dir", path.join(home, "first", "items", "cat-eyes")]);
    expectExit(newest, 0);
    expect(newest.stdout).toMatch(/^run /);
    const none = await cli(["show", "--run-dir", path.join(home, "no-runs")]);
    expectExit(none, 2);
    expect(none.stderr).toMatch(/no runs under/);
  });
});

describe("reasonedit cache", () => {
  it("counts the cached answers, then clears them", async () => {
    const stats = await cli(["cache", "stats", "--cache-dir", cacheDir, "--json"]);
    expectExit(stats, 0);
    const counted = JSON.parse(stats.stdout) as { entries: number; chat: number; edit: number; bytes: number };
    expect(counted.edit).toBeGreaterThan(0);
    expect(counted.chat).toBeGreaterThan(0);
    expect(counted.entries).toBe(counted.chat + counted.edit);
    const human = await cli(["cache", "stats", "--cache-dir", cacheDir]);
    expect(human.stdout).toMatch(/entries \d+ \(\d+ chat, \d+ edit\)/);
    const cleared = await cli(["cache", "clear", "--cache-dir", cacheDir]);
    expectExit(cleared, 0);
    expect(cleared.stdout).toMatch(new RegExp(`removed ${counted.entries} entries`));
    const after = JSON.parse((await cli(["cache", "stats", "--cache-dir", cacheDir, "--json"])).stdout) as { entries: number };
    expect(after.entries).toBe(0);
  });

  it("refuses to clear a folder that is not a reasonedit cache", async () => {
    const other = path.join(home, "not-a-cache");
    await writeFile(path.join(home, "keep.txt"), "x");
    await import("node:fs/promises").then(({ mkdir, copyFile }) => mkdir(other).then(() => copyFile(path.join(home, "keep.txt"), path.join(other, "keep.txt"))));
    const result = await cli(["cache", "clear", "--cache-dir", other]);
    expectExit(result, 2);
    expect(result.stderr).toMatch(/refusing to clear/);
    expect(existsSync(path.join(other, "keep.txt"))).toBe(true);
  });
});

const CHROMIUM = "/usr/bin/chromium";
const chromiumMissing = !existsSync(CHROMIUM);
if (chromiumMissing) console.warn(`report.html rendering test SKIPPED: ${CHROMIUM} is absent (install it: apt-get install -y chromium)`);

/** The DOM after the page's load event, as headless Chromium sees it opening the file from disk. */
function dumpDom(file: string, profile: string): Promise<string> {
  const args = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    `--user-data-dir=${profile}`,
    "--dump-dom",
    `file://${file}`,
  ];
  return new Promise((resolve, reject) => {
    execFile(CHROMIUM, args, { timeout: 90_000, maxBuffer: 64 * 1024 * 1024 }, (error, stdout) => (error ? reject(error) : resolve(stdout)));
  });
}

describe("report.html", () => {
  it.skipIf(chromiumMissing)(
    `opens from disk in headless Chromium with every image loaded and the tables filled${chromiumMissing ? ` (SKIPPED: ${CHROMIUM} is absent)` : ""}`,
    { timeout: 120_000 },
    async () => {
      const dom = await dumpDom(path.join(home, "first", "report.html"), path.join(home, "chromium-profile"));
      const total = Number(/data-images-total="(\d+)"/.exec(dom)?.[1]);
      const loaded = Number(/data-images-loaded="(\d+)"/.exec(dom)?.[1]);
      // per item: the source, four results, the loop's rounds and reroll's samples when there are several
      expect(total).toBeGreaterThanOrEqual(BENCHMARK.length * 5);
      expect(loaded).toBe(total);
      expect(dom).not.toContain('data-loaded="false"');
      expect(dom.match(/data-loaded="true"/g)).toHaveLength(total);
      const overall = /<table id="overall-unspecified">[\s\S]*?<\/table>/.exec(dom)?.[0] ?? "";
      expect(overall.match(/<tr>/g)).toHaveLength(1 + 4);
      for (const mode of ["single", "think", "loop", "reroll"]) expect(overall).toContain(`<td>${mode}</td>`);
      expect(dom).toMatch(/<table id="categories-unspecified">[\s\S]*<td>color_alter<\/td>[\s\S]*<td>style_change<\/td>/);
      for (const row of BENCHMARK) expect(dom).toContain(`id="item-${row.key}"`);
      expect(dom).toMatch(/verdict-refine[^>]*>1\. refine/);
    },
  );
});
