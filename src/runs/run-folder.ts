// One folder per run: run.json plus every round's image, each written atomically as the run goes.
import { createHash, randomBytes } from "node:crypto";
import { access, readFile, rm } from "node:fs/promises";
import { homedir } from "node:os";
import { join, relative, resolve } from "node:path";
import type { KeepImages } from "../config/settings.js";
import { limitMllmCopy, mllmJpeg } from "../images/shape.js";
import type { Candidate, Round } from "../loop/run-edit-loop.js";
import { stepCallsOf, tallyCalls, type CallSource } from "../loop/step-calls.js";
import type { Picture, StepCall } from "../loop/types.js";
import { writeFileAtomic } from "./atomic-write.js";
import { RUN_SCHEMA, RunRecordSchema, type CandidateRecord, type RoundRecord, type RunRecord, type StepRecord } from "./run-record.js";

export function defaultRunsRoot(env: NodeJS.ProcessEnv): string {
  const state = env.XDG_STATE_HOME && env.XDG_STATE_HOME.trim() !== "" ? env.XDG_STATE_HOME : join(homedir(), ".local", "state");
  return join(state, "reasonedit", "runs");
}

export function newRunId(label: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
  return `${stamp}-${runSlug(label)}-${randomBytes(3).toString("hex")}`;
}

/** The input's name as it appears in its run ids. */
export function runSlug(label: string): string {
  const slug = label
    .replace(/^.*[\\/]/, "")
    .replace(/\.[^.]+$/, "")
    .replace(/[^A-Za-z0-9_-]+/g, "-")
    .slice(0, 40);
  return slug || "image";
}

export function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

export interface RunFolderOptions {
  /** What to keep beside run.json: every image, the kept result only (the others go when the run ends), or none. */
  keepImages?: KeepImages;
  /** The long side of the MLLM's copies for this run's input (see mllmLongSideFor); default 1024. */
  imageLongSide?: number;
}

export class RunFolder {
  readonly recordPath: string;
  readonly keepImages: KeepImages;
  private readonly imageLongSide: number | undefined;
  /** Size of each file this run wrote, by name (run.json counted at its latest size). */
  private readonly written = new Map<string, number>();

  constructor(
    readonly dir: string,
    options: RunFolderOptions = {},
  ) {
    this.dir = resolve(dir);
    this.recordPath = join(this.dir, "run.json");
    this.keepImages = options.keepImages ?? "all";
    this.imageLongSide = options.imageLongSide;
  }

  /** Bytes this run's record holds on disk so far. */
  get bytes(): number {
    return [...this.written.values()].reduce((sum, size) => sum + size, 0);
  }

  /**
   * An evidence image as the compact JPEG the MLLM was sent (or would be), at most its working size and never
   * larger than the input: a record shows what reflection judged, at a few percent of a 1 MP PNG.
   */
  async writeImage(name: string, picture: Picture, kind: "input-sized" | "diagram" = "input-sized"): Promise<string> {
    // A round the MLLM never saw (--no-reflect) is still kept at the size it would have been sent.
    if (kind === "input-sized" && this.imageLongSide !== undefined) limitMllmCopy(picture, this.imageLongSide);
    return this.writeFile(`${name}.jpg`, await mllmJpeg(picture));
  }

  /** The working source, unless a shared copy (one per input, as eval's modes use) is already on disk. */
  async writeSource(picture: Picture, shared?: string): Promise<string | null> {
    if (this.keepImages !== "all") return null;
    if (!shared) return this.writeImage("source", picture);
    if (this.imageLongSide !== undefined) limitMllmCopy(picture, this.imageLongSide);
    if (!(await fileExists(shared))) await writeFileAtomic(shared, await mllmJpeg(picture));
    return relative(this.dir, shared);
  }

  async writeRecord(record: RunRecord): Promise<void> {
    await this.writeFile("run.json", `${JSON.stringify(record, null, 2)}\n`);
  }

  /** With --keep-images final, the round images of every round but the kept one go once the run has ended. */
  async dropUnkeptRounds(record: RunRecord): Promise<void> {
    if (this.keepImages !== "final") return;
    for (const round of record.rounds) {
      for (const [k, candidate] of round.candidates.entries()) {
        const kept = round.index === record.kept_round && k === round.chosen;
        if (kept || !candidate.image) continue;
        await rm(join(this.dir, candidate.image), { force: true });
        this.written.delete(candidate.image);
        candidate.image = null;
      }
    }
  }

  private async writeFile(file: string, bytes: Uint8Array | string): Promise<string> {
    await writeFileAtomic(join(this.dir, file), bytes);
    this.written.set(file, typeof bytes === "string" ? Buffer.byteLength(bytes) : bytes.length);
    return file;
  }

  /** Writes the images of a finished round and returns its record. */
  async saveRound(round: Round): Promise<RoundRecord> {
    const many = round.candidates.length > 1;
    const candidates = await Promise.all(
      round.candidates.map((candidate, k) => this.saveCandidate(candidate, many ? `round-${round.index}-c${k + 1}` : `round-${round.index}`)),
    );
    return { index: round.index, base: round.base, instruction: round.instruction, candidates, chosen: round.chosen, failures: round.failures };
  }

  private async saveCandidate(candidate: Candidate, name: string): Promise<CandidateRecord> {
    const image = this.keepImages === "none" ? null : await this.writeImage(name, candidate.image);
    const heatmap = candidate.evidence && this.keepImages === "all" ? await this.writeImage(`${name}-changes`, candidate.evidence.heatmap, "diagram") : null;
    const steps: Record<string, StepRecord> = {};
    const calls: Record<string, StepCall<unknown> | undefined> = {
      assess: candidate.assessment,
      conclude: candidate.conclusion,
      score_sc: candidate.semantics,
      score_pq: candidate.quality,
    };
    for (const [key, call] of Object.entries(calls)) if (call) steps[key] = stepRecord(call);
    const conclusion = candidate.conclusion?.reply;
    return {
      seed: candidate.seed,
      image,
      edit_ms: Math.round(candidate.editMs),
      edit_cached: candidate.editCached,
      verdict: candidate.verdict,
      ...(conclusion?.refined_instruction !== undefined ? { refined_instruction: conclusion.refined_instruction } : {}),
      ...(conclusion?.unintended_changes ? { unintended_changes: conclusion.unintended_changes } : {}),
      ...(candidate.cappedScore !== undefined ? { capped_score: candidate.cappedScore } : {}),
      scores: { sc: candidate.semantics?.reply.score ?? null, pq: candidate.quality?.reply.score ?? null, value: candidate.value },
      steps,
      ...(candidate.evidence
        ? {
            change_map: {
              heatmap,
              changed_share: candidate.evidence.changedShare,
              mean_difference: candidate.evidence.meanDifference,
              boxes: candidate.evidence.boxes,
            },
          }
        : {}),
      ...(candidate.preservedShare !== undefined ? { preserved_share: candidate.preservedShare } : {}),
    };
  }
}

export function stepRecord<T>(call: StepCall<T>): StepRecord {
  return {
    prompt_id: call.promptId,
    reply: call.reply,
    usage: call.usage,
    ms: Math.round(call.ms),
    attempts: call.attempts,
    ...(call.cached ? { cached: true } : {}),
  };
}

/** Counts live model calls (re-asks and unusable replies included) and their tokens from what the loop recorded. */
export function totalsOf(result: CallSource, wallMs: number): RunRecord["totals"] {
  const tally = tallyCalls(stepCallsOf(result), { countCached: false });
  return {
    mllm_calls: tally.mllmCalls,
    editor_calls: tally.editorCalls,
    cached_calls: tally.cachedSteps,
    tokens: tally.tokens,
    wall_ms: Math.round(wallMs),
  };
}

export async function readRunRecord(path: string): Promise<RunRecord> {
  const text = await readFile(path, "utf8");
  return RunRecordSchema.parse(JSON.parse(text));
}

async function fileExists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

export { RUN_SCHEMA };
