// Shared set-up for batch tests: a loopback fake that answers every reasoning step with "success",
// spreads transient faults over the calls, and counts successful edits per item; small input images;
// manifests; the runner in process; the built CLI in a child process.
import type { ChildProcess } from "node:child_process";
import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Readable } from "node:stream";
import type { Logger } from "pino";
import sharp from "sharp";
import { afterEach, beforeEach } from "vitest";
import { createServices } from "../../src/app/services.js";
import { resolveSettings, type SettingsInput } from "../../src/config/settings.js";
import { silentLogger } from "../../src/logging.js";
import { loopPolicy, recordableSettings } from "../../src/app/services.js";
import { SharedThrottle } from "../../src/providers/throttle.js";
import { runBatch, type BatchOutcome, type BatchRequest } from "../../src/batch/run-batch.js";
import type { ResultLine } from "../../src/batch/result-line.js";
import type { ImageLoader } from "../../src/batch/image-pool.js";
import { cleanEnv, spawnCli, type CliResult } from "../support/run-cli.js";
import { fault, startFakeProviders, tintedCopy, type EditInput, type Fault, type FakeProviders } from "../fakes/fake-providers.mjs";

export const ROOT = path.join(import.meta.dirname, "..", "..");

/** Every item's instruction names it, so the edit prompt (think echoes it) tells which item an edit is for. */
export const instructionFor = (id: string) => `paint ⟪${id}⟫ red`;
const ITEM_IN_TEXT = /⟪([A-Za-z0-9._-]+)⟫/;

type StepName = "think" | "describe" | "assess" | "conclude" | "score-sc" | "score-pq";

/** The verdict conclude gives; "refine" makes every item use all its rounds and end not accepted. */
export type Verdict = "success" | "refine";

export function stepReply(step: StepName | undefined, text: string, verdict: Verdict = "success"): Record<string, unknown> {
  const item = ITEM_IN_TEXT.exec(text)?.[0] ?? "";
  switch (step) {
    case "think":
      return { instruction: `paint ${item} red`, changed: false, scope: "global" };
    case "describe":
      return { target_description: "the same picture, tinted red" };
    case "assess":
      return { meets_instruction: "yes", major_conflicts: 0, minor_conflicts: 0, hallucinations: 0, omissions: 0, raw_score: 9, reason: "done" };
    case "conclude":
      return verdict === "success"
        ? { verdict: "success", refined_instruction: null }
        : { verdict: "refine", refined_instruction: `paint ${item} redder ${Math.random().toString(36).slice(2)}` };
    default:
      return { score: [9, 9], reasoning: "fine" };
  }
}

export interface FaultPlan {
  /** Share of calls (chat and edit alike) answered with a transient fault, e.g. 0.2. */
  share: number;
  /**
   * No faults after this many answered calls: at the end of a batch the few items still running would
   * otherwise draw every fault, one retry chain after another, and the test would wait on backoff.
   */
  faultsUntilCall?: number;
  /** One edit call hangs (until --timeout) the first time this many edits have succeeded. */
  hangAfterEdits?: number;
  /** Answer each edit with its input image: no pixel work in the fake, for tests about calls rather than pictures. */
  passThrough?: boolean;
}

/** The transient faults a hosted provider really answers with, in rotation. */
const ROTATION: Array<() => Fault> = [
  () => fault.rateLimited(), // 429 without Retry-After: the shared throttle's adaptive pause
  () => fault.unavailable(),
  () => fault.status(429, { headers: { "retry-after-ms": "40" } }),
  () => fault.reset(),
  () => fault.serverError(),
];

export interface BatchFake {
  fake: FakeProviders;
  /** Successful (answered) edits per item id. */
  editsByItem: Map<string, number>;
  faultsInjected: { chat: number; edit: number };
  setVerdict(verdict: Verdict): void;
  mllmUrl: string;
  editorUrl: string;
  close(): Promise<void>;
}

export async function startBatchFake(plan: FaultPlan = { share: 0 }, latencyMs: { chat?: number; edit?: number } = {}): Promise<BatchFake> {
  const fake = await startFakeProviders({ latencyMs: { ...(latencyMs.chat ? { chat: latencyMs.chat } : {}), ...(latencyMs.edit ? { edit: latencyMs.edit } : {}) } });
  const editsByItem = new Map<string, number>();
  const faultsInjected = { chat: 0, edit: 0 };
  let verdict: Verdict = "success";
  let calls = 0;
  let editsDone = 0;
  let hung = false;
  // A fault is queued for the *next* call of a kind after a success, so it lands on some other item's call.
  const maybeQueueFault = (kind: "chat" | "edit") => {
    calls++;
    const every = plan.share > 0 ? Math.round(1 / plan.share) - 1 : 0;
    if (every > 0 && calls % every === 0 && calls <= (plan.faultsUntilCall ?? Infinity)) {
      fake.fail(kind, ROTATION[(faultsInjected.chat + faultsInjected.edit) % ROTATION.length]!());
      faultsInjected[kind]++;
    }
  };
  fake.setChat((body) => {
    maybeQueueFault("chat");
    const step = body?.response_format?.json_schema?.name as StepName | undefined;
    return JSON.stringify(stepReply(step, JSON.stringify(body?.messages ?? ""), verdict));
  });
  fake.setEdit(async (input: EditInput) => {
    const id = ITEM_IN_TEXT.exec(String(input.parameters.prompt ?? ""))?.[1] ?? "?";
    editsByItem.set(id, (editsByItem.get(id) ?? 0) + 1);
    editsDone++;
    if (plan.hangAfterEdits !== undefined && !hung && editsDone >= plan.hangAfterEdits) {
      hung = true;
      fake.fail("edit", fault.hang());
      faultsInjected.edit++;
    } else maybeQueueFault("edit");
    return plan.passThrough ? { bytes: input.image, contentType: "image/png" } : tintedCopy(input);
  });
  return {
    fake,
    editsByItem,
    faultsInjected,
    setVerdict: (next) => void (verdict = next),
    mllmUrl: `${fake.url}/v1`,
    editorUrl: `${fake.url}/edit`,
    close: () => fake.close(),
  };
}

export async function tempDir(prefix = "reasonedit-batch-"): Promise<string> {
  return mkdtemp(path.join(tmpdir(), prefix));
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/** A 64×48 PNG of a colour derived from `seed`, so every item's input differs. */
export async function writeImage(file: string, seed: number): Promise<string> {
  await mkdir(path.dirname(file), { recursive: true });
  const background = { r: (seed * 37) % 256, g: (seed * 91) % 256, b: (seed * 53) % 256 };
  await writeFile(file, await sharp({ create: { width: 64, height: 48, channels: 3, background } }).png().toBuffer());
  return file;
}

export interface ItemRow {
  id: string;
  image: string;
  instruction: string;
  [override: string]: unknown;
}

/** `count` good rows with images in `<dir>/images/`, ids item-000… */
export async function goodRows(dir: string, count: number): Promise<ItemRow[]> {
  const rows: ItemRow[] = [];
  for (let k = 0; k < count; k++) {
    const id = `item-${String(k).padStart(3, "0")}`;
    await writeImage(path.join(dir, "images", `${id}.png`), k + 1);
    rows.push({ id, image: `images/${id}.png`, instruction: instructionFor(id) });
  }
  return rows;
}

export async function writeJsonl(file: string, rows: Array<ItemRow | Record<string, unknown> | string>): Promise<string> {
  await writeFile(file, rows.map((row) => (typeof row === "string" ? row : JSON.stringify(row))).join("\n") + "\n");
  return file;
}

export interface InProcessRun {
  lines: ResultLine[];
  outcome: BatchOutcome;
}

export interface InProcessOptions {
  manifest: string;
  outDir: string;
  fake: BatchFake;
  flags?: SettingsInput;
  batch?: Partial<Omit<BatchRequest, "loop" | "settingsForRecord" | "manifest" | "outDir">>;
  stop?: AbortSignal;
  abort?: AbortSignal;
  stdin?: NodeJS.ReadableStream;
  onLine?: (line: ResultLine) => void;
  loadImage?: ImageLoader;
  /** Leave out the pixel workbench (change maps, preserving): a third of the CPU per item, for tests about calls. */
  withoutWorkbench?: boolean;
  logger?: Logger;
}

/** Runs the batch in this process against the fake, as the CLI would wire it. */
export async function runInProcess(options: InProcessOptions): Promise<InProcessRun> {
  const settings = resolveSettings({
    flags: { mllmUrl: options.fake.mllmUrl, editorUrl: options.fake.editorUrl, cache: false, maxRetries: 6, timeout: 2, seed: 7, ...options.flags },
  });
  // Short pauses after a 429 without Retry-After: the behaviour is the same, the test is quicker.
  const throttle = new SharedThrottle({ initialPenaltyMs: 20, maxPauseMs: 200 });
  const created = await createServices(settings, {}, options.logger ?? silentLogger, {}, { throttle });
  const services = options.withoutWorkbench ? { ...created, workbench: undefined } : created;
  const lines: ResultLine[] = [];
  const outcome = await runBatch(
    {
      manifest: options.manifest,
      outDir: options.outDir,
      concurrency: 8,
      resume: "off",
      loop: loopPolicy(settings),
      seed: 7,
      settingsForRecord: recordableSettings(settings),
      cwd: path.dirname(options.manifest),
      ...options.batch,
    },
    {
      services,
      stdin: options.stdin ?? process.stdin,
      emit: (line) => {
        lines.push(line);
        options.onLine?.(line);
      },
      ...(options.stop ? { stop: options.stop } : {}),
      ...(options.abort ? { abort: options.abort } : {}),
      ...(options.loadImage ? { loadImage: options.loadImage } : {}),
    },
  );
  return { lines, outcome };
}

export interface ChildRun {
  child: ChildProcess;
  /** Result lines parsed so far (live). */
  lines: ResultLine[];
  stderr: () => string;
  /** Resolves once `condition` holds, re-checked whenever the child writes; rejects if it exits first. */
  until: (condition: () => boolean) => Promise<void>;
  exited: Promise<CliResult>;
}

/** Runs `reasonedit batch …` from the build in a child process, with a clean environment (no token), state and cache in `cwd`. */
export function spawnBatch(args: string[], options: { cwd: string; stdin?: string | Readable } = { cwd: ROOT }): ChildRun {
  const env = { ...cleanEnv(options.cwd), XDG_CACHE_HOME: path.join(options.cwd, ".cache"), XDG_STATE_HOME: path.join(options.cwd, ".state") };
  const run = spawnCli(["batch", ...args], { cwd: options.cwd, env, stdin: options.stdin ?? "" });
  const lines: ResultLine[] = [];
  let parsed = 0;
  // Parsed on demand from the live stdout, so `lines` is current whenever a test (or an `until` condition) reads it.
  const refresh = () => {
    const text = run.stdout();
    const complete = text.lastIndexOf("\n") + 1;
    if (complete <= parsed) return;
    for (const line of text.slice(parsed, complete).split("\n").filter(Boolean)) lines.push(JSON.parse(line) as ResultLine);
    parsed = complete;
  };
  run.child.stdout!.on("data", refresh);
  const exited = run.exited.then((result) => (refresh(), result));
  return { child: run.child, lines, stderr: run.stderr, until: (condition) => run.until(() => (refresh(), condition())), exited };
}

/** The per-test set-up of the batch CLI tests: a fresh batch fake and a temp folder, both gone after the test. */
export function useBatchSandbox(plan?: FaultPlan): { readonly fake: BatchFake; readonly dir: string } {
  let fake: BatchFake | undefined;
  let dir: string | undefined;
  beforeEach(async () => {
    fake = await startBatchFake(plan);
    dir = await tempDir();
  });
  afterEach(async () => {
    await fake?.close();
    if (dir) await removeDir(dir);
  });
  return {
    get fake() {
      if (!fake) throw new Error("the batch sandbox starts in beforeEach");
      return fake;
    },
    get dir() {
      if (!dir) throw new Error("the batch sandbox starts in beforeEach");
      return dir;
    },
  };
}

/**
 * Polls `condition` (every 10 ms, up to `limitMs`) for a state nothing announces: what another process does in
 * /proc, for instance. A state the fake or the child's output changes has a gate instead (fake.received/idle,
 * run.until).
 */
export async function waitUntil(condition: () => boolean, limitMs = 20_000): Promise<void> {
  const end = Date.now() + limitMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error("waitUntil: condition still false");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
