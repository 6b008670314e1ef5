// `reasonedit batch <manifest>`: many edits from JSONL/CSV, one result line per item on stdout.
import path from "node:path";
import { Command } from "commander";
import { ReasonEditError } from "../../errors.js";
import type { BatchFlags } from "../../batch/batch-flags.js";
import type { BatchTally } from "../../batch/batch-tally.js";
import type { BatchRequest } from "../../batch/run-batch.js";
import type { Settings } from "../../config/settings.js";
import type { ResultLine } from "../../batch/result-line.js";
import type { ProgressMode } from "../../batch/progress.js";
import type { FolderLock } from "../../runs/folder-lock.js";
import { addLoopOptions, addModelOptions, addRuntimeOptions } from "../common-options.js";
import { buildContext, type CliIo, type CommandContext } from "../context.js";
import { listenForBatchInterrupts } from "../interrupt.js";

export function registerBatchCommand(program: Command, io: CliIo): void {
  const command = program
    .command("batch")
    .description("edit many images from a JSONL or CSV manifest; one JSON result line per item on stdout")
    .argument("<manifest>", "JSONL (one {id, image, instruction, …} per line) or CSV with a header; - reads stdin")
    .option("--out-dir <dir>", "folder for <id>.<ext> results and runs/<id>/ run records, which --run-dir does not move (required)")
    .option("-j, --concurrency <n>", "items in flight at once, sharing one rate limiter  [4]")
    .option("--resume", "skip items an earlier run finished (accepted or not) or that ended in error; redo the rest")
    .option("--retry-errors", "like --resume, and also redo the items that ended in error")
    .option("--wait", "when another batch holds --out-dir, wait for it to finish instead of refusing")
    .option("--shard <i/n>", "take only the rows whose id hashes to shard i of n (0-based), e.g. 0/4")
    .option("--pass-threshold <share>", "exit 0 when at least this share of items is accepted, e.g. 0.9 or 90%  [1]");
  addModelOptions(command);
  addLoopOptions(command);
  addRuntimeOptions(command);
  command.action(async (manifest: string, _options: unknown, cmd: Command) => {
    process.exitCode = await runBatchCommand(manifest, cmd, io);
  });
}

async function runBatchCommand(manifest: string, cmd: Command, io: CliIo): Promise<number> {
  const context = buildContext(cmd, io);
  const { parseBatchFlags } = await import("../../batch/batch-flags.js");
  const flags = parseBatchFlags(cmd.opts<Record<string, unknown>>());
  const { assertCredentials } = await import("../../config/settings.js");
  assertCredentials(context.settings, context.credentials);
  // Per-call retry warnings would bury the progress; -v shows them, and each item's result line says how it ended.
  if (!context.settings.verbose) context.logger.level = "error";
  const { createServices } = await import("../../app/services.js");
  const { runBatch, countShardRows } = await import("../../batch/run-batch.js");
  const { batchExitCode } = await import("../../batch/batch-tally.js");
  const { createProgress } = await import("../../batch/progress.js");
  const settings = context.settings;
  const request = await batchRequest(manifest, flags, settings, io.cwd);
  const mode = progressMode(context);
  const progress = createProgress({ mode, stream: io.stderr });
  if (mode !== "off" && manifest !== "-") progress.setTotal(await countShardRows(request, io.stdin));
  const interrupt = listenForBatchInterrupts((line) => (settings.quiet ? undefined : progress.note(line)));
  const started = performance.now();
  const lock = await holdOutDir(request.outDir, flags.wait, interrupt.stop, context);
  try {
    const services = await createServices(settings, context.credentials, context.logger, { signal: interrupt.abort });
    const outcome = await runBatch(request, { services, stdin: io.stdin, emit: lineWriter(io.stdout), progress, stop: interrupt.stop, abort: interrupt.abort });
    progress.stop();
    for (const line of summaryLines(outcome.tally, outcome.stopped, performance.now() - started, request.outDir)) context.say(line);
    return batchExitCode(outcome.tally, { interrupted: outcome.stopped || interrupt.stop.aborted, passThreshold: flags.passThreshold });
  } finally {
    progress.stop();
    interrupt.dispose();
    await lock.release();
  }
}

/** --out-dir exists, takes files and is this run's alone, all before the first paid call. */
async function holdOutDir(outDir: string, wait: boolean, stop: AbortSignal, context: CommandContext): Promise<FolderLock> {
  const { prepareFolder } = await import("../../runs/prepare-folder.js");
  const { lockFolder } = await import("../../runs/folder-lock.js");
  const { processProbe } = await import("../process-probe.js");
  await prepareFolder(outDir, { role: "--out-dir", create: true });
  const options = { probe: processProbe(), role: "--out-dir", command: "batch" };
  try {
    return await lockFolder(outDir, options);
  } catch (error) {
    if (!wait || !ReasonEditError.is(error) || error.code !== "locked") throw error;
    context.say(`waiting: ${error.message}`);
    return lockFolder(outDir, { ...options, wait: { signal: stop } });
  }
}

async function batchRequest(manifest: string, flags: BatchFlags, settings: Settings, cwd: string): Promise<BatchRequest> {
  const { loopSettings, recordableSettings } = await import("../../app/services.js");
  const { resumePolicy } = await import("../../batch/resume.js");
  return {
    manifest,
    outDir: path.resolve(cwd, flags.outDir),
    concurrency: flags.concurrency,
    resume: resumePolicy(flags.resume, flags.retryErrors),
    ...(flags.shard ? { shard: flags.shard } : {}),
    loop: loopSettings(settings),
    ...(settings.seed !== undefined ? { seed: settings.seed } : {}),
    settingsForRecord: recordableSettings(settings),
    cwd,
  };
}

function progressMode(context: CommandContext): ProgressMode {
  if (context.settings.quiet) return "off";
  return context.io.stderr.isTTY ? "bar" : "lines";
}

/**
 * Each line waits for the stream to drain, so a slow consumer of stdout slows the batch instead of filling memory.
 * Items finishing together share one wait: a listener each would pile up on the socket at -j 32.
 */
function lineWriter(stdout: NodeJS.WritableStream): (line: ResultLine) => Promise<void> {
  let drained: Promise<void> | undefined;
  return (line) => {
    if (stdout.write(`${JSON.stringify(line)}\n`)) return drained ?? Promise.resolve();
    drained ??= new Promise<void>((resolve) =>
      stdout.once("drain", () => {
        drained = undefined;
        resolve();
      }),
    );
    return drained;
  };
}

export function summaryLines(tally: BatchTally, stopped: boolean, wallMs: number, outDir: string): string[] {
  const errorKinds = [
    tally.providerErrors && `${tally.providerErrors} provider`,
    tally.inputErrors && `${tally.inputErrors} bad row or image`,
    tally.interrupted && `${tally.interrupted} interrupted`,
    tally.internalErrors && `${tally.internalErrors} internal`,
    tally.environmentErrors && `${tally.environmentErrors} local disk or folder`,
  ].filter(Boolean);
  const errors = `${tally.errors} error${tally.errors === 1 ? "" : "s"}${errorKinds.length ? ` (${errorKinds.join(", ")})` : ""}`;
  const resumed = tally.resumed ? `; ${tally.resumed} settled by an earlier run` : "";
  const lines = [
    `batch: ${tally.items} item${tally.items === 1 ? "" : "s"} — ${tally.accepted} accepted, ${tally.notAccepted} not accepted, ${errors}${resumed}`,
    `  ${tally.mllmCalls} MLLM calls, ${tally.editorCalls} edits, ${tally.tokens} tokens, ${(wallMs / 1000).toFixed(1)}s → ${outDir}`,
  ];
  if (stopped) lines.push("  interrupted: the items above are finished and on disk; run the same command with --resume to do the rest");
  else if (tally.environmentErrors > 0) lines.push("  → the local disk or a folder failed (see the items' errors): fix it, then run the same command with --resume to do the rest");
  else if (tally.providerErrors > 0) lines.push(`  → ${tally.providerErrors} item(s) failed at a provider: run the same command with --retry-errors to redo them`);
  return lines;
}
