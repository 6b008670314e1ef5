// The batch runner: streams the manifest, runs each item of this shard through runEditJob with bounded
// concurrency, and prints each result line the moment the item finishes. Only counters stay in memory.
import path from "node:path";
import pLimit from "p-limit";
import { runEditJob, type EditJob, type EditServices } from "../app/edit-job.js";
import { loadInput, type InputImage } from "../images/input.js";
import { randomSeed, type LoopPolicy, type RecordedSettings } from "./../app/services.js";
import type { KeepImages } from "../config/settings.js";
import { folderBytes } from "../runs/run-index.js";
import { isDiskFull } from "../runs/fs-errors.js";
import { defaultOutputFor, RowChecker, type BatchItem, type RowProblem } from "./batch-item.js";
import { clearRunFolder, escapeOf, realOutDir, type OutDir } from "./containment.js";
import { rawIdOf } from "./batch-row.js";
import { BatchTally } from "./batch-tally.js";
import { countingEditor, countingReasoner } from "./counting-ports.js";
import { openImageList, type ImageList } from "./image-list.js";
import { ImagePool, type ImageLoader } from "./image-pool.js";
import { readManifestEntries, type ManifestEntry } from "./manifest-entries.js";
import { manifestError, openManifest, type ManifestSource } from "./manifest-source.js";
import type { BatchProgress } from "./progress.js";
import { describeError, errorLine, finishedLine, NO_CALLS, resumedLine, type CallCount, type ResultLine } from "./result-line.js";
import { seedToRedo, settledRecord, type ResumePolicy } from "./resume.js";
import { isInShard, type Shard } from "./shard.js";

export interface BatchRequest {
  /** A path, or "-" for stdin. */
  manifest: string;
  /** Image paths and globs with one instruction, instead of a manifest. */
  images?: ImageList;
  outDir: string;
  concurrency: number;
  resume: ResumePolicy;
  shard?: Shard;
  /** The batch-wide loop policy; a row's overrides win. Each item's seed: the row's, else --seed, else random. */
  loop: LoopPolicy;
  /** The --seed given, if any; without one each item draws its own. */
  seed?: number;
  settingsForRecord: RecordedSettings;
  cwd: string;
  /** What each item's run record keeps beside run.json (default all). */
  keepImages?: KeepImages;
}

export type BatchServices = Pick<EditServices, "reasoner" | "editor" | "workbench" | "models" | "logger" | "toolVersion">;

export interface BatchPorts {
  services: BatchServices;
  stdin: NodeJS.ReadableStream;
  /** Receives each result line as its item finishes; awaited, so a slow reader slows the batch. */
  emit: (line: ResultLine) => void | Promise<void>;
  progress?: BatchProgress;
  /** Aborted by the first Ctrl-C: no new item starts; those in flight finish. */
  stop?: AbortSignal;
  /** Aborted by the second Ctrl-C: in-flight model calls are cancelled. */
  abort?: AbortSignal;
  loadImage?: ImageLoader;
}

export interface BatchOutcome {
  tally: BatchTally;
  /** True when a stop signal ended the batch before every row was run. */
  stopped: boolean;
}

export async function runBatch(request: BatchRequest, ports: BatchPorts): Promise<BatchOutcome> {
  const source = await openSource(request, ports.stdin);
  const runner = new BatchRunner(request, ports, source);
  try {
    return await runner.run();
  } finally {
    source.close();
  }
}

/** How many rows (good and bad) this shard will report: read ahead of the run, for the progress total. */
export async function countShardRows(request: Pick<BatchRequest, "manifest" | "images" | "shard" | "cwd">, stdin: NodeJS.ReadableStream): Promise<number> {
  const source = await openSource(request, stdin);
  let count = 0;
  try {
    for await (const entry of readManifestEntries(source)) if (isInShard(request.shard, idOf(entry), entry.line)) count++;
  } finally {
    source.close();
  }
  return count;
}

export function openSource(request: Pick<BatchRequest, "manifest" | "images" | "cwd">, stdin: NodeJS.ReadableStream): Promise<ManifestSource> {
  return request.images ? openImageList(request.images, request.cwd) : openManifest(request.manifest, { cwd: request.cwd, stdin });
}

class BatchRunner {
  private readonly tally = new BatchTally();
  private readonly limit: ReturnType<typeof pLimit>;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly checker: RowChecker;
  private readonly pool: ImagePool;
  private rowsRead = 0;
  /** Set by the first item that found the disk full: every later item would pay for calls and fail the same way. */
  private diskFull = false;
  private outDir: Promise<OutDir> | undefined;
  private onTaskDone: (() => void) | undefined;

  constructor(
    private readonly request: BatchRequest,
    private readonly ports: BatchPorts,
    private readonly source: ManifestSource,
  ) {
    this.limit = pLimit(request.concurrency);
    this.checker = new RowChecker(request.outDir, source.baseDir);
    this.pool = new ImagePool(ports.loadImage ?? ((spec) => loadInput(spec, ports.abort ? { signal: ports.abort } : {})));
  }

  async run(): Promise<BatchOutcome> {
    this.ports.progress?.update(this.tally); // the bar shows from the start, not from the first finished item
    for await (const entry of untilAborted(readManifestEntries(this.source), this.ports.stop)) {
      this.rowsRead++;
      if (isInShard(this.request.shard, idOf(entry), entry.line)) await this.accept(entry);
    }
    await Promise.all(this.inFlight);
    if (this.rowsRead === 0 && !this.stopping) throw manifestError(`the manifest ${this.source.label} has no rows`, "add one row per image to edit");
    return { tally: this.tally, stopped: this.ports.stop?.aborted === true };
  }

  private get stopping(): boolean {
    return this.ports.stop?.aborted === true || this.diskFull;
  }

  private async accept(entry: ManifestEntry): Promise<void> {
    for (const warning of this.checker.unknownKeyWarnings(entry)) this.ports.progress?.note(warning);
    const checked = this.checker.check(entry);
    if ("problem" in checked) return this.finish(problemLine(checked.problem));
    const task = this.limit(async () => {
      if (this.stopping) return; // queued before the first Ctrl-C: left for --resume
      await this.finish(await this.runItem(checked.item));
    });
    this.track(task);
    // Read ahead only as far as keeps every slot busy: memory stays flat whatever the manifest's length.
    while (this.inFlight.size >= 2 * this.request.concurrency) await new Promise<void>((resolve) => (this.onTaskDone = resolve));
  }

  /**
   * Not Promise.race(inFlight): each race leaves a reaction on every pending task, and one item that hangs for
   * the whole batch would collect one per row read meanwhile.
   */
  private track(task: Promise<void>): void {
    this.inFlight.add(task);
    void task.finally(() => {
      this.inFlight.delete(task);
      this.onTaskDone?.();
    });
  }

  private async finish(line: ResultLine): Promise<void> {
    this.tally.add(line);
    this.ports.progress?.update(this.tally);
    await this.ports.emit(line);
  }

  private async runItem(item: BatchItem): Promise<ResultLine> {
    const started = performance.now();
    const count: CallCount = { ...NO_CALLS };
    try {
      const escape = (await this.escapeOf(item.runDir, "the run folder")) ?? (item.output ? await this.escapeOf(item.output, "output") : undefined);
      if (escape) return errorLine(item, { code: "output_unwritable", message: escape }, count, performance.now() - started);
      const settled = await settledRecord(item.runDir, this.request.resume, item);
      if (settled) return resumedLine(item, settled, recordPathOf(item));
      const input = await this.pool.acquire(item.image);
      try {
        return await this.editItem(item, input, count, started);
      } finally {
        this.pool.release(item.image);
      }
    } catch (error) {
      return errorLine(item, describeError(error), count, performance.now() - started);
    }
  }

  private async editItem(item: BatchItem, input: InputImage, count: CallCount, started: number): Promise<ResultLine> {
    const output = item.output ?? defaultOutputFor(this.request.outDir, item.id, input);
    const clash = item.output ? undefined : this.checker.checkDefaultOutput(output);
    if (clash) return errorLine(item, { code: "manifest", message: clash }, count, performance.now() - started);
    const earlierSeed = await seedToRedo(item.runDir, item);
    const refused = (item.output ? undefined : await this.escapeOf(output, "output")) ?? (await clearRunFolder(item.runDir, item.id, this.shown(item.runDir)));
    if (refused) return errorLine(item, { code: "output_unwritable", message: refused }, count, performance.now() - started);
    try {
      const result = await runEditJob(this.jobFor(item, output, earlierSeed), this.servicesFor(count, input));
      return finishedLine(item, result.record, result.recordPath, performance.now() - started, result.recordBytes + result.outputBytes);
    } catch (error) {
      if (isDiskFull(error)) this.diskFull = true;
      return errorLine(item, describeError(error), count, performance.now() - started, recordPathOf(item), await folderBytes(item.runDir));
    }
  }

  /** Resolved once, on the first item: a manifest that turns out unusable leaves no out-dir behind. */
  private escapeOf(target: string, what: string): Promise<string | undefined> {
    this.outDir ??= realOutDir(this.request.outDir).then((real) => ({ dir: this.request.outDir, real }));
    return this.outDir.then((outDir) => escapeOf(outDir, target, what));
  }

  private shown(file: string): string {
    return path.relative(this.request.outDir, file);
  }

  /** The row's seed, else --seed, else the seed an unfinished earlier attempt used (so its calls replay), else a new one. */
  private jobFor(item: BatchItem, output: string, earlierSeed: number | undefined): EditJob {
    const seed = item.overrides.seed ?? this.request.seed ?? earlierSeed ?? randomSeed();
    return {
      image: item.image,
      instruction: item.instruction,
      output,
      loop: { ...this.request.loop, ...item.overrides, seed },
      runsRoot: path.dirname(item.runDir),
      runDir: item.runDir,
      settingsForRecord: { ...this.request.settingsForRecord, ...item.overrides, batch: { manifest: this.source.label, line: item.line, id: item.id } },
      cwd: this.request.cwd,
      ...(this.request.keepImages ? { keepImages: this.request.keepImages } : {}),
      mkdir: true,
    };
  }

  private servicesFor(count: CallCount, input: InputImage): EditServices {
    const { services } = this.ports;
    return {
      ...services,
      reasoner: countingReasoner(services.reasoner, count),
      editor: countingEditor(services.editor, count),
      loadImage: () => Promise.resolve(input),
      onEvent: (event) => {
        if (event.type === "round_finished") count.rounds++;
      },
      ...(this.ports.abort ? { signal: this.ports.abort } : {}),
    };
  }
}

/** Ends the iteration as soon as `signal` aborts, even while a read (say, from stdin) is pending. */
async function* untilAborted<T>(source: AsyncGenerator<T>, signal: AbortSignal | undefined): AsyncGenerator<T> {
  if (!signal) return yield* source;
  let pending = false;
  try {
    while (!signal.aborted) {
      pending = true;
      const next = await nextOrAbort(source, signal);
      if (next === "aborted" || next.done) return;
      pending = false;
      yield next.value;
    }
  } finally {
    // A pending read cannot be returned from; the caller closes the stream under it instead.
    if (!pending) await source.return(undefined);
  }
}

/**
 * One read raced against the signal, with a promise and listener of its own: racing every read against one
 * long-lived "aborted" promise would leave a reaction on it per row, for the whole batch.
 */
function nextOrAbort<T>(source: AsyncGenerator<T>, signal: AbortSignal): Promise<IteratorResult<T> | "aborted"> {
  let onAbort = () => {};
  const aborted = new Promise<"aborted">((resolve) => {
    onAbort = () => resolve("aborted");
    signal.addEventListener("abort", onAbort, { once: true });
  });
  return Promise.race([source.next(), aborted]).finally(() => signal.removeEventListener("abort", onAbort));
}

function idOf(entry: ManifestEntry): string | undefined {
  return "fields" in entry ? rawIdOf(entry.fields) : entry.id;
}

function recordPathOf(item: BatchItem): string {
  return path.join(item.runDir, "run.json");
}

function problemLine(problem: RowProblem): ResultLine {
  return errorLine({ id: problem.id, line: problem.line }, { code: "manifest", message: `line ${problem.line}: ${problem.message}` }, NO_CALLS, 0);
}
