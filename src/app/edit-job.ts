// One edit job end to end: load and shape the image, run the loop, keep a run record, write the result.
import { existsSync, statSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import type { Logger } from "pino";
import type { KeepImages } from "../config/settings.js";
import { errorReport, isAbortError, ReasonEditError } from "../errors.js";
import type { RecordedSettings } from "./services.js";
import { DEFAULT_MAX_PIXELS, loadInput, openFullResolution, withFullResolution, type InputImage } from "../images/input.js";
import { sizeAfterOps } from "../loop/op-bounds.js";
import { assertNotInput, defaultOutputPath, encodeOutput, encodePixelsOutput, outputFormatFor } from "../images/output.js";
import { pixelsOf, readRgb, type RgbImage } from "../images/rgb.js";
import { mllmLongSideFor, reasonerForInput, shapeForEditor } from "../images/shape.js";
import { runEditLoop, type LoopEvent, type LoopResult, type LoopSettings } from "../loop/run-edit-loop.js";
import type { Editor, Picture, Reasoner, Workbench } from "../loop/types.js";
import type { Degradation } from "../providers/chat-model.js";
import { writeFileAtomic } from "../runs/atomic-write.js";
import { seedOfUnfinishedRun } from "../runs/earlier-run.js";
import { prepareFolder } from "../runs/prepare-folder.js";
import { RunFolder, newRunId, stepRecord, totalsOf } from "../runs/run-folder.js";
import { RUN_SCHEMA, type RoundRecord, type RunRecord, type RunStatus } from "../runs/run-record.js";

export interface EditJob {
  image: string;
  instruction: string;
  /** Output path, "-" for stdout, or undefined for `<name>.edited<ext>` beside the input. */
  output?: string;
  loop: LoopSettings;
  /** Folder that receives this run's folder. */
  runsRoot: string;
  /** Exact run folder (batch uses one per item); overrides runsRoot. */
  runDir?: string;
  /** Recorded in run.json, with `loop.seed` as the seed (the one actually used); must never contain secrets. */
  settingsForRecord: RecordedSettings;
  cwd: string;
  /** What the run folder keeps beside run.json (default all). */
  keepImages?: KeepImages;
  /** An absolute path for the working source shared by jobs on one input (eval's modes): written once, then referred to. */
  sharedSource?: string;
  /** Create the output's folder when it is missing (--mkdir); otherwise a missing folder is refused before any call. */
  mkdir?: boolean;
  /**
   * The seed was drawn at random rather than given: take the seed of an unfinished earlier run of this same edit
   * instead, so the calls that run finished come from the cache.
   */
  reuseEarlierSeed?: boolean;
}

export interface EditServices {
  reasoner: Reasoner;
  editor: Editor;
  workbench?: Workbench;
  models: { mllm: string; editor: string };
  logger: Logger;
  toolVersion: string;
  stdin?: NodeJS.ReadableStream;
  stdout?: NodeJS.WritableStream;
  signal?: AbortSignal;
  onEvent?: (event: LoopEvent) => void;
  /** Told where the run record will be, as soon as the run folder is chosen (so a failure can point at it). */
  onRunFolder?: (recordPath: string) => void;
  /** Decoded inputs shared across jobs (a batch may use one image for many rows). */
  loadImage?: (spec: string) => Promise<InputImage>;
  /** What the models have had to do without so far (a server that rejected response_format), for the record. */
  degradations?: () => readonly Degradation[];
}

export interface EditJobResult {
  status: Exclude<RunStatus, "running" | "error" | "interrupted">;
  output: string;
  record: RunRecord;
  recordPath: string;
  /** Bytes the run folder holds (run.json and the images kept). */
  recordBytes: number;
  /** Bytes of the result file (0 for stdout). */
  outputBytes: number;
  loop: LoopResult;
}

export async function runEditJob(job: EditJob, services: EditServices): Promise<EditJobResult> {
  const started = performance.now();
  const input = await (services.loadImage ?? ((spec) => loadInput(spec, { ...(services.stdin ? { stdin: services.stdin } : {}) })))(job.image);
  for (const warning of input.warnings) services.logger.warn({ input: input.label }, warning);
  const outputPath = resolveOutputPath(job.output, input, job.cwd);
  if (outputPath !== "-") assertNotInput(outputPath, input);
  const folder = new RunFolder(job.runDir ?? `${job.runsRoot}/${newRunId(input.label)}`, { keepImages: job.keepImages ?? "all", imageLongSide: mllmLongSideFor(input) });
  await prepareFolders(job, outputPath, folder);
  const source = await shapeForEditor(input);
  const inputHash = input.sha256;
  const seed = job.reuseEarlierSeed ? await seedOfUnfinishedRun(job.runsRoot, input.label, { sha256: inputHash, instruction: job.instruction }) : undefined;
  if (seed !== undefined) services.logger.info({ seed }, "reusing the seed of an unfinished earlier run of this edit, so its finished calls come from the cache");
  const settled: EditJob = seed === undefined ? job : { ...job, loop: { ...job.loop, seed }, settingsForRecord: { ...job.settingsForRecord, seed } };
  services.onRunFolder?.(folder.recordPath);
  // Written before the first call: a full disk is found before paying, and the seed is on disk for a redo.
  const record = await startRecord(folder, settled, services, input, source, inputHash);
  const rounds: RoundRecord[] = [];
  const saving: Array<Promise<void>> = [];

  const seen: Pick<LoopResult, "thinking" | "rounds"> = { rounds: [] };
  const onEvent = (event: LoopEvent) => {
    services.onEvent?.(event);
    if (event.type === "thought") seen.thinking = event.thinking;
    if (event.type === "round_finished") seen.rounds.push(event.round);
    if (event.type === "round_finished") saving.push(saveRound(folder, record, rounds, event.round));
  };
  let loop: LoopResult;
  try {
    const ports = { ...services, reasoner: reasonerForInput(services.reasoner, input) };
    const opsBounds = { width: input.width, height: input.height, maxPixels: DEFAULT_MAX_PIXELS };
    loop = await runEditLoop({ source, instruction: job.instruction, settings: settled.loop, ports, opsBounds, onEvent, ...(services.signal ? { signal: services.signal } : {}) });
    await Promise.all(saving);
  } catch (error) {
    await Promise.allSettled(saving);
    record.degraded = degradationsOf(services);
    await failRecord(folder, record, error, { ...seen, wallMs: performance.now() - started });
    throw error;
  }
  const status = loop.accepted ? "accepted" : "not_accepted";
  let outputBytes = 0;
  try {
    const format = outputFormatFor(outputPath, input);
    // The only full-resolution work of a job, a few at a time across a batch: each holds tens of MB for a 12 MP photo.
    const bytes = await withFullResolution(async () => {
      const result = await chooseResult(loop, input);
      return "pixels" in result ? encodePixelsOutput(result.pixels, input, format) : encodeOutput(result.picture, input, format, result.size);
    });
    await writeOutput(outputPath, bytes, services.stdout);
    outputBytes = outputPath === "-" ? 0 : bytes.length;
  } catch (error) {
    // Writing the result failed (a full disk, a closed pipe): the record must not stay "running".
    record.degraded = degradationsOf(services);
    await failRecord(folder, record, error, { ...loop, wallMs: performance.now() - started });
    throw error;
  }
  finishRecord(record, loop, status, outputPath, started);
  record.degraded = degradationsOf(services);
  await folder.dropUnkeptRounds(record);
  await folder.writeRecord(record);
  return { status, output: outputPath, record, recordPath: folder.recordPath, recordBytes: folder.bytes, outputBytes, loop };
}

/** What the models had to do without by now, copied: later degradations belong to later records. */
function degradationsOf(services: EditServices): Degradation[] {
  return [...(services.degradations?.() ?? [])];
}

/** "-" is stdout; an existing folder (or a path ending in /) gets `<name>.edited<ext>` inside it. */
function resolveOutputPath(output: string | undefined, input: InputImage, cwd: string): string {
  if (output === "-") return "-";
  if (output === undefined) return defaultOutputPath(input, cwd);
  const target = resolve(cwd, output);
  const isFolder = /[\\/]$/.test(output) || (existsSync(target) && statSync(target).isDirectory());
  return isFolder ? join(target, basename(defaultOutputPath(input, cwd))) : target;
}

/** The output's folder and the run folder's parent exist (or may be created) and take files, checked before any call. */
async function prepareFolders(job: EditJob, outputPath: string, folder: RunFolder): Promise<void> {
  if (outputPath !== "-") {
    await prepareFolder(dirname(outputPath), { role: "the output folder", create: job.mkdir === true, createHint: "create it first, or pass --mkdir" });
  }
  await prepareFolder(dirname(folder.dir), { role: "the runs folder", create: true });
}

async function startRecord(folder: RunFolder, job: EditJob, services: EditServices, input: InputImage, source: Picture, inputHash: string): Promise<RunRecord> {
  const sourceImage = await folder.writeSource(source, job.sharedSource);
  const record: RunRecord = {
    schema: RUN_SCHEMA,
    id: folder.dir.split("/").pop() ?? "run",
    tool_version: services.toolVersion,
    created: new Date().toISOString(),
    finished: null,
    status: "running",
    input: {
      label: input.label,
      ...(input.path ? { path: input.path } : {}),
      format: input.format,
      width: input.width,
      height: input.height,
      sha256: inputHash,
      source_image: sourceImage,
    },
    instruction: job.instruction,
    concrete_instruction: null,
    settings: { ...job.settingsForRecord, seed: job.loop.seed },
    models: services.models,
    thinking: null,
    description: null,
    ops: [],
    scope: null,
    rounds: [],
    kept_round: null,
    stop_reason: null,
    output: null,
    failures: [],
    totals: { mllm_calls: 0, editor_calls: 0, cached_calls: 0, tokens: 0, wall_ms: 0 },
    error: null,
    degraded: [],
  };
  await folder.writeRecord(record);
  return record;
}

/** Rounds are saved as they finish, so an interrupted or failed run still shows what it paid for. */
async function saveRound(folder: RunFolder, record: RunRecord, rounds: RoundRecord[], round: LoopResult["rounds"][number]): Promise<void> {
  rounds.push(await folder.saveRound(round));
  record.rounds = [...rounds].sort((a, b) => a.index - b.index);
  await folder.writeRecord(record);
}

/** What a failed or interrupted run had done and paid for before it stopped. */
async function failRecord(
  folder: RunFolder,
  record: RunRecord,
  error: unknown,
  seen: Pick<LoopResult, "thinking" | "rounds"> & { wallMs: number },
): Promise<void> {
  const interrupted = isAbortError(error);
  record.status = interrupted ? "interrupted" : "error";
  record.finished = new Date().toISOString();
  record.thinking = seen.thinking ? stepRecord(seen.thinking) : null;
  record.totals = totalsOf(seen, seen.wallMs);
  record.error = errorReport(error);
  await folder.writeRecord(record).catch(() => undefined);
}

function finishRecord(record: RunRecord, loop: LoopResult, status: RunStatus, output: string, started: number): void {
  record.status = status;
  record.finished = new Date().toISOString();
  record.concrete_instruction = loop.concreteInstruction;
  record.thinking = loop.thinking ? stepRecord(loop.thinking) : null;
  record.description = loop.description ? stepRecord(loop.description) : null;
  record.ops = loop.ops;
  record.scope = loop.scope ?? null;
  record.kept_round = loop.kept >= 0 ? loop.rounds[loop.kept]!.index : null;
  record.stop_reason = loop.stopReason;
  record.output = output;
  record.failures = loop.failures;
  record.totals = totalsOf(loop, performance.now() - started);
}

/** The kept round's image at the output geometry; exact ops alone are redone on the full-resolution input. */
async function chooseResult(
  loop: LoopResult,
  input: InputImage,
): Promise<{ picture: Picture; size?: { width: number; height: number } } | { pixels: RgbImage }> {
  // Transparency lines up again only when the ops kept the geometry, so only then is the input's size used.
  const geometric = loop.ops.some((op) => ["rotate", "flip", "crop", "resize"].includes(op.op));
  const size = geometric ? sizeAfterOps({ width: input.width, height: input.height }, loop.ops) : undefined;
  if (loop.kept < 0) {
    const { applyOps } = await import("../images/ops.js");
    const full = await openFullResolution(input).png().toBuffer({ resolveWithObject: true });
    const picture = await applyOps({ bytes: full.data, mimeType: "image/png", width: full.info.width, height: full.info.height }, loop.ops);
    return { picture, size: { width: picture.width, height: picture.height } };
  }
  const round = loop.rounds[loop.kept]!;
  const candidate = round.candidates[round.chosen]!;
  if ((candidate.preservedShare ?? 0) > 0 && loop.ops.length === 0) return { pixels: await preserveAtFullSize(candidate.image, input) };
  return { picture: candidate.image, ...(size ? { size } : {}) };
}

/**
 * preserve made the background bit-exact at the ~1 MP working size; redoing it against the full-resolution input
 * keeps the input's own pixels there in the written file, rather than a copy resampled down and up again.
 * Done on raw pixels throughout: at full resolution each PNG encode or decode would cost more than the blend.
 */
async function preserveAtFullSize(kept: Picture, input: InputImage): Promise<RgbImage> {
  const { preservePixels } = await import("../images/preserve.js");
  const full = { width: input.width, height: input.height };
  const base = await readRgb(openFullResolution(input).flatten({ background: "#ffffff" }));
  const upscaled = await pixelsOf(kept.bytes, full);
  const restored = await preservePixels(base, upscaled);
  return restored?.image ?? upscaled;
}

async function writeOutput(path: string, bytes: Buffer, stdout: NodeJS.WritableStream | undefined): Promise<void> {
  if (path !== "-") {
    try {
      await writeFileAtomic(path, bytes);
    } catch (error) {
      if (ReasonEditError.is(error)) throw error;
      throw new ReasonEditError("output_unwritable", `cannot write the result to ${path}: ${(error as Error).message}`, {
        hint: "choose another -o path, or check the folder exists and is writable",
        cause: error,
      });
    }
    return;
  }
  if (!stdout) throw new ReasonEditError("internal", "no stdout was given for -o -");
  await new Promise<void>((resolve, reject) => stdout.write(bytes, (error) => (error ? reject(stdoutError(error)) : resolve())));
}

/** A reader that left before the image was written (`-o - | head -c 100`) stopped the run; any other failure is a bug. */
function stdoutError(error: Error): Error {
  const code = (error as NodeJS.ErrnoException).code;
  if (code !== "EPIPE" && code !== "ERR_STREAM_DESTROYED") return error;
  return new ReasonEditError("interrupted", "stdout was closed before the whole image was written", { hint: "write the result to a file with -o", cause: error });
}
