// report.json: per mode and category SC/PQ/O with the delta against single, cost, judge spread and loop behaviour.
import { aggregate, countMissing, difference, judgeSpread, scoreSample, type Aggregate, type JudgedItem, type MissingCounts, type Scores, type Spread } from "./aggregate.js";
import { categoriesOf } from "./benchmark.js";
import { EVAL_MODES, MODE_DESCRIPTIONS, gatedMode, type EvalMode } from "./modes.js";
import { addCosts, zeroCost, type AttemptView, type Cost, type ItemOutcome, type JudgeCost, type ModeOutcome } from "./outcome.js";

export const EVAL_REPORT_SCHEMA = "reasonedit.eval/1";

export interface LoopBehaviour {
  /** Rounds (edit calls of the kept chain) played before stopping → items. */
  stop_round_histogram: Record<string, number>;
  stop_reasons: Record<string, number>;
  /** The verdict of every round played; "none" when reflection gave no usable verdict. */
  verdict_mix: Record<string, number>;
  /** Items whose kept round is not the last one played: best-of selection at work. */
  kept_not_last: { count: number; share: number | null };
  accepted: { count: number; share: number | null };
}

export interface RerollBehaviour {
  samples_histogram: Record<string, number>;
  kept_not_last: { count: number; share: number | null };
}

export interface ModeReport extends Aggregate {
  /** What the mode runs (and leaves out), in words. */
  includes: string;
  delta_vs_single: Aggregate | null;
  /** Totals over the items this mode ran, with per_item means (wall_ms: editing only, judging excluded). */
  cost: Cost & { per_item: Cost | null };
  judge: JudgeCost & { spread: Record<keyof Scores, Spread> };
  missing: MissingCounts;
  items: { total: number; scored: number; errors: number };
  errors: Array<{ key: string; code: string; message: string }>;
  behaviour?: LoopBehaviour | RerollBehaviour;
}

export interface ItemReport {
  key: string;
  task_type: string;
  instruction: string;
  language?: string;
  knowledge_hint?: string;
  source: string;
  modes: Partial<Record<EvalMode, Omit<ModeOutcome, "mode">>>;
}

export interface ReportSettings {
  benchmark: string;
  modes: EvalMode[];
  mllm: string;
  editor: string;
  judge: string;
  judge_repeats: number;
  rounds: number;
  chain: string;
  candidates: number;
  seed: number;
}

export interface Gate {
  mode: "loop" | "full";
  min_score: number;
  O: number | null;
  passed: boolean;
}

export interface EvalReport {
  schema: typeof EVAL_REPORT_SCHEMA;
  tool_version: string;
  settings: ReportSettings;
  categories: string[];
  modes: Partial<Record<EvalMode, ModeReport>>;
  gate: Gate | null;
  items: ItemReport[];
}

export function buildReport(outcomes: readonly ItemOutcome[], settings: ReportSettings, toolVersion: string, minScore?: number): EvalReport {
  const modes: Partial<Record<EvalMode, ModeReport>> = {};
  for (const mode of EVAL_MODES) {
    if (settings.modes.includes(mode)) modes[mode] = modeReport(mode, outcomes, settings.judge_repeats);
  }
  const single = modes.single;
  for (const [mode, report] of Object.entries(modes)) {
    if (single && mode !== "single") report.delta_vs_single = deltaOf(report, single);
  }
  return {
    schema: EVAL_REPORT_SCHEMA,
    tool_version: toolVersion,
    settings,
    categories: categoriesOf(outcomes.map((outcome) => outcome.item)),
    modes,
    gate: gateFor(modes, settings.modes, minScore),
    items: outcomes.map(itemReport),
  };
}

function gateFor(modes: Partial<Record<EvalMode, ModeReport>>, ran: readonly EvalMode[], minScore: number | undefined): Gate | null {
  const mode = gatedMode(ran);
  return minScore === undefined || mode === undefined ? null : gateOf(mode, modes[mode], minScore);
}

/** Passes when the gated mode's overall O reaches the bar; a missing O never passes. */
export function gateOf(mode: Gate["mode"], report: ModeReport | undefined, minScore: number): Gate {
  const O = report?.overall.O ?? null;
  return { mode, min_score: minScore, O, passed: O !== null && O >= minScore };
}

function modeReport(mode: EvalMode, outcomes: readonly ItemOutcome[], repeats: number): ModeReport {
  const ran = outcomes.flatMap((outcome) => (outcome.modes[mode] ? [{ item: outcome.item, result: outcome.modes[mode]! }] : []));
  const judged: JudgedItem[] = ran.map(({ item, result }) => ({ category: item.taskType, repeats: result.judged?.repeats ?? [] }));
  const failed = ran.filter(({ result }) => result.status === "error");
  const ok = ran.filter(({ result }) => result.status === "ok").map(({ result }) => result);
  const report: ModeReport = {
    includes: MODE_DESCRIPTIONS[mode],
    ...aggregate(judged),
    delta_vs_single: null,
    cost: costOf(ran.map(({ result }) => result)),
    judge: { ...judgeCostOf(ran.map(({ result }) => result)), spread: judgeSpread(judged, repeats) },
    missing: countMissing(judged),
    items: { total: ran.length, scored: judged.filter((item) => scoreSample(item.repeats).O !== null).length, errors: failed.length },
    errors: failed.map(({ item, result }) => ({ key: item.key, code: result.error?.code ?? "unknown", message: result.error?.message ?? "" })),
  };
  if (mode === "loop" || mode === "full") report.behaviour = loopBehaviour(ok);
  if (mode === "reroll") report.behaviour = rerollBehaviour(ok);
  return report;
}

function costOf(results: readonly ModeOutcome[]): ModeReport["cost"] {
  const total = results.reduce((sum, result) => addCosts(sum, result.cost), zeroCost());
  const perItem = results.length === 0 ? null : mapCost(total, (value) => value / results.length);
  return { ...total, per_item: perItem };
}

function mapCost(cost: Cost, change: (value: number) => number): Cost {
  return { mllm_calls: change(cost.mllm_calls), editor_calls: change(cost.editor_calls), tokens: change(cost.tokens), wall_ms: change(cost.wall_ms) };
}

function judgeCostOf(results: readonly ModeOutcome[]): JudgeCost {
  return results.reduce((sum, result) => ({ calls: sum.calls + result.judge_cost.calls, tokens: sum.tokens + result.judge_cost.tokens }), { calls: 0, tokens: 0 });
}

function deltaOf(report: ModeReport, single: ModeReport): Aggregate {
  const categories: Record<string, Scores> = {};
  for (const [name, scores] of Object.entries(report.categories)) {
    const base = single.categories[name];
    if (base) categories[name] = difference(scores, base);
  }
  return { overall: difference(report.overall, single.overall), categories };
}

function loopBehaviour(results: readonly ModeOutcome[]): LoopBehaviour {
  const verdicts = results.flatMap((result) => result.attempts.map((attempt) => attempt.verdict ?? "none"));
  return {
    stop_round_histogram: histogram(results.map((result) => String(result.attempts.length))),
    stop_reasons: histogram(results.map((result) => result.stop_reason ?? "none")),
    verdict_mix: { success: 0, refine: 0, failed: 0, none: 0, ...histogram(verdicts) },
    kept_not_last: shareOf(results, (result) => keptIsNotLast(result.attempts)),
    accepted: shareOf(results, (result) => result.accepted === true),
  };
}

function rerollBehaviour(results: readonly ModeOutcome[]): RerollBehaviour {
  return {
    samples_histogram: histogram(results.map((result) => String(result.attempts.length))),
    kept_not_last: shareOf(results, (result) => keptIsNotLast(result.attempts)),
  };
}

function keptIsNotLast(attempts: readonly AttemptView[]): boolean {
  const kept = attempts.findIndex((attempt) => attempt.kept);
  return kept >= 0 && kept < attempts.length - 1;
}

function shareOf(results: readonly ModeOutcome[], test: (result: ModeOutcome) => boolean): { count: number; share: number | null } {
  const count = results.filter(test).length;
  return { count, share: results.length === 0 ? null : count / results.length };
}

/** Keys in numeric-then-text order, so a histogram reads 1, 2, 3 in every output. */
function histogram(values: readonly string[]): Record<string, number> {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  const keys = [...counts.keys()].sort((a, b) => Number(a) - Number(b) || a.localeCompare(b));
  return Object.fromEntries(keys.map((key) => [key, counts.get(key)!]));
}

function itemReport(outcome: ItemOutcome): ItemReport {
  const { item } = outcome;
  const modes: ItemReport["modes"] = {};
  for (const mode of EVAL_MODES) {
    const result = outcome.modes[mode];
    if (!result) continue;
    const { mode: _mode, ...rest } = result;
    modes[mode] = rest;
  }
  return {
    key: item.key,
    task_type: item.taskType,
    instruction: item.instruction,
    ...(item.language ? { language: item.language } : {}),
    ...(item.knowledgeHint ? { knowledge_hint: item.knowledgeHint } : {}),
    source: outcome.source,
    modes,
  };
}

/** Four decimals are plenty for 0–10 scores and keep report.json diffable. */
export function reportJson(report: EvalReport): string {
  const round = (_key: string, value: unknown) => (typeof value === "number" && !Number.isInteger(value) ? Math.round(value * 1e4) / 1e4 : value);
  return `${JSON.stringify(report, round, 2)}\n`;
}
