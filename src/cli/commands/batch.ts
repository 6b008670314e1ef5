// `reasonedit batch <manifest>`: many edits from JSONL/CSV, one result line per item on stdout.
import path from "node:path";
import { Command } from "commander";
import { ReasonEditError } from "../../errors.js";
import { isImageFile } from "../../images/image-file.js";
import type { BatchFlags } from "../../batch/batch-flags.js";
import type { BatchTally } from "../../batch/batch-tally.js";
import type { BatchRequest } from "../../batch/run-batch.js";
import type { Settings } from "../../config/settings.js";
import type { ResultLine } from "../../batch/result-line.js";
import type { ProgressMode } from "../../batch/progress.js";
import { addLoopOptions, addModelOptions, addRuntimeOptions } from "../common-options.js";
import { buildContext, type CliIo, type CommandContext } from "../context.js";
import { listenForBatchInterrupts } from "../interrupt.js";
import { formatBytes, plural } from "../render.js";

export function registerBatchCommand(program: Command, io: CliIo): void {
  const command = program
    .command("batch")
    .description("edit many images from a JSONL or CSV manifest; one JSON result line per item on stdout")
    .argument("<manifest...>", "JSONL (one {id, image, instruction, …} per line) or CSV with a header; - reads stdin. With --instruction: image paths or quoted globs such as 'photos/*.jpg'")
    .option("--instruction <text>", "edit every image given (paths or globs, not a manifest) with this instruction; ids are the file names")
    .option("--out-dir <dir>", "folder for <id>.<ext> results and runs/<id>/ run records, which --run-dir does not move (required)")
    .option("-j, --concurrency <n>", "items in flight at once, sharing one rate limiter  [4]")
    .option("--resume", "skip items an earlier run finished (accepted or not) or that ended in error; redo the rest")
    .option("--retry-errors", "like --resume, and also redo the items that ended in error")
    .option("--shard <i/n>", "take only the rows whose id hashes to shard i of n (0-based), e.g. 0/4")
    .option("--pass-threshold <share>", "exit 0 when at least this share of items is accepted, e.g. 0.9 or 90%  [1]");
  addModelOptions(command);
  addLoopOptions(command);
  addRuntimeOptions(command);
  command.action(async (manifests: string[], _options: unknown, cmd: Command) => {
    process.exitCode = await runBatchCommand(manifests, cmd, io);
  });
}

async function runBatchCommand(manifests: string[], cmd: Command, io: CliIo): Promise<number> {
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
  const request = await batchRequest(manifests, flags, settings, io.cwd);
  const mode = progressMode(context);
  const progress = createProgress({ mode, stream: io.stderr });
  const total = mode !== "off" && request.manifest !== "-" ? await countShardRows(request, io.stdin) : undefined;
  progress.setTotal(total);
  const interrupt = listenForBatchInterrupts((line) => (settings.quiet ? undefined : progress.note(line)));
  const readerLeft = () => interrupt.end(new ReasonEditError("interrupted", "stdout was closed by its reader", { hint: "run the batch again with --resume" }));
  io.closed?.addEventListener("abort", readerLeft, { once: true });
  const started = performance.now();
  try {
    const services = await createServices(settings, context.credentials, context.logger, { signal: interrupt.abort });
    const outcome = await runBatch(request, { services, stdin: io.stdin, emit: lineWriter(io), progress, stop: interrupt.stop, abort: interrupt.abort });
    progress.stop();
    for (const line of summaryLines(outcome.tally, { stopped: outcome.stopped, wallMs: performance.now() - started, outDir: request.outDir, ...(total !== undefined ? { total } : {}) })) context.say(line);
    if (io.closed?.aborted) context.say("  stdout was closed by its reader: no new items were started, the ones in flight were stopped");
    return batchExitCode(outcome.tally, { interrupted: outcome.stopped || interrupt.stop.aborted, passThreshold: flags.passThreshold });
  } finally {
    progress.stop();
    interrupt.dispose();
    io.closed?.removeEventListener("abort", readerLeft);
  }
}

async function batchRequest(manifests: string[], flags: BatchFlags, settings: Settings, cwd: string): Promise<BatchRequest> {
  const { loopSettings, recordableSettings } = await import("../../app/services.js");
  const { resumePolicy } = await import("../../batch/resume.js");
  return {
    ...inputsOf(manifests, flags.instruction, cwd),
    outDir: path.resolve(cwd, flags.outDir),
    concurrency: flags.concurrency,
    resume: resumePolicy(flags.resume, flags.retryErrors),
    ...(flags.shard ? { shard: flags.shard } : {}),
    loop: loopSettings(settings),
    ...(settings.seed !== undefined ? { seed: settings.seed } : {}),
    settingsForRecord: recordableSettings(settings),
    cwd,
    keepImages: settings.keepImages,
  };
}

/** One manifest, or (with --instruction) any number of image paths and globs. */
function inputsOf(args: string[], instruction: string | undefined, cwd: string): Pick<BatchRequest, "manifest" | "images"> {
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
  else if (tally.providerErrors > 0) lines.push(`  → ${plural(tally.providerErrors, "item")} failed at a provider: run the same command with --retry-errors to redo ${tally.providerErrors === 1 ? "it" : "them"}`);
  return lines;
}
