// In-memory ports for eval tests: a reasoner scripted by markers in the instruction, an editor that tints by seed,
// and a judge whose scores follow the edited image's bytes. Each counts its calls.
import { createHash } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import sharp from "sharp";
import { afterEach } from "vitest";
import { ReasonEditError } from "../../src/errors.js";
import type { VieScorer } from "../../src/eval/judge.js";
import { SharpWorkbench } from "../../src/images/workbench.js";
import { silentLogger } from "../../src/logging.js";
import type {
  AssessReply,
  ChangeEvidence,
  ConcludeInput,
  ConcludeReply,
  DescribeReply,
  EditOutcome,
  EditRequest,
  Editor,
  ExactOp,
  Picture,
  Reasoner,
  ScoreInput,
  ScoreReply,
  StepCall,
  ThinkInput,
  ThinkReply,
  Workbench,
} from "../../src/loop/types.js";

export const FIXTURES = path.resolve(import.meta.dirname, "../../fixtures");

function step<T>(reply: T): StepCall<T> {
  return { reply, promptId: "test@00000000", usage: { prompt: 10, completion: 5, total: 15 }, ms: 1, attempts: 1 };
}

/**
 * Reflection follows a marker in the instruction: "[1 round]" succeeds at once, "[2 rounds]" refines once then
 * succeeds, "[3 rounds]" fails every round (so the loop spends its whole budget).
 */
export class MarkerReasoner implements Reasoner {
  readonly counts = { think: 0, describe: 0, assess: 0, conclude: 0, score_sc: 0, score_pq: 0 };
  /** Per conclude call: whether it was shown a change map. */
  readonly concludeEvidence: boolean[] = [];
  /** Per think call: whether it was offered exact ops. */
  readonly thinkAllowedOps: boolean[] = [];

  /** "[local]" makes the edit local (so preserve may composite); "[ops]" splits off an exact grayscale op. */
  async think(input: ThinkInput): Promise<StepCall<ThinkReply>> {
    this.counts.think++;
    this.thinkAllowedOps.push(input.allowOps);
    const scope = input.instruction.includes("[local]") ? ("local" as const) : ("global" as const);
    const ops = input.instruction.includes("[ops]") ? [{ op: "grayscale" as const }] : [];
    return step({ instruction: `${input.instruction}, precisely`, changed: true, scope, ...(ops.length > 0 ? { ops } : {}) });
  }
  async describe(): Promise<StepCall<DescribeReply>> {
    this.counts.describe++;
    return step({ target_description: "the requested change, nothing else" });
  }
  async assess(): Promise<StepCall<AssessReply>> {
    this.counts.assess++;
    return step({ meets_instruction: "partial", major_conflicts: 0, minor_conflicts: 1, hallucinations: 0, omissions: 0, raw_score: 6, reason: "close" });
  }
  async conclude(input: ConcludeInput): Promise<StepCall<ConcludeReply>> {
    this.counts.conclude++;
    this.concludeEvidence.push(input.evidence !== undefined);
    // A correction round is judged against the whole request; the double decides by the correction it was given.
    return step(verdictFor(input.correction ?? input.instruction));
  }
  async scoreSemantics(_input: ScoreInput): Promise<StepCall<ScoreReply>> {
    this.counts.score_sc++;
    return step({ score: [7, 8], reasoning: "" });
  }
  async scoreQuality(): Promise<StepCall<ScoreReply>> {
    this.counts.score_pq++;
    return step({ score: [8, 8], reasoning: "" });
  }
}

/** The loop's own round scores follow the edited image's bytes too, but another byte than the judge's, so the two rank differently. */
export class HashScoringReasoner extends MarkerReasoner {
  override async scoreSemantics(input: ScoreInput): Promise<StepCall<ScoreReply>> {
    this.counts.score_sc++;
    return step({ score: [reasonerScoreOf(input.edited.bytes), 9], reasoning: "" });
  }
  override async scoreQuality(): Promise<StepCall<ScoreReply>> {
    this.counts.score_pq++;
    return step({ score: [8, 8], reasoning: "" });
  }
}

export function reasonerScoreOf(bytes: Uint8Array): number {
  return 1 + (createHash("sha256").update(bytes).digest()[1]! % 9);
}

/** The real sharp workbench, counting what the loop asked of it. */
export class CountingWorkbench implements Workbench {
  readonly counts = { applyOps: 0, changeMap: 0, preserve: 0 };
  private readonly inner = new SharpWorkbench();

  applyOps(image: Picture, ops: readonly ExactOp[]): Promise<Picture> {
    this.counts.applyOps++;
    return this.inner.applyOps(image, ops);
  }
  changeMap(base: Picture, candidate: Picture): Promise<ChangeEvidence> {
    this.counts.changeMap++;
    return this.inner.changeMap(base, candidate);
  }
  preserve(base: Picture, candidate: Picture): Promise<{ image: Picture; preservedShare: number }> {
    this.counts.preserve++;
    return this.inner.preserve(base, candidate);
  }
}

function verdictFor(instruction: string): ConcludeReply {
  if (instruction.includes("[3 rounds]")) return { verdict: "failed", think: "the background changed" };
  if (instruction.includes("[2 rounds]") && !instruction.includes("(fix)")) {
    return { verdict: "refine", think: "almost", refined_instruction: `${instruction} (fix)` };
  }
  return { verdict: "success", think: "done" };
}

/** Tints the image with a colour taken from the seed, so each seed gives different bytes. */
export class SeedTintEditor implements Editor {
  readonly seeds: number[] = [];
  constructor(private readonly failOn?: (request: EditRequest) => ReasonEditError | undefined) {}

  async edit(request: EditRequest): Promise<EditOutcome> {
    this.seeds.push(request.seed);
    const failure = this.failOn?.(request);
    if (failure) throw failure;
    const tint = { r: request.seed % 256, g: (request.seed >> 8) % 256, b: 128 };
    const bytes = await sharp(request.image.bytes).tint(tint).png().toBuffer();
    return { image: { ...request.image, bytes, mimeType: "image/png" }, ms: 5 };
  }
}

/** Scores from the edited image's hash (4–9); an instruction containing "[unjudgeable]" gets an invalid SC reply. */
export class HashJudgeScorer implements VieScorer {
  calls = 0;

  async scoreSemantics(input: ScoreInput): Promise<StepCall<ScoreReply>> {
    this.calls++;
    if (input.instruction.includes("[unjudgeable]")) throw new ReasonEditError("model_reply_invalid", "score-sc reply was not valid after one corrective re-ask");
    const value = scoreOf(input.edited.bytes);
    return step({ score: [value, 9], reasoning: "" });
  }
  async scoreQuality(input: ScoreInput): Promise<StepCall<ScoreReply>> {
    this.calls++;
    return step({ score: [scoreOf(input.edited.bytes), 8], reasoning: "" });
  }
}

function scoreOf(bytes: Uint8Array): number {
  return 4 + (createHash("sha256").update(bytes).digest()[0]! % 6);
}

export const testServices = {
  models: { mllm: "test/mllm@memory", editor: "test/editor@memory" },
  logger: silentLogger,
  toolVersion: "0.0.0-test",
};

/** A fresh temp folder per test, removed after it. */
export function useTempDirs(prefix = "reasonedit-eval-test-"): () => Promise<string> {
  const made: string[] = [];
  afterEach(async () => {
    await Promise.all(made.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
  });
  return async () => {
    const dir = await mkdtemp(path.join(tmpdir(), prefix));
    made.push(dir);
    return dir;
  };
}
