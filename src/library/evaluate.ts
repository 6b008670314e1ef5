// evaluate(): single-pass editing against thinking and reflection over a benchmark, scored by a separate judge —
// the same runs, report files and summary object as `reasonedit eval --json`.
import { access } from "node:fs/promises";
import type { Logger } from "pino";
import { createServices, loopPolicy, recordableSettings } from "../app/services.js";
import { assertCredentials, type Credentials, type Settings } from "../config/settings.js";
import { ReasonEditError } from "../errors.js";
import { readBenchmark, type BenchmarkItem } from "../eval/benchmark.js";
import { assertJudgeCredentials, createJudge } from "../eval/create-judge.js";
import { categoriesOf } from "../eval/benchmark.js";
import { chooseMetric, resolveEvalOptions, type EvalOptions, type MetricName } from "../eval/eval-options.js";
import { looksLikeKris } from "../eval/kris.js";
import type { EvalMode } from "../eval/modes.js";
import type { ModeOutcome } from "../eval/outcome.js";
import { writeReports, type ReportFiles } from "../eval/report-files.js";
import { buildReport, type EvalReport, type ModeReport } from "../eval/report.js";
import { runEval } from "../eval/run-eval.js";
import { SharedThrottle } from "../providers/throttle.js";
import { abortable, resolveCall, type CallOptions } from "./options.js";

export interface EvaluateOptions extends Omit<CallOptions, "onProgress"> {
  /** GEdit-Bench-shaped JSONL (key, task_type, instruction, input_image, …); image paths are relative to it. */
  benchmark: string;
  /** Default `reasonedit-eval/<benchmark name>` under cwd. */
  outDir?: string;
  /** Default all four: single, think, loop, reroll. */
  modes?: EvalMode[];
  judge?: string;
  judgeProvider?: string;
  judgeUrl?: string;
  /** Bearer key for judgeUrl, sent there only. */
  judgeApiKey?: string;
  judgeRepeats?: number;
  /** The loop mode's overall O (0–10) that `gate.passed` compares against. */
  minScore?: number;
  concurrency?: number;
  /** Told as each item's mode finishes. */
  onItem?: (item: { key: string; mode: string; status: string }) => void;
}

/** What `eval --json` prints: where the reports are, and per mode the overall scores (0–10), the delta and the cost. */
export interface EvaluateResult {
  report_json: string;
  report_md: string;
  report_html: string;
  languages: EvalReport["languages"];
  /** Per mode: each language's overall scores and item counts (never pooled across languages), the paired deltas, the cost. */
  modes: Record<string, { languages: Record<string, unknown>; overall?: ModeReport["overall"]; delta_vs_single: ModeReport["delta_vs_single"]; cost: ModeReport["cost"]; items: ModeReport["items"] }>;
  gate: EvalReport["gate"];
}

export async function evaluate(options: EvaluateOptions): Promise<EvaluateResult> {
  const call = resolveCall(options);
  const flags = {
    modes: options.modes?.join(","),
    outDir: options.outDir,
    judge: options.judge,
    judgeProvider: options.judgeProvider,
    judgeUrl: options.judgeUrl,
    judgeRepeats: options.judgeRepeats,
    minScore: options.minScore,
    concurrency: options.concurrency,
  };
  const evalOptions = resolveEvalOptions(flags, {}, options.benchmark, call.cwd);
  assertCredentials(call.settings, call.credentials);
  assertJudgeCredentials(call.settings, call.credentials, evalOptions);
  const items = await readBenchmark(options.benchmark, call.cwd);
  await assertImagesExist(items, options.benchmark);
  const report = await abortable(options.signal, () =>
    runEvaluation({
      benchmark: options.benchmark,
      items,
      options: evalOptions,
      metric: chooseMetric(evalOptions, looksLikeKris(categoriesOf(items))),
      ...call,
      judgeApiKey: options.judgeApiKey,
      signal: options.signal,
      fetch: options.fetch,
      onModeDone: (item, outcome) => options.onItem?.({ key: item.key, mode: outcome.mode, status: outcome.status }),
    }),
  );
  return summaryJson(report, await writeReports(evalOptions.outDir, report));
}

/** Fails before any paid call when a local image is missing, rather than after the items before it. */
export async function assertImagesExist(items: readonly BenchmarkItem[], benchmark: string): Promise<void> {
  for (const item of items) {
    if (/^https?:\/\//i.test(item.image)) continue;
    await access(item.image).catch(() => {
      throw new ReasonEditError("input_missing", `${benchmark} line ${item.line}: input_image ${item.image} does not exist`, {
        hint: "input_image paths are relative to the benchmark file",
      });
    });
  }
}

export interface EvaluationRun {
  benchmark: string;
  items: BenchmarkItem[];
  options: EvalOptions;
  settings: Settings;
  credentials: Credentials;
  judgeApiKey?: string;
  env: Record<string, string | undefined>;
  cwd: string;
  logger: Logger;
  signal?: AbortSignal;
  fetch?: typeof fetch;
  metric: MetricName;
  /** `keys` are the metric's score names, the headline last (SC, PQ, O). */
  onModeDone?: (item: BenchmarkItem, outcome: ModeOutcome, keys: readonly string[]) => void;
  /** Human notes (the cache's hit count). */
  say?: (line: string) => void;
}

/** Every mode over every item, judged; the report before it is written. */
export async function runEvaluation(run: EvaluationRun): Promise<EvalReport> {
  const { settings, options } = run;
  const throttle = new SharedThrottle();
  const services = await createServices(settings, run.credentials, run.logger, run.env, { signal: run.signal, throttle, exactReplays: true, fetch: run.fetch });
  const judgeWiring = { settings, credentials: run.credentials, judgeApiKey: run.judgeApiKey, options, metric: run.metric, cache: services.cache, logger: run.logger, throttle, fetch: run.fetch };
  const { judge, id: judgeId } = await createJudge(judgeWiring);
  const baseSeed = settings.seed ?? 0;
  const outcomes = await runEval({
    plan: {
      items: run.items,
      modes: options.modes,
      loop: loopPolicy(settings),
      baseSeed,
      outDir: options.outDir,
      concurrency: options.concurrency,
      settingsForRecord: { ...recordableSettings(settings), judge: judgeId },
      keepImages: settings.keepImages,
      cwd: run.cwd,
    },
    services,
    judge,
    signal: run.signal,
    onModeDone: (item, outcome) => run.onModeDone?.(item, outcome, judge.metric.keys),
  });
  const cache = services.cache.session;
  if (services.cache.mode !== "off") run.say?.(`cache: ${cache.hits} hits, ${cache.misses} misses (${services.cache.dir})`);
  const reportSettings = {
    benchmark: run.benchmark,
    modes: options.modes,
    mllm: services.models.mllm,
    reply_format: settings.replyFormat,
    editor: services.models.editor,
    judge: judgeId,
    judge_repeats: options.judgeRepeats,
    judge_images: options.judgeImages,
    rounds: settings.rounds,
    chain: settings.chain,
    candidates: settings.candidates,
    seed: baseSeed,
  };
  return buildReport(outcomes, reportSettings, services.toolVersion, { ...(options.minScore === undefined ? {} : { minScore: options.minScore }), metric: judge.metric });
}

export function summaryJson(report: EvalReport, files: ReportFiles): EvaluateResult {
  const modes = Object.fromEntries(
    Object.entries(report.modes).map(([mode, m]) => [
      mode,
      {
        languages: Object.fromEntries(Object.entries(m.languages).map(([language, block]) => [language, { overall: block.overall, items: block.items }])),
        ...(m.overall ? { overall: m.overall } : {}),
        delta_vs_single: m.delta_vs_single,
        cost: m.cost,
        items: m.items,
      },
    ]),
  );
  return { report_json: files.json, report_md: files.markdown, report_html: files.html, languages: report.languages, modes, gate: report.gate };
}
