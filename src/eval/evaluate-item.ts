// One benchmark item through every requested mode: edit with the loop's settings for the mode, then judge the result.
import path from "node:path";
import type { LoopPolicy, RecordedSettings } from "../app/services.js";
import { runEditJob, type EditJobResult, type EditServices } from "../app/edit-job.js";
import type { KeepImages } from "../config/settings.js";
import { errorReport, EXIT, ReasonEditError, type CallSpend } from "../errors.js";
import { loadInput, openFullResolution, type InputImage } from "../images/input.js";
import type { LoopResult, LoopSettings } from "../loop/run-edit-loop.js";
import { roundValue, selectBest } from "../loop/policies.js";
import { missingIfInvalid, stepCallsOf, sumSpend, tallyCalls } from "../loop/step-calls.js";
import type { Picture } from "../loop/types.js";
import { writeFileAtomic } from "../runs/atomic-write.js";
import { itemScores } from "./metric.js";
import type { BenchmarkItem } from "./benchmark.js";
import type { BenchmarkJudge, JudgedSample } from "./judge.js";
import { loopSettingsFor, seedFor, usesExtras, type EvalMode } from "./modes.js";
import { pictureFromFile } from "./picture-file.js";
import type { AttemptView, Cost, ItemOutcome, ModeOutcome } from "./outcome.js";
import { addCosts, zeroCost } from "./outcome.js";

export interface EvalPlan {
  items: BenchmarkItem[];
  modes: EvalMode[];
  /** Rounds, chain, candidates and preservation for the loop mode; think and reflect are set per mode, seeds by seedFor. */
  loop: LoopPolicy;
  baseSeed: number;
  /** Absolute. */
  outDir: string;
  concurrency: number;
  settingsForRecord: RecordedSettings;
  cwd: string;
  /** What each mode's run record keeps beside run.json (default all). */
  keepImages?: KeepImages;
}

export type EvalEditServices = Pick<EditServices, "reasoner" | "editor" | "workbench" | "models" | "logger" | "toolVersion">;

export interface EvalContext {
  plan: EvalPlan;
  services: EvalEditServices;
  judge: BenchmarkJudge;
  signal: AbortSignal;
  onModeDone?: (item: BenchmarkItem, outcome: ModeOutcome) => void;
}

/** Everything an item's modes share: its decoded input and the source picture the judge compares against. */
interface ItemInputs {
  item: BenchmarkItem;
  input: InputImage;
  source: Picture;
  folder: string;
}

export async function evaluateItem(item: BenchmarkItem, context: EvalContext): Promise<ItemOutcome> {
  const input = await loadInput(item.image, { signal: context.signal });
  const folder = `items/${item.slug}`;
  const source = await writeSource(context.plan.outDir, `${folder}/source.png`, input);
  const inputs: ItemInputs = { item, input, source, folder };
  const outcome: ItemOutcome = { item, source: `${folder}/source.png`, modes: {} };
  for (const mode of context.plan.modes) {
    const result = mode === "reroll" ? await runReroll(inputs, outcome.modes.loop, context) : await runLoopMode(mode, inputs, context);
    outcome.modes[mode] = result;
    context.onModeDone?.(item, result);
  }
  return outcome;
}

async function writeSource(outDir: string, relative: string, input: InputImage): Promise<Picture> {
  const bytes = await openFullResolution(input).png().toBuffer();
  await writeFileAtomic(path.join(outDir, relative), bytes);
  return { bytes, mimeType: "image/png", width: input.width, height: input.height };
}

async function runLoopMode(mode: Exclude<EvalMode, "reroll">, inputs: ItemInputs, context: EvalContext): Promise<ModeOutcome> {
  const outcome = emptyOutcome(mode);
  return settle(outcome, async () => {
    const seed = seedFor(context.plan.baseSeed, inputs.item.key, mode);
    const view = await editOnce(inputs, mode, loopSettingsFor(mode, context.plan.loop, seed), mode, context);
    const { loop: _loop, ...shown } = view;
    Object.assign(outcome, shown);
    const judged = await judgeImage(inputs, view.output, context);
    outcome.judged = judged;
    outcome.scores = itemScores(judged.repeats);
    outcome.judge_cost = { calls: judged.calls, tokens: judged.tokens };
  });
}

/**
 * The paper's control: as many single edits as the loop spent on this item, no thinking or reflection. The kept sample
 * is the one the reasoning MLLM's own SC·PQ ranks best, as the loop picks its round; only that one meets the judge, so
 * the control is not the best of k noisy judge readings.
 */
async function runReroll(inputs: ItemInputs, loop: ModeOutcome | undefined, context: EvalContext): Promise<ModeOutcome> {
  const outcome = emptyOutcome("reroll");
  if (loop?.status !== "ok") {
    return { ...outcome, status: "error", error: { code: "skipped", message: "the loop mode failed on this item, so there is no edit count to match" } };
  }
  return settle(outcome, async () => {
    const firstSeed = seedFor(context.plan.baseSeed, inputs.item.key, "reroll");
    const count = Math.max(1, loop.cost.editor_calls);
    const samples = await Promise.all(
      Array.from({ length: count }, (_, k) => rerollSample(inputs, loopSettingsFor("reroll", context.plan.loop, firstSeed + k), k + 1, context)),
    );
    const kept = selectBest(samples.map((sample) => ({ value: sample.value, verdict: null })));
    const best = samples[kept]!;
    const judged = await judgeImage(inputs, best.view.output, context);
    const scores = itemScores(judged.repeats);
    Object.assign(outcome, {
      output: best.view.output,
      runs: samples.flatMap((sample) => sample.view.runs),
      judged,
      scores,
      cost: samples.reduce((sum, sample) => addCosts(sum, sample.cost), zeroCost()),
      judge_cost: { calls: judged.calls, tokens: judged.tokens },
      attempts: samples.map((sample, k) => ({ ...sample.attempt, kept: k === kept, judge: k === kept ? scores : null })),
    } satisfies Partial<ModeOutcome>);
  });
}

interface RerollSample {
  view: EditView;
  /** The reasoner's min(SC)·min(PQ); null when either reply stayed unusable (ranks last). */
  value: number | null;
  /** The edit plus the reasoner's two scoring calls. */
  cost: Cost;
  attempt: AttemptView;
}

async function rerollSample(inputs: ItemInputs, settings: LoopSettings, index: number, context: EvalContext): Promise<RerollSample> {
  const view = await editOnce(inputs, "reroll", settings, `reroll-${index}`, context);
  const round = view.loop.rounds[0]!;
  // The loop's own round scoring: the reasoner on (source as edited, this sample), against the instruction it edited with.
  const scoreInput = { source: view.loop.prepared, edited: round.candidates[round.chosen]!.image, instruction: inputs.item.instruction };
  const lost: CallSpend[] = [];
  const [semantics, quality] = await Promise.all([
    missingIfInvalid(context.services.reasoner.scoreSemantics(scoreInput, context.signal), lost),
    missingIfInvalid(context.services.reasoner.scoreQuality(scoreInput, context.signal), lost),
  ]);
  const spent = sumSpend([...[semantics, quality].filter((call) => call !== undefined), ...lost]);
  const scoring: Cost = { mllm_calls: spent.calls, editor_calls: 0, tokens: spent.tokens, wall_ms: 0 };
  const attempt: AttemptView = {
    index,
    instruction: inputs.item.instruction,
    image: view.output,
    verdict: null,
    refined_instruction: null,
    loop_sc: semantics ? [...semantics.reply.score] : null,
    loop_pq: quality ? [...quality.reply.score] : null,
    judge: null,
    kept: false,
  };
  return { view, value: roundValue(semantics?.reply, quality?.reply), cost: addCosts(view.cost, scoring), attempt };
}

interface EditView {
  output: string;
  loop: LoopResult;
  runs: string[];
  cost: Cost;
  concrete_instruction: string | null;
  stop_reason: string | null;
  accepted: boolean | null;
  attempts: AttemptView[];
}

/** One edit job with its run folder at <out-dir>/items/<slug>/<name> and its result at <name>.png beside it. */
async function editOnce(inputs: ItemInputs, mode: EvalMode, settings: LoopSettings, name: string, context: EvalContext): Promise<EditView> {
  const started = performance.now();
  const runDir = `${inputs.folder}/${name}`;
  const output = `${inputs.folder}/${name}.png`;
  const job = await runEditJob(
    {
      image: inputs.item.image,
      instruction: inputs.item.instruction,
      output: path.join(context.plan.outDir, output),
      loop: settings,
      runsRoot: context.plan.outDir,
      runDir: path.join(context.plan.outDir, runDir),
      settingsForRecord: { ...context.plan.settingsForRecord, eval_mode: name },
      cwd: context.plan.cwd,
      // Every mode of an item works on the same source: its folder keeps one copy, not one per mode.
      sharedSource: path.join(context.plan.outDir, inputs.folder, "working-source.jpg"),
      ...(context.plan.keepImages ? { keepImages: context.plan.keepImages } : {}),
      mkdir: true,
    },
    { ...servicesFor(mode, context.services), signal: context.signal, loadImage: () => Promise.resolve(inputs.input) },
  );
  return {
    output,
    loop: job.loop,
    runs: [runDir],
    cost: { ...callsOf(job.loop), wall_ms: Math.round(performance.now() - started) },
    concrete_instruction: job.loop.concreteInstruction,
    stop_reason: job.loop.stopReason,
    accepted: settings.reflect ? job.loop.accepted : null,
    attempts: roundViews(job, runDir),
  };
}

/** Without a workbench the loop can apply no exact op, composite nothing and draw no change map. */
function servicesFor(mode: EvalMode, services: EvalEditServices): EvalEditServices {
  if (usesExtras(mode)) return services;
  const { workbench: _workbench, ...paper } = services;
  return paper;
}

/** Logical calls, cached ones included, so a replay from the cache reports the cost of the run it replays. */
export function callsOf(loop: LoopResult): Omit<Cost, "wall_ms"> {
  const tally = tallyCalls(stepCallsOf(loop), { countCached: true });
  return { mllm_calls: tally.mllmCalls, editor_calls: tally.editorCalls, tokens: tally.tokens };
}

function roundViews(job: EditJobResult, runDir: string): AttemptView[] {
  return job.record.rounds.map((round) => {
    const chosen = round.candidates[round.chosen]!;
    return {
      index: round.index,
      instruction: round.instruction,
      image: chosen.image === null ? null : `${runDir}/${chosen.image}`,
      verdict: chosen.verdict,
      refined_instruction: chosen.refined_instruction ?? null,
      loop_sc: chosen.scores.sc,
      loop_pq: chosen.scores.pq,
      judge: null,
      kept: round.index === job.record.kept_round,
    };
  });
}

/** Judges the file the user would get, read back from disk, against the source at the input's size (as GEdit does). */
async function judgeImage(inputs: ItemInputs, output: string, context: EvalContext): Promise<JudgedSample> {
  const edited = await pictureFromFile(path.join(context.plan.outDir, output));
  return context.judge.judge(
    {
      source: inputs.source,
      edited,
      instruction: inputs.item.instruction,
      category: inputs.item.taskType,
      ...(inputs.item.knowledgeHint ? { knowledgeHint: inputs.item.knowledgeHint } : {}),
    },
    context.signal,
  );
}

function emptyOutcome(mode: EvalMode): ModeOutcome {
  return {
    mode,
    status: "ok",
    output: null,
    runs: [],
    judged: null,
    scores: {},
    cost: zeroCost(),
    judge_cost: { calls: 0, tokens: 0 },
    concrete_instruction: null,
    stop_reason: null,
    accepted: null,
    attempts: [],
  };
}

/** A provider failure becomes data on this item's mode, so one bad item never aborts the others; anything else stops the eval. */
async function settle(outcome: ModeOutcome, work: () => Promise<void>): Promise<ModeOutcome> {
  try {
    await work();
  } catch (error) {
    if (!isItemFailure(error)) throw error;
    outcome.status = "error";
    outcome.error = errorReport(error);
  }
  return outcome;
}

function isItemFailure(error: unknown): error is ReasonEditError {
  return ReasonEditError.is(error) && error.exitCode === EXIT.provider;
}
