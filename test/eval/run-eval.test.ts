import { access, readFile } from "node:fs/promises";
import path from "node:path";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ReasonEditError } from "../../src/errors.js";
import { parseBenchmark } from "../../src/eval/benchmark.js";
import { VieScoreJudge } from "../../src/eval/judge.js";
import { DEFAULT_MODES, seedFor, type EvalMode } from "../../src/eval/modes.js";
import type { ItemOutcome } from "../../src/eval/outcome.js";
import { buildReport, type LoopBehaviour, type ReportSettings } from "../../src/eval/report.js";
import { writeReports } from "../../src/eval/report-files.js";
import { runEval, type EvalPlan } from "../../src/eval/run-eval.js";
import { DEFAULT_LOOP_SETTINGS } from "../../src/loop/run-edit-loop.js";
import type { LoopSettings } from "../../src/loop/run-edit-loop.js";
import { CountingWorkbench, FIXTURES, HashJudgeScorer, HashScoringReasoner, MarkerReasoner, SeedTintEditor, testServices, useTempDirs } from "./eval-doubles.js";

const tempDir = useTempDirs();

const BENCHMARK = [
  { key: "one", task_type: "color_alter", instruction: "make the cup blue [1 round]", input_image: "coffee.png" },
  { key: "two", task_type: "color_alter", instruction: "make the eyes green [2 rounds]", input_image: "chelsea.png" },
  { key: "three", task_type: "style_change", instruction: "paint it in watercolour [3 rounds]", input_image: "rocket.jpg" },
]
  .map((row) => JSON.stringify(row))
  .join("\n");

interface Setup {
  reasoner?: MarkerReasoner;
  editor?: SeedTintEditor;
  scorers?: HashJudgeScorer[];
  modes?: EvalMode[];
  benchmark?: string;
  outDir?: string;
  workbench?: CountingWorkbench;
  loop?: Partial<LoopSettings>;
}

async function evaluate(setup: Setup = {}) {
  const reasoner = setup.reasoner ?? new MarkerReasoner();
  const editor = setup.editor ?? new SeedTintEditor();
  const scorers = setup.scorers ?? [new HashJudgeScorer()];
  const plan: EvalPlan = {
    items: parseBenchmark(setup.benchmark ?? BENCHMARK, FIXTURES, "test.jsonl"),
    modes: setup.modes ?? [...DEFAULT_MODES],
    loop: { ...DEFAULT_LOOP_SETTINGS, rounds: 3, seed: 0, ...setup.loop },
    baseSeed: 0,
    outDir: setup.outDir ?? (await tempDir()),
    concurrency: 2,
    settingsForRecord: {},
    cwd: FIXTURES,
  };
  const services = { ...testServices, reasoner, editor, ...(setup.workbench ? { workbench: setup.workbench } : {}) };
  const outcomes = await runEval({ plan, services, judge: new VieScoreJudge(scorers) });
  return { outcomes, plan, reasoner, editor, scorers };
}

function costs(outcome: ItemOutcome, mode: EvalMode) {
  const { mllm_calls, editor_calls, tokens } = outcome.modes[mode]!.cost;
  return { mllm_calls, editor_calls, tokens };
}

function settingsFor(plan: EvalPlan, repeats = 1): ReportSettings {
  return { benchmark: "test.jsonl", modes: plan.modes, mllm: "m", editor: "e", judge: "j", judge_repeats: repeats, rounds: 3, chain: "latest", candidates: 1, seed: 0 };
}

describe("eval modes", () => {
  // One run (two judge repeats) shared by these read-only checks: editing real photographs takes seconds.
  let shared: Awaited<ReturnType<typeof evaluate>>;
  beforeAll(async () => {
    shared = await evaluate({
      reasoner: new HashScoringReasoner(),
      scorers: [new HashJudgeScorer(), new HashJudgeScorer()],
      outDir: await mkdtemp(path.join(tmpdir(), "reasonedit-eval-shared-")),
    });
  });
  afterAll(() => rm(shared.plan.outDir, { recursive: true, force: true }));

  it("single makes one edit and no MLLM call; think adds the think call; loop reflects until its verdicts stop it", async () => {
    const { outcomes } = shared;
    const [one, two, three] = outcomes as [ItemOutcome, ItemOutcome, ItemOutcome];
    expect(costs(one, "single")).toEqual({ mllm_calls: 0, editor_calls: 1, tokens: 0 });
    expect(costs(one, "think")).toEqual({ mllm_calls: 1, editor_calls: 1, tokens: 15 });
    // think + describe, then assess, conclude, SC and PQ per round
    expect(costs(one, "loop")).toMatchObject({ mllm_calls: 2 + 4 * 1, editor_calls: 1 });
    expect(costs(two, "loop")).toMatchObject({ mllm_calls: 2 + 4 * 2, editor_calls: 2 });
    expect(costs(three, "loop")).toMatchObject({ mllm_calls: 2 + 4 * 3, editor_calls: 3 });
    expect(three.modes.loop!.stop_reason).toBe("round_limit");
    expect(two.modes.loop!.attempts.map((round) => round.verdict)).toEqual(["refine", "success"]);
  });

  it("reroll makes exactly as many edit calls as loop did on each item, each with a new seed, plus the reasoner's two round scores per sample", async () => {
    const { outcomes, editor } = shared;
    for (const outcome of outcomes) {
      const samples = outcome.modes.loop!.cost.editor_calls;
      expect(costs(outcome, "reroll")).toEqual({ mllm_calls: 2 * samples, editor_calls: samples, tokens: 2 * 15 * samples });
    }
    const rerollSeeds = (key: string, count: number) => Array.from({ length: count }, (_, k) => seedFor(0, key, "reroll") + k);
    expect(editor.seeds).toEqual(expect.arrayContaining([...rerollSeeds("one", 1), ...rerollSeeds("two", 2), ...rerollSeeds("three", 3)]));
    const totalEdits = outcomes.reduce((sum, outcome) => sum + DEFAULT_MODES.reduce((n, mode) => n + outcome.modes[mode]!.cost.editor_calls, 0), 0);
    expect(editor.seeds).toHaveLength(totalEdits);
  });

  it("reroll keeps the sample the reasoner's own SC·PQ ranks best (ties: the later one), as the loop picks its round", async () => {
    for (const outcome of shared.outcomes) {
      const reroll = outcome.modes.reroll!;
      const values = reroll.attempts.map((attempt) => Math.min(...attempt.loop_sc!) * Math.min(...attempt.loop_pq!));
      const expected = values.lastIndexOf(Math.max(...values));
      expect(reroll.attempts.map((attempt) => attempt.kept)).toEqual(values.map((_, k) => k === expected));
      expect(reroll.output).toBe(reroll.attempts[expected]!.image);
    }
  });

  it("reroll makes one judge call per item per judge prompt and repeat, for its kept sample only", async () => {
    for (const outcome of shared.outcomes) {
      const reroll = outcome.modes.reroll!;
      expect(reroll.judge_cost.calls).toBe(2 * 2); // SC and PQ, two repeats
      expect(reroll.judged!.repeats).toHaveLength(2);
      expect(reroll.attempts.filter((attempt) => attempt.judge !== null).map((attempt) => attempt.kept)).toEqual([true]);
      expect(reroll.attempts.find((attempt) => attempt.kept)!.judge).toEqual(reroll.scores);
    }
  });

  it("judges every mode's result once per repeat with SC and PQ, and nothing else", async () => {
    const { outcomes, scorers } = shared;
    const judgedImages = outcomes.length * DEFAULT_MODES.length;
    expect(scorers.map((scorer) => scorer.calls)).toEqual([2 * judgedImages, 2 * judgedImages]);
    expect(outcomes[0]!.modes.single!.judged!.repeats).toHaveLength(2);
  });

  it("reports loop behaviour: rounds played, verdicts, how often the kept round is not the last", async () => {
    const { outcomes, plan } = shared;
    const report = buildReport(outcomes, settingsFor(plan, 2), "test", { minScore: 5 });
    const behaviour = report.modes.loop!.behaviour as LoopBehaviour;
    expect(behaviour.stop_round_histogram).toEqual({ 1: 1, 2: 1, 3: 1 });
    expect(behaviour.stop_reasons).toEqual({ round_limit: 1, success: 2 });
    expect(behaviour.verdict_mix).toEqual({ success: 2, refine: 1, failed: 3, none: 0 });
    expect(behaviour.accepted).toEqual({ count: 2, share: 2 / 3 });
    expect(report.modes.loop!.cost).toMatchObject({ editor_calls: 6, mllm_calls: 6 + 10 + 14 });
    expect(report.modes.reroll!.cost).toMatchObject({ editor_calls: 6, mllm_calls: 2 * 6 });
    expect(report.modes.think!.delta_vs_single).not.toBeNull();
    expect(report.modes.single!.delta_vs_single).toBeNull();
    expect(report.gate).toMatchObject({ mode: "loop", min_score: 5, passed: (report.modes.loop!.overall!.O ?? 0) >= 5 });
  });

  it("writes every mode's image and run folder into the out-dir, and the three reports", async () => {
    const { outcomes, plan } = shared;
    const report = buildReport(outcomes, settingsFor(plan, 2), "test");
    const files = await writeReports(plan.outDir, report);
    const item = report.items[1]!;
    const paths = [item.source, ...DEFAULT_MODES.flatMap((mode) => [item.modes[mode]!.output!, ...item.modes[mode]!.attempts.map((a) => a.image!)])];
    await Promise.all(paths.map((file) => access(path.join(plan.outDir, file))));
    await access(path.join(plan.outDir, item.modes.loop!.runs[0]!, "run.json"));
    expect(JSON.parse(await readFile(files.json, "utf8"))).toMatchObject({ schema: "reasonedit.eval/2", categories: ["color_alter", "style_change"] });
    expect(await readFile(files.markdown, "utf8")).toContain("| loop |");
  });
});

describe("what each mode includes", () => {
  // A local edit whose think output also names an exact op: every extra has something to do, if it is allowed to.
  const extrasBenchmark = JSON.stringify({ key: "cup", task_type: "color_alter", instruction: "make the cup blue [2 rounds] [local] [ops]", input_image: "coffee.png" });

  it("single, think, loop and reroll apply no exact op, composite nothing and show conclude no change map, with one candidate a round", async () => {
    const workbench = new CountingWorkbench();
    const reasoner = new MarkerReasoner();
    const { outcomes } = await evaluate({ benchmark: extrasBenchmark, workbench, reasoner, loop: { candidates: 2, preserve: true } });
    expect(workbench.counts).toEqual({ applyOps: 0, changeMap: 0, preserve: 0 });
    expect(reasoner.concludeEvidence).toEqual([false, false]); // the loop's two rounds
    expect(reasoner.thinkAllowedOps).toEqual([false, false]); // think and loop
    const cup = outcomes[0]!;
    expect(cup.modes.loop!.cost.editor_calls).toBe(2);
    expect(cup.modes.reroll!.cost.editor_calls).toBe(2);
  });

  it("full runs the loop as edit does: exact ops, preserve, the change map for conclude, and --candidates", async () => {
    const workbench = new CountingWorkbench();
    const reasoner = new MarkerReasoner();
    const { outcomes } = await evaluate({ benchmark: extrasBenchmark, workbench, reasoner, modes: ["full"], loop: { candidates: 2 } });
    expect(workbench.counts.applyOps).toBe(1);
    expect(workbench.counts.preserve).toBe(4); // two rounds of two candidates
    expect(workbench.counts.changeMap).toBe(4);
    expect(reasoner.concludeEvidence).toEqual([true, true, true, true]);
    expect(reasoner.thinkAllowedOps).toEqual([true]);
    expect(outcomes[0]!.modes.full!.cost.editor_calls).toBe(4);
  });
});

describe("eval failures", () => {
  it("counts an unparseable judge reply as missing and still scores the other items", async () => {
    const benchmark = [
      { key: "fine", task_type: "color_alter", instruction: "make the cup blue [1 round]", input_image: "coffee.png" },
      { key: "odd", task_type: "color_alter", instruction: "make it pink [1 round] [unjudgeable]", input_image: "coffee.png" },
    ]
      .map((row) => JSON.stringify(row))
      .join("\n");
    const { outcomes, plan } = await evaluate({ benchmark, modes: ["single"] });
    const report = buildReport(outcomes, settingsFor(plan), "test");
    expect(report.modes.single!.languages.unspecified!.missing).toEqual({ SC: 1, PQ: 0, O: 1 });
    expect(report.modes.single!.items).toEqual({ total: 2, scored: 1, errors: 0 });
    expect(report.modes.single!.overall!.O).toBe(outcomes[0]!.modes.single!.scores.O);
  });

  it("keeps a provider failure on its item and mode, and skips that item's reroll", async () => {
    const editor = new SeedTintEditor((request) =>
      request.instruction.includes("eyes") && request.instruction.includes("precisely")
        ? new ReasonEditError("provider_unavailable", "the editor answered 503 after 4 retries", { provider: "fal-ai", status: 503 })
        : undefined,
    );
    const { outcomes, plan } = await evaluate({ editor });
    const two = outcomes[1]!;
    expect(two.modes.single!.status).toBe("ok");
    expect(two.modes.loop).toMatchObject({ status: "error", error: { code: "provider_unavailable" } });
    expect(two.modes.reroll).toMatchObject({ status: "error", error: { code: "skipped" } });
    const report = buildReport(outcomes, settingsFor(plan), "test");
    expect(report.modes.loop!.errors).toEqual([
      { key: "two", code: "provider_unavailable", message: "the editor answered 503 after 4 retries", provider: "fal-ai", status: 503 },
    ]);
    expect(report.modes.loop!.items).toMatchObject({ total: 3, errors: 1 });
  });

  it("stops the whole eval on an error that is not the item's fault, such as an offline cache miss", async () => {
    const editor = new SeedTintEditor(() => new ReasonEditError("cache_miss", "offline: no cached answer for this edit call to test/editor"));
    await expect(evaluate({ editor })).rejects.toMatchObject({ code: "cache_miss" });
  });
});
