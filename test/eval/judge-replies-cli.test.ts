// A judge whose scores are not numbers, from the built bin: each such reply is asked again once, then counted as
// missing; it never becomes a score of 0, and the other items' scores stand.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FIXTURES } from "./eval-doubles.js";
import { cleanEnv, runCli, type CliResult } from "../support/run-cli.js";
import { startEvalFake, type EvalFake } from "./eval-fake.js";

const BENCHMARK = [
  { key: "cup-blue", task_type: "color_alter", instruction: "make the cup blue [1 round]", input_image: "coffee.png" },
  { key: "cup-null", task_type: "color_alter", instruction: "make the cup red [1 round] [null scores]", input_image: "coffee.png" },
];

let fake: EvalFake;
let home: string;
let result: CliResult;

beforeAll(async () => {
  fake = await startEvalFake();
  home = await mkdtemp(path.join(tmpdir(), "reasonedit-judge-replies-"));
  const rows = BENCHMARK.map((row) => ({ ...row, input_image: path.join(FIXTURES, row.input_image) }));
  await writeFile(path.join(home, "bench.jsonl"), rows.map((row) => JSON.stringify(row)).join("\n"));
  const args = ["eval", "bench.jsonl", "--modes", "single", "--out-dir", "out", "--no-cache", ...fake.urlFlags];
  result = await runCli(args, { cwd: home, env: cleanEnv(home) });
}, 120_000);

afterAll(async () => {
  await fake?.close();
  if (home) await rm(home, { recursive: true, force: true });
});

function judgeRequestsAbout(marker: string): number {
  return fake.fake.requests.filter((request) => request.path.startsWith("/judge/") && JSON.stringify(request.body).includes(marker)).length;
}

describe("a judge answering null scores", () => {
  it("asks that semantics prompt again once, then gives up: two asks, while quality is scored as usual", async () => {
    expect(result.code, result.stderr).toBe(0);
    expect(judgeRequestsAbout("[null scores]")).toBe(2);
    const report = await readReport();
    expect(itemOf(report, "cup-null").judged.calls).toBe(3);
    expect(itemOf(report, "cup-blue").judged.calls).toBe(2);
    expect(report.modes.single.judge.calls).toBe(5);
  });

  it("reports that score as missing, not as 0, and SC and O from the scored item alone", async () => {
    const report = await readReport();
    const languages = report.modes.single.languages;
    expect(Object.keys(languages)).toEqual(["unspecified"]);
    expect(languages.unspecified.missing).toEqual({ SC: 1, PQ: 0, O: 1 });
    expect(report.modes.single.items).toMatchObject({ total: 2, scored: 1 });
    const scored = itemOf(report, "cup-blue").scores;
    expect(scored.O).toBeGreaterThan(0);
    expect(report.modes.single.overall).toMatchObject({ SC: scored.SC, O: scored.O });
    expect(itemOf(report, "cup-null").scores?.SC ?? null).toBeNull();
  });
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- report.json as written
type Report = any;

async function readReport(): Promise<Report> {
  return JSON.parse(await readFile(path.join(home, "out", "report.json"), "utf8"));
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- one item of report.json
function itemOf(report: Report, key: string): any {
  return report.items.find((item: { key: string }) => item.key === key).modes.single;
}
