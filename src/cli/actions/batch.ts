// What `reasonedit batch` does once its flags are parsed: runs the manifest, one result line per item on stdout.
import path from "node:path";
import type { Command } from "commander";
import { createServices, loopPolicy, recordableSettings } from "../../app/services.js";
import { parseBatchFlags, type BatchFlags } from "../../batch/batch-flags.js";
import { batchExitCode, type BatchTally } from "../../batch/batch-tally.js";
import { createProgress, type ProgressMode } from "../../batch/progress.js";
import type { ResultLine } from "../../batch/result-line.js";
import { resumePolicy } from "../../batch/resume.js";
import { countShardRows, runBatch, type BatchRequest } from "../../batch/run-batch.js";
import { assertCredentials, type Settings } from "../../config/settings.js";
import { RowChecker } from "../../batch/batch-item.js";
import { rawIdOf } from "../../batch/batch-row.js";
import { readManifestEntries } from "../../batch/manifest-entries.js";
import { openManifest } from "../../batch/manifest-source.js";
import { isInShard } from "../../batch/shard.js";
import { EXIT } from "../../errors.js";
import { buildContext, type CliIo, type CommandContext } from "../context.js";
import { basePlan, plannedBatchOutput, printPlan } from "../dry-run.js";
import { listenForBatchInterrupts } from "../interrupt.js";

export async function batchAction(manifest: string, cmd: Command, io: CliIo): Promise<number> {
  const context = buildContext(cmd, io);
  const flags = parseBatchFlags(cmd.opts<Record<string, unknown>>());
  if (cmd.opts<{ dryRun?: boolean }>().dryRun) return printBatchPlan(manifest, flags, context);
  assertCredentials(context.settings, context.credentials);
  // Per-call retry warnings would bury the progress; -v shows them, and each item's result line says how it ended.
  if (!context.settings.verbose) context.logger.level = "error";
  const settings = context.settings;
  const request = batchRequest(manifest, flags, settings, io.cwd);
  const mode = progressMode(context);
  const progress = createProgress({ mode, stream: io.stderr });
  if (mode !== "off" && manifest !== "-") progress.setTotal(await countShardRows(request, io.stdin));
  const interrupt = listenForBatchInterrupts((line) => (settings.quiet ? undefined : progress.note(line)));
  const started = performance.now();
  try {
    const services = await createServices(settings, context.credentials, context.logger, io.env, { signal: interrupt.abort });
    const outcome = await runBatch(request, { services, stdin: io.stdin, emit: (line) => writeLine(io.stdout, line), progress, stop: interrupt.stop, abort: interrupt.abort });
    progress.stop();
    for (const line of summaryLines(outcome.tally, outcome.stopped, performance.now() - started, request.outDir)) context.say(line);
    return batchExitCode(outcome.tally, { interrupted: outcome.stopped || interrupt.stop.aborted, passThreshold: flags.passThreshold });
  } finally {
    progress.stop();
    interrupt.dispose();
  }
}

function batchRequest(manifest: string, flags: BatchFlags, settings: Settings, cwd: string): BatchRequest {
  return {
    manifest,
    outDir: path.resolve(cwd, flags.outDir),
    concurrency: flags.concurrency,
    resume: resumePolicy(flags.resume, flags.retryErrors),
    ...(flags.shard ? { shard: flags.shard } : {}),
    loop: loopPolicy(settings),
    ...(settings.seed !== undefined ? { seed: settings.seed } : {}),
    settingsForRecord: recordableSettings(settings),
    cwd,
  };
}

/** The rows of this shard as the run would take them: each one's image, instruction, overrides and output. */
async function printBatchPlan(manifest: string, flags: BatchFlags, context: CommandContext): Promise<number> {
  const { io } = context;
  const outDir = path.resolve(io.cwd, flags.outDir);
  const plan = basePlan("batch", context);
  const source = await openManifest(manifest, { cwd: io.cwd, stdin: io.stdin });
  const checker = new RowChecker(outDir, source.baseDir);
  const rows: unknown[] = [];
  const warnings: string[] = [];
  try {
    for await (const entry of readManifestEntries(source)) {
      const id = "fields" in entry ? rawIdOf(entry.fields) : entry.id;
      if (!isInShard(flags.shard, id, entry.line)) continue;
      warnings.push(...checker.unknownKeyWarnings(entry));
      const checked = checker.check(entry);
      if ("problem" in checked) rows.push({ line: entry.line, id: checked.problem.id, problem: checked.problem.message });
      else rows.push({ line: checked.item.line, id: checked.item.id, image: checked.item.image, instruction: checked.item.instruction, overrides: checked.item.overrides, output: plannedBatchOutput(outDir, checked.item.id, checked.item.image, checked.item.output) });
    }
  } finally {
    source.close();
  }
  Object.assign(plan, {
    manifest: source.label,
    out_dir: outDir,
    run_records: path.join(outDir, "runs", "<id>", "run.json"),
    shard: flags.shard ? `${flags.shard.index}/${flags.shard.count}` : "all rows",
    concurrency: flags.concurrency,
    resume: resumePolicy(flags.resume, flags.retryErrors),
    seed: context.settings.seed ?? "per row: the row's seed, else random (recorded in each run.json)",
    rows,
  });
  plan.problems.push(...warnings.map((warning) => warning.replace(/^warning: /, "")));
  printPlan(plan, context);
  return EXIT.ok;
}

function progressMode(context: CommandContext): ProgressMode {
  if (context.settings.quiet) return "off";
  return context.io.stderr.isTTY ? "bar" : "lines";
}

/** Waits for the stream to drain, so a slow consumer of stdout slows the batch instead of filling memory. */
function writeLine(stdout: NodeJS.WritableStream, line: ResultLine): Promise<void> {
  return new Promise((resolve) => {
    if (stdout.write(`${JSON.stringify(line)}\n`)) resolve();
    else stdout.once("drain", resolve);
  });
}

export function summaryLines(tally: BatchTally, stopped: boolean, wallMs: number, outDir: string): string[] {
  const errorKinds = [
    tally.providerErrors && `${tally.providerErrors} provider`,
    tally.inputErrors && `${tally.inputErrors} bad row or image`,
    tally.interrupted && `${tally.interrupted} interrupted`,
    tally.internalErrors && `${tally.internalErrors} internal`,
  ].filter(Boolean);
  const errors = `${tally.errors} error${tally.errors === 1 ? "" : "s"}${errorKinds.length ? ` (${errorKinds.join(", ")})` : ""}`;
  const resumed = tally.resumed ? `; ${tally.resumed} settled by an earlier run` : "";
  const lines = [
    `batch: ${tally.items} item${tally.items === 1 ? "" : "s"} — ${tally.accepted} accepted, ${tally.notAccepted} not accepted, ${errors}${resumed}`,
    `  ${tally.mllmCalls} MLLM calls, ${tally.editorCalls} edits, ${tally.tokens} tokens, ${(wallMs / 1000).toFixed(1)}s → ${outDir}`,
  ];
  if (stopped) lines.push("  interrupted: the items above are finished and on disk; run the same command with --resume to do the rest");
  else if (tally.providerErrors > 0) lines.push(`  → ${tally.providerErrors} item(s) failed at a provider: run the same command with --retry-errors to redo them`);
  return lines;
}
