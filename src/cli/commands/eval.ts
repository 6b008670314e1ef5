// `reasonedit eval <benchmark>`: single-pass vs reasoning modes over a GEdit-shaped benchmark, scored by a judge model.
import { access } from "node:fs/promises";
import path from "node:path";
import { Command } from "commander";
import { describeReport, EXIT, ReasonEditError } from "../../errors.js";
import type { BenchmarkItem } from "../../eval/benchmark.js";
import { DEFAULT_CONCURRENCY, DEFAULT_JUDGE, type EvalOptions, type MetricName } from "../../eval/eval-options.js";
import type { LoadedBenchmark } from "../../eval/load-benchmark.js";
import type { ModeOutcome } from "../../eval/outcome.js";
import type { ReportFiles } from "../../eval/report-files.js";
import type { EvalReport } from "../../eval/report.js";
import { formatPairedDelta, formatScore, gateLines } from "../../eval/report-markdown.js";
import { addLoopOptions, addModelOptions, addRuntimeOptions } from "../common-options.js";
import { buildContext, type CliIo, type CommandContext } from "../context.js";
import { withInterrupt } from "../interrupt.js";

export function registerEvalCommand(program: Command, io: CliIo): void {
  const command = program
    .command("eval")
    .description("score single-pass editing against thinking and reflection on a benchmark, with a separate judge model")
    .argument(
      "<benchmark>",
      'JSONL in GEdit-Bench\'s shape ({"key", "task_type", "instruction", "input_image", ...}), a parquet file, a KRIS-Bench folder, or hf://datasets/<owner>/<name>',
    )
    .option("--modes <list>", "comma-separated: single, think, loop, reroll, full (loop plus exact ops, preserve, change map)  [single,think,loop,reroll]")
    .option("--out-dir <dir>", "where reports and every mode's images go  [./reasonedit-eval/<benchmark name>]")
    .option("--judge <model>", `judge model for VIEScore  [${DEFAULT_JUDGE}]`)
    .option("--judge-provider <provider>", 'provider for the judge, or "auto"  [auto]')
    .option("--judge-url <url>", "OpenAI-compatible server for the judge (key in REASONEDIT_JUDGE_API_KEY)")
    .option("--judge-repeats <k>", "judge each image k times and report the spread  [1]")
    .option("--metric <name>", "viescore (GEdit-Bench: SC, PQ, O on 0–10) or kris (KRIS-Bench's four 1–5 criteria on 0–100)  [the benchmark's own]")
    .option("--judge-images <how>", "working (the ≤1024 px images the reasoner sees) or original (GEdit's rendering: full size; images first for a Qwen judge)  [working]")
    .option("--min-score <score>", "exit 3 when the loop mode's headline score (full's when loop does not run) is below this in any language (O 0–10; kris 0–100)")
    .option("-j, --concurrency <n>", `items evaluated at once  [${DEFAULT_CONCURRENCY}]`)
    .option("--limit <n>", "run only the first n items (after the other filters)")
    .option("--sample <n>", "run n items drawn with --seed, spread evenly over the categories")
    .option("--categories <list>", "comma-separated task types (GEdit-Bench) or category folders (KRIS-Bench) to run")
    .option("--language <lang>", "run only items in this language, e.g. en or cn (GEdit-Bench's instruction_language)");
  addModelOptions(command);
  addLoopOptions(command);
  addRuntimeOptions(command);
  describeOption(command, "--seed", "base of the seeds each item and mode derive from, so reruns ask for the same edits  [0]");
  describeOption(command, "--rounds", "edit-call budget of the loop mode (reroll matches what it spends)  [3]");
  describeOption(command, "--run-dir", "not used by eval: every item's run records go under <out-dir>/items");
  command.action(async (benchmark: string, _options: unknown, cmd: Command) => {
    process.exitCode = await runEvalCommand(benchmark, cmd, io);
  });
}

/** The shared flags read for edit; this is what they mean for eval. */
function describeOption(command: Command, flag: string, description: string): void {
  const option = command.options.find((candidate) => candidate.long === flag);
  if (option) option.description = description;
}

async function runEvalCommand(benchmark: string, cmd: Command, io: CliIo): Promise<number> {
  rejectModeSwitches(cmd);
  const context = buildContext(cmd, io);
  const { resolveEvalOptions } = await import("../../eval/eval-options.js");
  const options = resolveEvalOptions(evalFlags(cmd), io.env, benchmark, io.cwd);
  await checkCredentials(context, options);
  const loaded = await withInterrupt(io, context.say, (signal) => loadItems(benchmark, options, context, signal));
  const items = loaded.items;
  await assertImagesExist(items, benchmark);
  const { chooseMetric } = await import("../../eval/eval-options.js");
  const { looksLikeKris } = await import("../../eval/kris.js");
  const { categoriesOf } = await import("../../eval/benchmark.js");
  const metric = chooseMetric(options, loaded.shape === "kris" || looksLikeKris(categoriesOf(items)));
  if (sameModel(context, options)) context.say(`warning: the judge ${options.judge} is also the reflection MLLM, so the loop is graded by itself`);
  const report = withProvenance(await withInterrupt(io, context.say, (signal) => evaluate(benchmark, items, { options, metric }, context, signal)), loaded, options);
  const files = await writeReportFiles(options.outDir, report);
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
  const { loadBenchmark } = await import("../../eval/load-benchmark.js");
  const { defaultCacheDir } = await import("../../cache/call-cache.js");
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

async function checkCredentials(context: CommandContext, options: EvalOptions): Promise<void> {
  const { assertCredentials } = await import("../../config/settings.js");
  const { assertJudgeCredentials } = await import("../../eval/create-judge.js");
  assertCredentials(context.settings, context.credentials);
  assertJudgeCredentials(context.settings, context.credentials, options);
}

/** Fails before any paid call when a local image is missing, rather than after the items before it. */
async function assertImagesExist(items: readonly BenchmarkItem[], benchmark: string): Promise<void> {
  for (const item of items) {
    if (/^https?:\/\//i.test(item.image)) continue;
    await access(item.image).catch(() => {
      throw new ReasonEditError("input_missing", `${benchmark} line ${item.line}: input_image ${item.image} does not exist`, {
        hint: "input_image paths are relative to the benchmark file",
      });
    });
  }
}

function sameModel(context: CommandContext, options: EvalOptions): boolean {
  return options.judge === context.settings.mllm && options.judgeUrl === context.settings.mllmUrl && options.judgeProvider === context.settings.mllmProvider;
}

async function evaluate(
  benchmark: string,
  items: BenchmarkItem[],
  { options, metric }: { options: EvalOptions; metric: MetricName },
  context: CommandContext,
  signal: AbortSignal,
): Promise<EvalReport> {
  const { createServices, loopSettings, recordableSettings } = await import("../../app/services.js");
  const { SharedThrottle } = await import("../../providers/throttle.js");
  const { createJudge } = await import("../../eval/create-judge.js");
  const { runEval } = await import("../../eval/run-eval.js");
  const { buildReport } = await import("../../eval/report.js");
  const settings = context.settings;
  const throttle = new SharedThrottle();
  const services = await createServices(settings, context.credentials, context.logger, { signal, throttle, exactReplays: true });
  const judgeApiKey = context.io.env.REASONEDIT_JUDGE_API_KEY?.trim();
  const { judge, id: judgeId } = await createJudge({
    settings,
    credentials: context.credentials,
    ...(judgeApiKey ? { judgeApiKey } : {}),
    options,
    metric,
    cache: services.cache,
    logger: context.logger,
    throttle,
  });
  const baseSeed = settings.seed ?? 0;
  const progress = progressReporter(context, items.length * options.modes.length, judge.metric.keys);
  const outcomes = await runEval({
    plan: {
      items,
      modes: options.modes,
      loop: { ...loopSettings(settings), seed: baseSeed },
      baseSeed,
      outDir: options.outDir,
      concurrency: options.concurrency,
      settingsForRecord: { ...recordableSettings(settings), judge: judgeId },
      keepImages: settings.keepImages,
      cwd: context.io.cwd,
    },
    services,
    judge,
    signal,
    onModeDone: progress,
  });
  const cache = services.cache.session;
  if (services.cache.mode !== "off") context.say(`cache: ${cache.hits} hits, ${cache.misses} misses (${services.cache.dir})`);
  const reportSettings = {
    benchmark,
    modes: options.modes,
    mllm: services.models.mllm,
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

function progressReporter(context: CommandContext, total: number, keys: readonly string[]): (item: BenchmarkItem, outcome: ModeOutcome) => void {
  let done = 0;
  return (item, outcome) => {
    done += 1;
    const result =
      outcome.status === "error"
        ? `error ${outcome.error?.code}: ${outcome.error ? describeReport(outcome.error) : ""}`
        : `${scoreLine(outcome.scores, keys)}, ${outcome.cost.editor_calls} edit${outcome.cost.editor_calls === 1 ? "" : "s"}`;
    context.say(`[${done}/${total}] ${item.key} ${outcome.mode}: ${result}`);
  };
}

async function writeReportFiles(outDir: string, report: EvalReport): Promise<ReportFiles> {
  const { writeReports } = await import("../../eval/report-files.js");
  return writeReports(outDir, report);
}

/** `O 6.10 (SC 6.50, PQ 7.00)`: the headline first, then the other scores. */
function scoreLine(scores: Record<string, number | null>, keys: readonly string[]): string {
  const headline = keys[keys.length - 1]!;
  const others = keys.slice(0, -1).filter((key) => key in scores);
  return `${headline} ${formatScore(scores[headline])}${others.length > 0 ? ` (${others.map((key) => `${key} ${formatScore(scores[key])}`).join(", ")})` : ""}`;
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

function summaryJson(report: EvalReport, files: ReportFiles): Record<string, unknown> {
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
