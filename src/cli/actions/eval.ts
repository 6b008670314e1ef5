// What `reasonedit eval` does once its flags are parsed: every mode over the benchmark, judged, then the reports.
import path from "node:path";
import type { Command } from "commander";
import { outOfTen } from "../../app/score-text.js";
import { assertCredentials } from "../../config/settings.js";
import { describeReport, EXIT, ReasonEditError } from "../../errors.js";
import { defaultCacheDir } from "../../cache/call-cache.js";
import type { BenchmarkItem } from "../../eval/benchmark.js";
import { loadBenchmark, type LoadedBenchmark } from "../../eval/load-benchmark.js";
import { assertJudgeCredentials } from "../../eval/create-judge.js";
import { resolveEvalOptions, type EvalOptions } from "../../eval/eval-options.js";
import type { ModeOutcome } from "../../eval/outcome.js";
import { writeReports, type ReportFiles } from "../../eval/report-files.js";
import { formatPairedDelta, formatScore, gateLines } from "../../eval/report-markdown.js";
import { categoriesOf } from "../../eval/benchmark.js";
import { chooseMetric } from "../../eval/eval-options.js";
import { holdOutDir } from "./out-dir-lock.js";
import { looksLikeKris } from "../../eval/kris.js";
import type { EvalReport } from "../../eval/report.js";
import { assertImagesExist, runEvaluation, summaryJson } from "../../library/evaluate.js";
import { buildContext, type CliIo, type CommandContext } from "../context.js";
import { basePlan, credentialProblems, modelRoute, printPlan } from "../dry-run.js";
import { withInterrupt } from "../interrupt.js";

export async function evalAction(benchmark: string, cmd: Command, io: CliIo): Promise<number> {
  rejectModeSwitches(cmd);
  const context = buildContext(cmd, io);
  const options = resolveEvalOptions(evalFlags(cmd), io.env, benchmark, io.cwd);
  if (cmd.opts<{ dryRun?: boolean }>().dryRun) return printEvalPlan(benchmark, options, context);
  checkCredentials(context, options);
  const loaded = await withInterrupt(context.say, (signal) => loadItems(benchmark, options, context, signal));
  const items = loaded.items;
  await assertImagesExist(items, benchmark);
  const lock = await holdOutDir(options.outDir, { command: "eval", takesWait: false }); // before the first paid call
  try {
    return await evaluateAndReport(benchmark, loaded, options, context, io);
  } finally {
    await lock.release();
  }
}

async function evaluateAndReport(benchmark: string, loaded: LoadedBenchmark, options: EvalOptions, context: CommandContext, io: CliIo): Promise<number> {
  const items = loaded.items;
  const metric = chooseMetric(options, loaded.shape === "kris" || looksLikeKris(categoriesOf(items)));
  if (sameModel(context, options)) context.say(`warning: the judge ${options.judge} is also the reflection MLLM, so the loop is graded by itself`);
  const judgeApiKey = io.env.REASONEDIT_JUDGE_API_KEY?.trim() || undefined;
  const onModeDone = progressReporter(context, items.length * options.modes.length);
  const evaluated = await withInterrupt(context.say, (signal) =>
    runEvaluation({ benchmark, items, options, metric, ...context, judgeApiKey, env: io.env, cwd: io.cwd, signal, onModeDone, say: context.say }),
  );
  const report = withProvenance(evaluated, loaded, options);
  const files = await writeReports(options.outDir, report);
  for (const line of summaryLines(report, files)) context.say(line);
  if (context.settings.json) io.stdout.write(`${JSON.stringify(summaryJson(report, files))}\n`);
  return exitCodeOf(report, context);
}

/** Which of the benchmark's items ran and why, and the dataset commit, so a report says what it measured. */
function withProvenance(report: EvalReport, loaded: LoadedBenchmark, options: EvalOptions): EvalReport {
  const { language, categories, sample, limit } = options;
  const filters = { ...(language ? { language } : {}), ...(categories ? { categories } : {}), ...(sample !== undefined ? { sample } : {}), ...(limit !== undefined ? { limit } : {}) };
  const items = { total: loaded.total, run: loaded.items.length, skipped: loaded.skipped.length, ...filters };
  return { ...report, settings: { ...report.settings, items, ...(loaded.commit ? { benchmark_commit: loaded.commit } : {}) } };
}

/** Each mode sets thinking and reflection itself; a global switch would silently make two modes the same. */
function rejectModeSwitches(cmd: Command): void {
  for (const [key, flag] of [["think", "--no-think"], ["reflect", "--no-reflect"]] as const) {
    if (cmd.getOptionValueSource(key) !== "cli") continue;
    throw new ReasonEditError("usage", `eval does not take ${flag}: each mode sets thinking and reflection itself`, {
      hint: "choose the modes to compare with --modes single,think,loop,reroll",
    });
  }
}

function evalFlags(cmd: Command): Record<string, unknown> {
  const values = cmd.opts<Record<string, unknown>>();
  const keys = ["modes", "outDir", "judge", "judgeProvider", "judgeUrl", "judgeRepeats", "minScore", "concurrency", "metric", "judgeImages", "limit", "sample", "categories", "language"];
  return Object.fromEntries(keys.map((key) => [key, values[key]]));
}

/** The benchmark's chosen items, their images on disk (a Hub dataset is downloaded into the cache first). */
async function loadItems(benchmark: string, options: EvalOptions, context: CommandContext, signal: AbortSignal): Promise<LoadedBenchmark> {
  const { settings, credentials, io } = context;
  const hubUrl = io.env.HF_ENDPOINT?.trim();
  const loaded = await loadBenchmark(benchmark, {
    cwd: io.cwd,
    cacheDir: path.resolve(io.cwd, settings.cacheDir ?? defaultCacheDir(io.env)),
    offline: settings.offline,
    ...(hubUrl ? { hubUrl } : {}),
    ...(credentials.hfToken ? { accessToken: credentials.hfToken } : {}),
    selection: {
      seed: settings.seed ?? 0,
      ...(options.limit !== undefined ? { limit: options.limit } : {}),
      ...(options.sample !== undefined ? { sample: options.sample } : {}),
      ...(options.categories ? { categories: options.categories } : {}),
      ...(options.language ? { language: options.language } : {}),
    },
    signal,
    say: context.say,
    maxRetries: settings.maxRetries,
    logger: context.logger,
  });
  if (loaded.skipped.length > 0) context.say(`skipped ${loaded.skipped.length} item${loaded.skipped.length === 1 ? "" : "s"} of ${benchmark}: ${loaded.skipped[0]!.where}: ${loaded.skipped[0]!.reason}${loaded.skipped.length > 1 ? ", …" : ""}`);
  if (loaded.items.length < loaded.total) context.say(`running ${loaded.items.length} of ${loaded.total} items of ${benchmark}`);
  return loaded;
}

/** The items, modes, judge and folders an eval would use; a Hub dataset is not downloaded for a plan. */
async function printEvalPlan(benchmark: string, options: EvalOptions, context: CommandContext): Promise<number> {
  const { settings, credentials, io } = context;
  const plan = basePlan("eval", context);
  const judgeKey = io.env.REASONEDIT_JUDGE_API_KEY?.trim() || undefined;
  plan.routes.judge = modelRoute(options.judge, options.judgeProvider, options.judgeUrl, credentials, "REASONEDIT_JUDGE_API_KEY", judgeKey ?? "");
  if (!options.judgeUrl && !credentials.hfToken && !plan.problems.length) plan.problems.push(...credentialProblems(plan.routes.judge));
  const fromHub = /^hf:\/\//i.test(benchmark);
  const items = fromHub ? [] : (await withInterrupt(context.say, (signal) => loadItems(benchmark, options, context, signal))).items;
  Object.assign(plan, {
    benchmark,
    modes: options.modes,
    out_dir: options.outDir,
    judge_repeats: options.judgeRepeats,
    min_score: options.minScore ?? null,
    seeds: `derived from each item's key, the mode and --seed ${settings.seed ?? 0}`,
    items: fromHub
      ? "a Hub dataset: its rows are listed once it is downloaded (run without --dry-run, or with --offline once cached)"
      : items.map((item) => ({ key: item.key, task_type: item.taskType, language: item.language ?? null, image: item.image, instruction: item.instruction })),
  });
  printPlan(plan, context);
  return EXIT.ok;
}

function checkCredentials(context: CommandContext, options: EvalOptions): void {
  assertCredentials(context.settings, context.credentials);
  assertJudgeCredentials(context.settings, context.credentials, options);
}

function sameModel(context: CommandContext, options: EvalOptions): boolean {
  return options.judge === context.settings.mllm && options.judgeUrl === context.settings.mllmUrl && options.judgeProvider === context.settings.mllmProvider;
}

function progressReporter(context: CommandContext, total: number): (item: BenchmarkItem, outcome: ModeOutcome, keys: readonly string[]) => void {
  let done = 0;
  return (item, outcome, keys) => {
    done += 1;
    const result =
      outcome.status === "error"
        ? `error ${outcome.error?.code}: ${outcome.error ? describeReport(outcome.error) : ""}`
        : `${scoreLine(outcome.scores, keys)}, ${outcome.cost.editor_calls} edit${outcome.cost.editor_calls === 1 ? "" : "s"}`;
    context.say(`[${done}/${total}] ${item.key} ${outcome.mode}: ${result}`);
  };
}

/** `O 6.10/10 (SC 6.50/10, PQ 7.00/10)`: the headline first, then the other scores, each with its scale. */
function scoreLine(scores: Record<string, number | null>, keys: readonly string[]): string {
  const headline = keys[keys.length - 1]!;
  const others = keys.slice(0, -1).filter((key) => key in scores);
  // VIEScore's O, SC and PQ are out of 10; KRIS-Bench's criteria are on 0–100, as the report's header says.
  const score = (key: string) => (headline === "O" ? outOfTen(scores[key]) : formatScore(scores[key]));
  return `${headline} ${score(headline)}${others.length > 0 ? ` (${others.map((key) => `${key} ${score(key)}`).join(", ")})` : ""}`;
}

/** One line per mode and language: never a number pooled over languages. */
function summaryLines(report: EvalReport, files: ReportFiles): string[] {
  const { keys, headline } = report.metric;
  const several = report.languages.length > 1;
  const lines = Object.entries(report.modes).flatMap(([mode, m]) =>
    Object.entries(m.languages).map(([language, block]) => {
      const delta = m.delta_vs_single?.[language];
      return (
        `${mode.padEnd(6)}${several ? ` ${language.padEnd(4)}` : ""} ${scoreLine(block.overall, keys)}` +
        `${delta ? `, Δ${headline} ${formatPairedDelta(delta, headline)} vs single` : ""}` +
        `${block.items.errors ? `, ${block.items.errors} errors` : ""}${block.missing[headline] ? `, ${block.missing[headline]} unscored` : ""}`
      );
    }),
  );
  const gate = gateLines(report).map((line) => `gate: ${line}`);
  return [...lines, ...gate, `report: ${files.html}`, `        ${files.markdown}`, `        ${files.json}`];
}

/** A failed item means the numbers are incomplete (4) and outranks the gate (3). */
function exitCodeOf(report: EvalReport, context: CommandContext): number {
  const failed = Object.entries(report.modes).filter(([, m]) => m.items.errors > 0);
  if (failed.length > 0) {
    context.say(`some items failed (${failed.map(([mode, m]) => `${mode}: ${m.items.errors}`).join(", ")}); see the report's errors`);
    return EXIT.provider;
  }
  if (report.gate && !report.gate.passed) return EXIT.notAccepted;
  return EXIT.ok;
}
