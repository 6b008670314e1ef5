// What `reasonedit batch` does once its flags are parsed: runs the manifest, one result line per item on stdout.
import path from "node:path";
import type { Command } from "commander";
import { createServices, loopPolicy, recordableSettings } from "../../app/services.js";
import { parseBatchFlags, type BatchFlags } from "../../batch/batch-flags.js";
import { batchExitCode, type BatchTally } from "../../batch/batch-tally.js";
import { createProgress, type ProgressMode } from "../../batch/progress.js";
import type { ResultLine } from "../../batch/result-line.js";
import { resumePolicy } from "../../batch/resume.js";
import { countShardRows, openSource, runBatch, type BatchRequest } from "../../batch/run-batch.js";
import { assertCredentials, type Settings } from "../../config/settings.js";
import { RowChecker } from "../../batch/batch-item.js";
import { rawIdOf } from "../../batch/batch-row.js";
import { readManifestEntries } from "../../batch/manifest-entries.js";
import { isInShard } from "../../batch/shard.js";
import { EXIT, ReasonEditError } from "../../errors.js";
import { isImageFile } from "../../images/image-file.js";
import { buildContext, type CliIo, type CommandContext } from "../context.js";
import { basePlan, plannedBatchOutput, printPlan } from "../dry-run.js";
import { listenForBatchInterrupts } from "../interrupt.js";
import { formatBytes, plural } from "../render.js";
import { holdOutDir } from "./out-dir-lock.js";

export async function batchAction(manifests: string[], cmd: Command, io: CliIo): Promise<number> {
  const context = buildContext(cmd, io);
  const flags = parseBatchFlags(cmd.opts<Record<string, unknown>>());
  const inputs = inputsOf(manifests, flags.instruction, io.cwd);
  if (cmd.opts<{ dryRun?: boolean }>().dryRun) return printBatchPlan(inputs, flags, context);
  assertCredentials(context.settings, context.credentials);
  // Per-call retry warnings would bury the progress; -v shows them, and each item's result line says how it ended.
  if (!context.settings.verbose) context.logger.level = "error";
  const settings = context.settings;
  const request = batchRequest(inputs, flags, settings, io.cwd);
  const mode = progressMode(context);
  const progress = createProgress({ mode, stream: io.stderr });
  const total = mode !== "off" && request.manifest !== "-" ? await countShardRows(request, io.stdin) : undefined;
  progress.setTotal(total);
  const interrupt = listenForBatchInterrupts((line) => (settings.quiet ? undefined : progress.note(line)));
  const readerLeft = () => interrupt.end(new ReasonEditError("interrupted", "stdout was closed by its reader", { hint: "run the batch again with --resume" }));
  io.closed?.addEventListener("abort", readerLeft, { once: true });
  const started = performance.now();
  const lock = await holdOutDir(request.outDir, { command: "batch", takesWait: true, ...(flags.wait ? { wait: { stop: interrupt.stop, say: context.say } } : {}) });
  try {
    const services = await createServices(settings, context.credentials, context.logger, io.env, { signal: interrupt.abort });
    const outcome = await runBatch(request, { services, stdin: io.stdin, emit: lineWriter(io), progress, stop: interrupt.stop, abort: interrupt.abort });
    progress.stop();
    for (const line of summaryLines(outcome.tally, { stopped: outcome.stopped, wallMs: performance.now() - started, outDir: request.outDir, ...(total !== undefined ? { total } : {}) })) context.say(line);
    if (io.closed?.aborted) context.say("  stdout was closed by its reader: no new items were started, the ones in flight were stopped");
    return batchExitCode(outcome.tally, { interrupted: outcome.stopped || interrupt.stop.aborted, passThreshold: flags.passThreshold });
  } finally {
    progress.stop();
    interrupt.dispose();
    io.closed?.removeEventListener("abort", readerLeft);
    await lock.release();
  }
}

type BatchInputs = Pick<BatchRequest, "manifest" | "images">;

/** One manifest, or (with --instruction) any number of image paths and globs. */
function inputsOf(args: string[], instruction: string | undefined, cwd: string): BatchInputs {
  if (instruction !== undefined) {
    if (args.includes("-")) throw new ReasonEditError("usage", "--instruction takes image paths or globs, not - (stdin)", { hint: "pipe a manifest without --instruction instead" });
    return { manifest: args.join(" "), images: { patterns: args, instruction } };
  }
  if (args.length > 1) {
    throw new ReasonEditError("usage", `batch takes one manifest, but got ${args.length} arguments`, {
      hint: `to edit these images with one instruction: reasonedit batch ${args.slice(0, 2).join(" ")}${args.length > 2 ? " …" : ""} --instruction "…" --out-dir edited (or quote a glob: 'photos/*.jpg')`,
    });
  }
  if (isImageFile(args[0]!, cwd)) {
    throw new ReasonEditError("usage", `${args[0]} is an image, not a manifest`, { hint: `say what to do with it: reasonedit batch ${args[0]} --instruction "…" --out-dir edited` });
  }
  return { manifest: args[0]! };
}

function batchRequest(inputs: BatchInputs, flags: BatchFlags, settings: Settings, cwd: string): BatchRequest {
  return {
    ...inputs,
    outDir: path.resolve(cwd, flags.outDir),
    concurrency: flags.concurrency,
    resume: resumePolicy(flags.resume, flags.retryErrors),
    ...(flags.shard ? { shard: flags.shard } : {}),
    loop: loopPolicy(settings),
    ...(settings.seed !== undefined ? { seed: settings.seed } : {}),
    settingsForRecord: recordableSettings(settings),
    cwd,
    keepImages: settings.keepImages,
  };
}

/** The rows of this shard as the run would take them: each one's image, instruction, overrides and output. */
async function printBatchPlan(inputs: BatchInputs, flags: BatchFlags, context: CommandContext): Promise<number> {
  const { io } = context;
  const outDir = path.resolve(io.cwd, flags.outDir);
  const plan = basePlan("batch", context);
  const source = await openSource({ ...inputs, cwd: io.cwd }, io.stdin);
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

/**
 * Each line waits for the stream to drain, so a slow consumer of stdout slows the batch instead of filling memory.
 * Items finishing together share one wait: a listener each would pile up on the socket at -j 32. Once the reader
 * has gone (`| head -1`), lines are dropped: each item's run record still holds its outcome.
 */
function lineWriter(io: CliIo): (line: ResultLine) => Promise<void> {
  let drained: Promise<void> | undefined;
  return (line) => {
    if (io.closed?.aborted) return Promise.resolve();
    if (io.stdout.write(`${JSON.stringify(line)}\n`)) return drained ?? Promise.resolve();
    drained ??= new Promise<void>((resolve) => {
      const done = () => {
        drained = undefined;
        resolve();
      };
      io.stdout.once("drain", done);
      io.closed?.addEventListener("abort", done, { once: true });
    });
    return drained;
  };
}

export interface BatchSummary {
  stopped: boolean;
  wallMs: number;
  outDir: string;
  /** The rows of this shard, when they were counted up front: a stopped batch then says "20 of 40 items". */
  total?: number;
}

export function summaryLines(tally: BatchTally, summary: BatchSummary): string[] {
  const errorKinds = [
    tally.providerErrors && `${tally.providerErrors} provider`,
    tally.inputErrors && `${tally.inputErrors} bad row or image`,
    tally.interrupted && `${tally.interrupted} interrupted`,
    tally.internalErrors && `${tally.internalErrors} internal`,
    tally.environmentErrors && `${tally.environmentErrors} local disk or folder`,
  ].filter(Boolean);
  const errors = `${plural(tally.errors, "error")}${errorKinds.length ? ` (${errorKinds.join(", ")})` : ""}`;
  const resumed = tally.resumed ? `; ${tally.resumed} settled by an earlier run` : "";
  const judged = tally.accepted - tally.notJudged;
  const outcomes = [
    (judged > 0 || tally.notJudged === 0) && `${judged} accepted`,
    tally.notJudged > 0 && `${tally.notJudged} done, not judged (--no-reflect)`,
    `${tally.notAccepted} not accepted`,
    errors,
  ].filter(Boolean);
  const items = summary.stopped && summary.total !== undefined && summary.total > tally.items ? `${tally.items} of ${plural(summary.total, "item")}` : plural(tally.items, "item");
  const cached = tally.cachedCalls ? `, ${tally.cachedCalls} from cache` : "";
  const lines = [
    `batch: ${items} — ${outcomes.join(", ")}${resumed}`,
    `  ${plural(tally.mllmCalls, "MLLM call")}, ${plural(tally.editorCalls, "edit")}, ${plural(tally.tokens, "token")}${cached}, ${(summary.wallMs / 1000).toFixed(1)}s → ${summary.outDir} (${formatBytes(tally.bytesWritten)} written)`,
  ];
  if (summary.stopped) lines.push("  interrupted: the items above are finished and on disk; run the same command with --resume to do the rest");
  else if (tally.environmentErrors > 0) lines.push("  → the local disk or a folder failed (see the items' errors): fix it, then run the same command with --resume to do the rest");
  else if (tally.providerErrors > 0) lines.push(`  → ${plural(tally.providerErrors, "item")} failed at a provider: run the same command with --retry-errors to redo ${tally.providerErrors === 1 ? "it" : "them"}`);
  return lines;
}
