// ReasonEdit's think → edit → reflect loop as plain logic over the Reasoner, Editor and Workbench ports.
import { ReasonEditError } from "../errors.js";
import { capAssessment, repeatsInstruction, roundValue, selectBest } from "./policies.js";
import { MAX_UPSCALE, type OpsBounds } from "./op-bounds.js";
import type {
  AssessReply,
  ChangeEvidence,
  ConcludeInput,
  ConcludeReply,
  DescribeReply,
  Editor,
  ExactOp,
  Picture,
  Reasoner,
  ScoreReply,
  StepCall,
  ThinkReply,
  Verdict,
  Workbench,
} from "./types.js";

export type Chain = "latest" | "source";

export interface LoopSettings {
  /** Edit-call budget (rounds), at least 1. */
  rounds: number;
  think: boolean;
  reflect: boolean;
  chain: Chain;
  /** Seed of the first edit; every later edit gets a new one. */
  seed: number;
  /** Edits per round, made concurrently; the best-scored one continues. */
  candidates: number;
  /** Composite the base back where a local edit only drifted (needs a workbench). */
  preserve: boolean;
  /** Let think split off exact operations that the workbench performs (needs a workbench). */
  ops: boolean;
  /** Show conclude a change map of where the candidate differs from its base (needs a workbench). */
  changeMap: boolean;
}

export const DEFAULT_LOOP_SETTINGS: LoopSettings = {
  rounds: 3,
  think: true,
  reflect: true,
  chain: "latest",
  seed: 0,
  candidates: 1,
  preserve: true,
  ops: true,
  changeMap: true,
};

export interface LoopPorts {
  reasoner: Reasoner;
  editor: Editor;
  workbench?: Workbench;
}

export type StepName = "think" | "describe" | "edit" | "assess" | "conclude" | "score_sc" | "score_pq" | "change_map" | "preserve" | "ops";

export interface StepFailure {
  step: StepName;
  round?: number;
  code: string;
  message: string;
}

export interface Judgement {
  assessment?: StepCall<AssessReply>;
  /** The assessor's score after ReasonEdit's caps. */
  cappedScore?: number;
  conclusion?: StepCall<ConcludeReply>;
  semantics?: StepCall<ScoreReply>;
  quality?: StepCall<ScoreReply>;
  verdict: Verdict | null;
  value: number | null;
}

export interface Candidate extends Judgement {
  seed: number;
  image: Picture;
  editMs: number;
  editCached: boolean;
  evidence?: ChangeEvidence;
  preservedShare?: number;
}

export interface Round {
  index: number;
  /** The image this round edited: the source, or the kept candidate of an earlier round. */
  base: "source" | number;
  instruction: string;
  candidates: Candidate[];
  /** Index into candidates of the one this round continues with. */
  chosen: number;
  failures: StepFailure[];
}

/** What a round is judged against: the whole concrete request, and the correction its edit was given, if any. */
interface JudgedRequest {
  /** The concrete instruction, noting exact ops already applied to the source. */
  request: string;
  correction: string | undefined;
}

export type StopReason = "success" | "round_limit" | "repeated_instruction" | "single_pass" | "ops_only";

export interface LoopResult {
  instruction: string;
  /** What the editor and reflection saw: the thought-out instruction, or the user's. Null when exact ops covered everything. */
  concreteInstruction: string | null;
  thinking?: StepCall<ThinkReply>;
  description?: StepCall<DescribeReply>;
  ops: ExactOp[];
  scope?: "local" | "global";
  /** The source after exact ops (the source itself when there were none). */
  prepared: Picture;
  rounds: Round[];
  /** Index into rounds of the kept round; -1 when no edit was made (ops only without reflection). */
  kept: number;
  accepted: boolean;
  stopReason: StopReason;
  failures: StepFailure[];
}

export type LoopEvent =
  | { type: "thought"; thinking?: StepCall<ThinkReply>; instruction: string | null; ops: ExactOp[] }
  | { type: "edit_started"; round: number; instruction: string; seeds: number[] }
  | { type: "round_finished"; round: Round }
  | { type: "step_failed"; failure: StepFailure };

export interface LoopRun {
  source: Picture;
  instruction: string;
  settings: LoopSettings;
  ports: LoopPorts;
  /** The full-resolution input exact ops are finally applied to, and its pixel limit; the source's own size when absent. */
  opsBounds?: OpsBounds;
  onEvent?: (event: LoopEvent) => void;
  signal?: AbortSignal;
}

/** Runs the loop to a stop and returns every round plus the one to keep. Provider failures propagate. */
export async function runEditLoop(run: LoopRun): Promise<LoopResult> {
  return new EditLoop(run).execute();
}

class EditLoop {
  private readonly failures: StepFailure[] = [];
  private readonly settings: LoopSettings;
  /** What reflection compares against: the source after exact ops, so a crop is not mistaken for damage. */
  private reflectionSource: Picture;

  constructor(private readonly run: LoopRun) {
    this.settings = { ...run.settings, rounds: Math.max(1, run.settings.rounds), candidates: Math.max(1, run.settings.candidates) };
    this.reflectionSource = run.source;
  }

  async execute(): Promise<LoopResult> {
    const { thinking, instruction, ops, scope } = await this.think();
    this.emit({ type: "thought", thinking, instruction, ops });
    const prepared = ops.length > 0 ? await this.applyOps(ops) : this.run.source;
    this.reflectionSource = prepared;
    const base: LoopResult = {
      instruction: this.run.instruction,
      concreteInstruction: instruction,
      thinking,
      ops,
      scope,
      prepared,
      rounds: [],
      kept: -1,
      accepted: false,
      stopReason: "round_limit",
      failures: this.failures,
    };
    if (instruction === null) return this.finishOpsOnly(base);
    return this.iterate(base, instruction);
  }

  private async think(): Promise<{ thinking?: StepCall<ThinkReply>; instruction: string | null; ops: ExactOp[]; scope?: "local" | "global" }> {
    const fallback = { instruction: this.run.instruction, ops: [] as ExactOp[] };
    if (!this.settings.think) return fallback;
    const allowOps = this.settings.ops && this.run.ports.workbench !== undefined;
    const thinking = await this.tolerate("think", undefined, () =>
      this.run.ports.reasoner.think({ source: this.run.source, instruction: this.run.instruction, allowOps, opsBounds: this.opsBounds() }, this.run.signal),
    );
    if (!thinking) return fallback;
    const ops = allowOps ? (thinking.reply.ops ?? []) : [];
    const instruction = thinking.reply.instruction ?? (ops.length > 0 ? null : this.run.instruction);
    return { thinking, instruction, ops, scope: thinking.reply.scope };
  }

  private opsBounds(): OpsBounds {
    const { width, height } = this.run.source;
    return this.run.opsBounds ?? { width, height, maxPixels: MAX_UPSCALE ** 2 * width * height };
  }

  private async applyOps(ops: ExactOp[]): Promise<Picture> {
    return this.run.ports.workbench!.applyOps(this.run.source, ops);
  }

  /** Exact ops covered the whole request: sharp did it exactly, so there is nothing for an editor or reflection to do. */
  private async finishOpsOnly(result: LoopResult): Promise<LoopResult> {
    result.stopReason = "ops_only";
    result.accepted = true;
    return result;
  }

  private async iterate(result: LoopResult, concrete: string): Promise<LoopResult> {
    const describing = this.settings.reflect ? this.describe(concrete) : undefined;
    // Every round is judged against the whole request, as the released loop keeps its original_prompt.
    const request = describeRequest(concrete, result.ops);
    let baseImage = result.prepared;
    let baseRef: Round["base"] = "source";
    let instruction = concrete;
    let correction: string | undefined;
    for (let index = 1; index <= this.settings.rounds; index++) {
      const round = await this.playRound(index, baseRef, baseImage, instruction, { request, correction }, result, describing);
      result.rounds.push(round);
      this.emit({ type: "round_finished", round });
      const chosen = round.candidates[round.chosen]!;
      const next = this.decideNext(chosen, correction ?? concrete, concrete);
      if (next.stop) {
        result.stopReason = next.stop;
        break;
      }
      if (next.continueFromLatest) {
        baseImage = chosen.image;
        baseRef = index;
      } else {
        baseImage = result.prepared;
        baseRef = "source";
      }
      instruction = next.instruction;
      correction = next.correction;
    }
    result.description = describing ? await describing : undefined;
    return this.select(result);
  }

  /** `current` is this round's correction, or the concrete instruction when there was none; a new correction must differ from it. */
  private decideNext(
    chosen: Candidate,
    current: string,
    concrete: string,
  ): { stop?: StopReason; continueFromLatest?: boolean; instruction: string; correction?: string } {
    if (!this.settings.reflect) return { stop: "single_pass", instruction: current };
    if (chosen.verdict === "success") return { stop: "success", instruction: current };
    if (chosen.verdict === "refine") {
      const refined = chosen.conclusion!.reply.refined_instruction!;
      if (repeatsInstruction(current, refined)) return { stop: "repeated_instruction", instruction: current };
      if (this.settings.chain === "latest") return { continueFromLatest: true, instruction: refined, correction: refined };
      // Re-editing the source needs the whole request, not just the correction.
      return { continueFromLatest: false, instruction: `${concrete} ${refined}`, correction: refined };
    }
    return { continueFromLatest: false, instruction: concrete };
  }

  private select(result: LoopResult): LoopResult {
    const kept = result.rounds.map((round) => round.candidates[round.chosen]!);
    result.kept = this.settings.reflect ? selectBest(kept) : result.rounds.length - 1;
    result.accepted = this.settings.reflect ? kept.some((c) => c.verdict === "success") : result.rounds.length > 0;
    return result;
  }

  private describe(instruction: string): Promise<StepCall<DescribeReply> | undefined> {
    const describing = this.tolerate("describe", undefined, () =>
      this.run.ports.reasoner.describe({ source: this.reflectionSource, instruction }, this.run.signal),
    );
    // Runs beside the first edit; if the edit fails first, this rejection must not surface as unhandled.
    describing.catch(() => undefined);
    return describing;
  }

  private async playRound(
    index: number,
    baseRef: Round["base"],
    baseImage: Picture,
    instruction: string,
    judged: JudgedRequest,
    result: LoopResult,
    describing: Promise<StepCall<DescribeReply> | undefined> | undefined,
  ): Promise<Round> {
    const firstSeed = this.settings.seed + (index - 1) * this.settings.candidates;
    const seeds = Array.from({ length: this.settings.candidates }, (_, k) => firstSeed + k);
    this.emit({ type: "edit_started", round: index, instruction, seeds });
    const failuresBefore = this.failures.length;
    const candidates = await Promise.all(
      seeds.map((seed) => this.makeCandidate(index, seed, baseImage, instruction, judged, result, describing)),
    );
    const chosen = candidates.length === 1 ? 0 : selectBest(candidates);
    return { index, base: baseRef, instruction, candidates, chosen, failures: this.failures.slice(failuresBefore) };
  }

  private async makeCandidate(
    round: number,
    seed: number,
    baseImage: Picture,
    instruction: string,
    judged: JudgedRequest,
    result: LoopResult,
    describing: Promise<StepCall<DescribeReply> | undefined> | undefined,
  ): Promise<Candidate> {
    const edit = await this.run.ports.editor.edit({ image: baseImage, instruction, seed }, this.run.signal);
    const preserved = await this.preserveUntouched(round, baseImage, edit.image, result.scope);
    const candidate: Candidate = {
      seed,
      image: preserved?.image ?? edit.image,
      editMs: edit.ms,
      editCached: edit.cached ?? false,
      verdict: null,
      value: null,
      ...(preserved ? { preservedShare: preserved.preservedShare } : {}),
    };
    if (!this.settings.reflect) return candidate;
    // Only conclude reads the change map, so it is computed while assess and the scores are already running.
    const evidence = this.mapChanges(round, baseImage, candidate.image);
    const description = (describing ?? Promise.resolve(undefined)).then((d) => d?.reply.target_description ?? judged.request);
    const judgement = await this.judge(round, candidate, description, judged, evidence);
    const mapped = await evidence;
    return { ...candidate, ...judgement, ...(mapped ? { evidence: mapped } : {}) };
  }

  /** For local edits, a bit-exact background: the base comes back wherever the editor only drifted. */
  private async preserveUntouched(
    round: number,
    baseImage: Picture,
    edited: Picture,
    scope: "local" | "global" | undefined,
  ): Promise<{ image: Picture; preservedShare: number } | undefined> {
    const workbench = this.run.ports.workbench;
    if (!workbench || !this.settings.preserve || scope !== "local") return undefined;
    return this.tolerate("preserve", round, () => workbench.preserve(baseImage, edited));
  }

  private mapChanges(round: number, baseImage: Picture, image: Picture): Promise<ChangeEvidence | undefined> {
    const workbench = this.run.ports.workbench;
    if (!workbench || !this.settings.changeMap) return Promise.resolve(undefined);
    const mapping = this.tolerate("change_map", round, () => workbench.changeMap(baseImage, image));
    mapping.catch(() => undefined);
    return mapping;
  }

  private async judge(
    round: number,
    candidate: Candidate,
    description: Promise<string>,
    judged: JudgedRequest,
    evidence: Promise<ChangeEvidence | undefined>,
  ): Promise<Judgement> {
    const reasoner = this.run.ports.reasoner;
    const source = this.reflectionSource;
    const edited = candidate.image;
    const signal = this.run.signal;
    const scoreInput = { source, edited, instruction: judged.request };
    const [verdictPart, semantics, quality] = await Promise.all([
      this.assessThenConclude(round, description, judged, edited, evidence),
      this.tolerate("score_sc", round, () => reasoner.scoreSemantics(scoreInput, signal)),
      this.tolerate("score_pq", round, () => reasoner.scoreQuality(scoreInput, signal)),
    ]);
    return { ...verdictPart, semantics, quality, value: roundValue(semantics?.reply, quality?.reply) };
  }

  private async assessThenConclude(
    round: number,
    descriptionPromise: Promise<string>,
    judged: JudgedRequest,
    edited: Picture,
    evidencePromise: Promise<ChangeEvidence | undefined>,
  ): Promise<Pick<Judgement, "assessment" | "cappedScore" | "conclusion" | "verdict">> {
    const reasoner = this.run.ports.reasoner;
    const signal = this.run.signal;
    const instruction = judged.request;
    const description = await descriptionPromise;
    const assessment = await this.tolerate("assess", round, () => reasoner.assess({ edited, instruction, description }, signal));
    const evidence = await evidencePromise;
    // Without a usable assessment conclude gets no hint at all, never an invented 0/10.
    const cappedScore = assessment ? capAssessment(assessment.reply) : undefined;
    const input: ConcludeInput = {
      source: this.reflectionSource,
      edited,
      instruction,
      ...(judged.correction === undefined ? {} : { correction: judged.correction }),
      ...(assessment && cappedScore !== undefined ? { assessment: { score: cappedScore, reason: assessment.reply.reason } } : {}),
      ...(evidence ? { evidence } : {}),
    };
    const conclusion = await this.tolerate("conclude", round, () => reasoner.conclude(input, signal));
    // An unusable verdict counts as failed, as in ReasonEdit: the next round re-edits the source.
    return { ...(assessment ? { assessment, cappedScore } : {}), conclusion, verdict: conclusion?.reply.verdict ?? "failed" };
  }

  /** Runs a step whose invalid reply the loop can live without; provider failures still propagate. */
  private async tolerate<T>(step: StepName, round: number | undefined, call: () => Promise<T>): Promise<T | undefined> {
    try {
      return await call();
    } catch (error) {
      if (!ReasonEditError.is(error) || error.code !== "model_reply_invalid") throw error;
      const failure: StepFailure = { step, code: error.code, message: error.message, ...(round === undefined ? {} : { round }) };
      this.failures.push(failure);
      this.emit({ type: "step_failed", failure });
      return undefined;
    }
  }

  private emit(event: LoopEvent): void {
    this.run.onEvent?.(event);
  }
}

/** The request reflection judges: the diffusion instruction, noting exact ops already applied to its source. */
function describeRequest(instruction: string, ops: readonly ExactOp[]): string {
  if (ops.length === 0) return instruction;
  const applied = ops.map((op) => JSON.stringify(op)).join(", ");
  return `${instruction} (the input image already had these exact operations applied, as requested: ${applied})`;
}
