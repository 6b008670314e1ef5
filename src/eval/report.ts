// report.json: per mode and language (never pooled across languages) the benchmark's scores, paired deltas against
// single with a bootstrap interval, cost, judge spread and loop behaviour.
import type { ErrorReport } from "../errors.js";
import { VIESCORE } from "./aggregate.js";
import { categoriesOf, type BenchmarkItem } from "./benchmark.js";
import {
  aggregateItems,
  countMissingScores,
  itemScores,
  repeatSpread,
  type Metric,
  type MetricAggregate,
  type MissingRecord,
  type ScoreRecord,
  type ScoredItem,
  type Spread,
} from "./metric.js";
import { EVAL_MODES, MODE_DESCRIPTIONS, gatedMode, type EvalMode } from "./modes.js";
import { addCosts, zeroCost, type AttemptView, type Cost, type ItemOutcome, type JudgeCost, type ModeOutcome } from "./outcome.js";
import { DEFAULT_RESAMPLES, pairedDelta, type BootstrapOptions, type PairedItem } from "./paired-delta.js";

export const EVAL_REPORT_SCHEMA = "reasonedit.eval/2";

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

export interface LanguageReport extends MetricAggregate {
  /** The benchmark's intersection subset (GEdit's `Intersection_exist`), pooled the same way; null when it marks none. */
  intersection: (MetricAggregate & { items: number }) | null;
  missing: MissingRecord;
  items: { total: number; scored: number; errors: number };
  /** How each overall score moves between judge repeats. */
  judge_spread: Record<string, Spread>;
}

/** This mode minus single on the items both scored in one language, per score key, with the headline's interval. */
export interface LanguageDelta {
  ci95: [number, number] | null;
  /** Items both modes scored: the pairs the delta and its interval are computed on. */
  items: number;
  [score: string]: number | null | [number, number];
}

export interface ModeReport {
  /** What the mode runs (and leaves out), in words. */
  includes: string;
  /** Never pooled across languages, as GEdit-Bench computes them. */
  languages: Record<string, LanguageReport>;
  /** With exactly one language: that language's overall, repeated. */
  overall?: ScoreRecord;
  delta_vs_single: Record<string, LanguageDelta> | null;
  /** Totals over the items this mode ran, with per_item means (wall_ms: editing only, judging excluded). */
  cost: Cost & { per_item: Cost | null };
  judge: JudgeCost;
  items: { total: number; scored: number; errors: number };
  errors: Array<{ key: string } & ErrorReport>;
  behaviour?: LoopBehaviour | RerollBehaviour;
}

export interface ItemReport {
  key: string;
  task_type: string;
  instruction: string;
  language?: string;
  intersection?: boolean;
  knowledge_hint?: string;
  source: string;
  modes: Partial<Record<EvalMode, Omit<ModeOutcome, "mode">>>;
}

export interface ReportSettings {
  benchmark: string;
  modes: EvalMode[];
  mllm: string;
  /** How the reasoning MLLM was asked to answer: json, or tags (the released ReasonEdit reasoner's formats). */
  reply_format?: string;
  editor: string;
  judge: string;
  judge_repeats: number;
  /** How the judge saw the images: working (≤1024 px) or original (full size, GEdit's rendering). */
  judge_images?: string;
  rounds: number;
  chain: string;
  candidates: number;
  seed: number;
  /** Which items ran: the benchmark's runnable total, how many ran, how many it holds that cannot run, and the filters. */
  items?: { total: number; run: number; skipped: number; language?: string; categories?: string[]; sample?: number; limit?: number };
  /** The commit a Hub dataset was read at. */
  benchmark_commit?: string;
}

export interface Gate {
  mode: "loop" | "full";
  min_score: number;
  /** The gated mode's headline score per language; every language must reach the bar. */
  languages: Record<string, { score: number | null; passed: boolean }>;
  passed: boolean;
}

export interface EvalReport {
  schema: typeof EVAL_REPORT_SCHEMA;
  tool_version: string;
  settings: ReportSettings;
  metric: { name: Metric["name"]; keys: readonly string[]; headline: string; scale: string; describe: string };
  /** The delta intervals: a percentile bootstrap over the paired items, seeded from --seed. */
  bootstrap: { resamples: number; seed: number; stratified_by_category: boolean };
  languages: string[];
  categories: string[];
  modes: Partial<Record<EvalMode, ModeReport>>;
  gate: Gate | null;
  items: ItemReport[];
}

/** Items without a language form one block of their own. */
export const UNSPECIFIED_LANGUAGE = "unspecified";

export interface ReportOptions {
  minScore?: number;
  metric?: Metric;
  resamples?: number;
}

export function buildReport(outcomes: readonly ItemOutcome[], settings: ReportSettings, toolVersion: string, options: ReportOptions = {}): EvalReport {
  const metric = options.metric ?? VIESCORE;
  const resamples = options.resamples ?? DEFAULT_RESAMPLES;
  const languages = languagesOf(outcomes);
  const modes: Partial<Record<EvalMode, ModeReport>> = {};
  for (const mode of EVAL_MODES) {
    if (settings.modes.includes(mode)) modes[mode] = modeReport(mode, outcomes, languages, metric, settings.judge_repeats);
  }
  if (modes.single) {
    const bootstrap = { seed: settings.seed, resamples, stratified: metric.stratified };
    for (const [mode, report] of Object.entries(modes) as Array<[EvalMode, ModeReport]>) {
      if (mode !== "single") report.delta_vs_single = deltasOf(mode, outcomes, languages, metric, bootstrap);
    }
  }
  return {
    schema: EVAL_REPORT_SCHEMA,
    tool_version: toolVersion,
    settings,
    metric: { name: metric.name, keys: metric.keys, headline: metric.headline, scale: metric.scale, describe: metric.describe },
    bootstrap: { resamples, seed: settings.seed, stratified_by_category: metric.stratified },
    languages,
    categories: categoriesOf(outcomes.map((outcome) => outcome.item)),
    modes,
    gate: gateFor(modes, settings.modes, metric, options.minScore),
    items: outcomes.map(itemReport),
  };
}

export function languageOf(item: BenchmarkItem): string {
  return item.language?.trim().toLowerCase() || UNSPECIFIED_LANGUAGE;
}

function languagesOf(outcomes: readonly ItemOutcome[]): string[] {
  return [...new Set(outcomes.map((outcome) => languageOf(outcome.item)))].sort();
}

function gateFor(modes: Partial<Record<EvalMode, ModeReport>>, ran: readonly EvalMode[], metric: Metric, minScore: number | undefined): Gate | null {
  const mode = gatedMode(ran);
  return minScore === undefined || mode === undefined ? null : gateOf(mode, modes[mode], metric, minScore);
}

/** Passes when the gated mode reaches the bar in every language; a missing score never passes. */
export function gateOf(mode: Gate["mode"], report: ModeReport | undefined, metric: Metric, minScore: number): Gate {
  const languages: Gate["languages"] = {};
  for (const [language, block] of Object.entries(report?.languages ?? {})) {
    const score = block.overall[metric.headline] ?? null;
    languages[language] = { score, passed: score !== null && score >= minScore };
  }
  const results = Object.values(languages);
  return { mode, min_score: minScore, languages, passed: results.length > 0 && results.every((result) => result.passed) };
}

interface Ran {
  item: BenchmarkItem;
  result: ModeOutcome;
}

function ranIn(mode: EvalMode, outcomes: readonly ItemOutcome[]): Ran[] {
  return outcomes.flatMap((outcome) => (outcome.modes[mode] ? [{ item: outcome.item, result: outcome.modes[mode]! }] : []));
}

function scoredItem({ item, result }: Ran): ScoredItem {
  return { category: item.taskType, repeats: result.judged?.repeats ?? [] };
}

function modeReport(mode: EvalMode, outcomes: readonly ItemOutcome[], languages: readonly string[], metric: Metric, repeats: number): ModeReport {
  const ran = ranIn(mode, outcomes);
  const failed = ran.filter(({ result }) => result.status === "error");
  const ok = ran.filter(({ result }) => result.status === "ok").map(({ result }) => result);
  const blocks: Record<string, LanguageReport> = {};
  for (const language of languages) {
    const inLanguage = ran.filter(({ item }) => languageOf(item) === language);
    if (inLanguage.length > 0) blocks[language] = languageReport(inLanguage, metric, repeats);
  }
  const only = Object.values(blocks);
  const report: ModeReport = {
    includes: MODE_DESCRIPTIONS[mode],
    languages: blocks,
    ...(only.length === 1 ? { overall: only[0]!.overall } : {}),
    delta_vs_single: null,
    cost: costOf(ran.map(({ result }) => result)),
    judge: judgeCostOf(ran.map(({ result }) => result)),
    items: countsOf(ran, metric),
    errors: failed.map(({ item, result }) => ({ key: item.key, ...(result.error ?? { code: "unknown", message: "" }) })),
  };
  if (mode === "loop" || mode === "full") report.behaviour = loopBehaviour(ok);
  if (mode === "reroll") report.behaviour = rerollBehaviour(ok);
  return report;
}

function languageReport(ran: readonly Ran[], metric: Metric, repeats: number): LanguageReport {
  const items = ran.map(scoredItem);
  const marked = ran.filter(({ item }) => item.intersection === true);
  return {
    ...aggregateItems(metric, items),
    intersection: marked.length === 0 ? null : { ...aggregateItems(metric, marked.map(scoredItem)), items: marked.length },
    missing: countMissingScores(metric, items),
    items: countsOf(ran, metric),
    judge_spread: repeatSpread(metric, items, repeats),
  };
}

function countsOf(ran: readonly Ran[], metric: Metric): { total: number; scored: number; errors: number } {
  const scored = ran.filter((entry) => (itemScores(scoredItem(entry).repeats)[metric.headline] ?? null) !== null).length;
  return { total: ran.length, scored, errors: ran.filter(({ result }) => result.status === "error").length };
}

/** Paired per language: only items both modes scored count, so a failure on one side cannot move the delta. */
function deltasOf(mode: EvalMode, outcomes: readonly ItemOutcome[], languages: readonly string[], metric: Metric, bootstrap: BootstrapOptions): Record<string, LanguageDelta> {
  const deltas: Record<string, LanguageDelta> = {};
  for (const language of languages) {
    const pairs = pairsOf(mode, outcomes.filter((outcome) => languageOf(outcome.item) === language), metric);
    if (pairs.length === 0 && !outcomes.some((outcome) => languageOf(outcome.item) === language && outcome.modes[mode])) continue;
    deltas[language] = languageDelta(pairs, metric, bootstrap);
  }
  return deltas;
}

function pairsOf(mode: EvalMode, outcomes: readonly ItemOutcome[], metric: Metric): Array<PairedItem<ScoreRecord>> {
  return outcomes.flatMap((outcome) => {
    const a = outcome.modes[mode]?.judged;
    const b = outcome.modes.single?.judged;
    if (!a || !b) return [];
    const pair = { category: outcome.item.taskType, mode: itemScores(a.repeats), single: itemScores(b.repeats) };
    return (pair.mode[metric.headline] ?? null) !== null && (pair.single[metric.headline] ?? null) !== null ? [pair] : [];
  });
}

export function languageDelta(pairs: ReadonlyArray<PairedItem<ScoreRecord>>, metric: Metric, bootstrap: BootstrapOptions): LanguageDelta {
  const overall = (items: ReadonlyArray<PairedItem<ScoreRecord>>, side: "mode" | "single") =>
    metric.aggregate(items.map((pair) => ({ category: pair.category, scores: pair[side] }))).overall;
  const headline = pairedDelta(pairs, (items, side) => overall(items, side)[metric.headline] ?? null, bootstrap);
  const delta: LanguageDelta = { ci95: headline.ci95, items: headline.items };
  const a = overall(pairs, "mode");
  const b = overall(pairs, "single");
  for (const key of metric.keys) {
    const x = a[key] ?? null;
    const y = b[key] ?? null;
    delta[key] = x === null || y === null ? null : x - y;
  }
  return delta;
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
    ...(item.intersection !== undefined ? { intersection: item.intersection } : {}),
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
