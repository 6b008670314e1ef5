// ReasonEdit's think → edit → reflect loop as plain logic over the Reasoner, Editor and Workbench ports.
import { ReasonEditError } from "../errors.js";
import { capAssessment, repeatsInstruction, roundValue, selectBest } from "./policies.js";
import { MAX_UPSCALE, type OpsBounds } from "./op-bounds.js";
import { spentOn } from "./step-calls.js";
import type {
  Candidate,
  ChangeEvidence,
  ConcludeInput,
  DescribeReply,
  ExactOp,
  Judgement,
  LoopEvent,
  LoopResult,
  LoopRun,
  LoopSettings,
  Picture,
  Round,
  StepCall,
  StepFailure,
  StepName,
  StopReason,
  ThinkReply,
} from "./types.js";

export type { Candidate, Chain, Judgement, LoopEvent, LoopPorts, LoopResult, LoopRun, LoopSettings, Round, StepFailure, StepName, StopReason } from "./types.js";

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

/** One round: what it edits, what the editor is told, and the correction that told it, if any. */
interface RoundPlan {
  index: number;
  /** The image to edit: the prepared source, or the kept candidate of an earlier round. */
  base: { ref: Round["base"]; image: Picture };
  /** What the editor gets: the concrete instruction, or (after a refine) the correction. */
  instruction: string;
  /** The correction this round's edit was given; judges still judge the whole request. */
  correction?: string;
}

/** What the loop does after a round: stop, or the plan of the next one. */
type NextStep = { stop: StopReason } | { stop?: undefined; fromLatest: boolean; instruction: string; correction?: string };

/** Runs the loop to a stop and returns every round plus the one to keep. Provider failures propagate. */
export async function runEditLoop(run: LoopRun): Promise<LoopResult> {
  return new EditLoop(run).execute();
}

class EditLoop {
  private readonly failures: StepFailure[] = [];
  private readonly settings: LoopSettings;
  /** What reflection compares against: the source after exact ops, so a crop is not mistaken for damage. */
  private reflectionSource: Picture;
  /** What every round is judged against: the concrete instruction, noting exact ops already applied. */
  private request = "";
  private scope: "local" | "global" | undefined;
  /** The describe step, started beside the first edit; undefined without reflection. */
  private describing: Promise<StepCall<DescribeReply> | undefined> | undefined;

  constructor(private readonly run: LoopRun) {
    this.settings = { ...run.settings, rounds: Math.max(1, run.settings.rounds), candidates: Math.max(1, run.settings.candidates) };
    this.reflectionSource = run.source;
  }

  async execute(): Promise<LoopResult> {
    const { thinking, instruction, ops, scope } = await this.think();
    this.emit({ type: "thought", thinking, instruction, ops });
    const prepared = ops.length > 0 ? await this.applyOps(ops) : this.run.source;
    this.reflectionSource = prepared;
    this.scope = scope;
    const result: LoopResult = {
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
    if (instruction === null) return this.finishOpsOnly(result);
    // Every round is judged against the whole request, as the released loop keeps its original_prompt.
    this.request = describeRequest(instruction, ops);
    return this.iterate(result, instruction);
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
    this.describing = this.settings.reflect ? this.describe(concrete) : undefined;
    let plan: RoundPlan = { index: 1, base: { ref: "source", image: result.prepared }, instruction: concrete };
    for (;;) {
      const round = await this.playRound(plan);
      result.rounds.push(round);
      this.emit({ type: "round_finished", round });
      const chosen = round.candidates[round.chosen]!;
      const next = this.decideNext(chosen, plan, concrete);
      if (next.stop !== undefined) {
        result.stopReason = next.stop;
        break;
      }
      if (plan.index >= this.settings.rounds) break;
      const base = next.fromLatest ? { ref: plan.index, image: chosen.image } : { ref: "source" as const, image: result.prepared };
      plan = { index: plan.index + 1, base, instruction: next.instruction, ...(next.correction === undefined ? {} : { correction: next.correction }) };
    }
    result.description = this.describing ? await this.describing : undefined;
    return this.select(result);
  }

  /** A new correction must differ from this round's (or, without one, from the concrete instruction). */
  private decideNext(chosen: Candidate, plan: RoundPlan, concrete: string): NextStep {
    if (!this.settings.reflect) return { stop: "single_pass" };
    if (chosen.verdict === "success") return { stop: "success" };
    if (chosen.verdict === "refine") {
      const refined = chosen.conclusion!.reply.refined_instruction!;
      if (repeatsInstruction(plan.correction ?? concrete, refined)) return { stop: "repeated_instruction" };
      if (this.settings.chain === "latest") return { fromLatest: true, instruction: refined, correction: refined };
      // Re-editing the source needs the whole request, not just the correction.
      return { fromLatest: false, instruction: `${concrete} ${refined}`, correction: refined };
    }
    return { fromLatest: false, instruction: concrete };
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

  private async playRound(plan: RoundPlan): Promise<Round> {
    const firstSeed = this.settings.seed + (plan.index - 1) * this.settings.candidates;
    const seeds = Array.from({ length: this.settings.candidates }, (_, k) => firstSeed + k);
    this.emit({ type: "edit_started", round: plan.index, instruction: plan.instruction, seeds });
    const failuresBefore = this.failures.length;
    const candidates = await Promise.all(seeds.map((seed) => this.makeCandidate(plan, seed)));
    const chosen = candidates.length === 1 ? 0 : selectBest(candidates);
    return { index: plan.index, base: plan.base.ref, instruction: plan.instruction, candidates, chosen, failures: this.failures.slice(failuresBefore) };
  }

  private async makeCandidate(plan: RoundPlan, seed: number): Promise<Candidate> {
    const edit = await this.run.ports.editor.edit({ image: plan.base.image, instruction: plan.instruction, seed }, this.run.signal);
    const preserved = await this.preserveUntouched(plan, edit.image);
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
    const evidence = this.mapChanges(plan, candidate.image);
    const judgement = await this.judge(plan, candidate.image, evidence);
    const mapped = await evidence;
    return { ...candidate, ...judgement, ...(mapped ? { evidence: mapped } : {}) };
  }

  /** For local edits, a bit-exact background: the base comes back wherever the editor only drifted. */
  private async preserveUntouched(plan: RoundPlan, edited: Picture): Promise<{ image: Picture; preservedShare: number } | undefined> {
    const workbench = this.run.ports.workbench;
    if (!workbench || !this.settings.preserve || this.scope !== "local") return undefined;
    return this.tolerate("preserve", plan.index, () => workbench.preserve(plan.base.image, edited));
  }

  private mapChanges(plan: RoundPlan, image: Picture): Promise<ChangeEvidence | undefined> {
    const workbench = this.run.ports.workbench;
    if (!workbench || !this.settings.changeMap) return Promise.resolve(undefined);
    const mapping = this.tolerate("change_map", plan.index, () => workbench.changeMap(plan.base.image, image));
    mapping.catch(() => undefined);
    return mapping;
  }

  private async judge(plan: RoundPlan, edited: Picture, evidence: Promise<ChangeEvidence | undefined>): Promise<Judgement> {
    const reasoner = this.run.ports.reasoner;
    const signal = this.run.signal;
    const scoreInput = { source: this.reflectionSource, edited, instruction: this.request };
    const [verdictPart, semantics, quality] = await Promise.all([
      this.assessThenConclude(plan, edited, evidence),
      this.tolerate("score_sc", plan.index, () => reasoner.scoreSemantics(scoreInput, signal)),
      this.tolerate("score_pq", plan.index, () => reasoner.scoreQuality(scoreInput, signal)),
    ]);
    return { ...verdictPart, semantics, quality, value: roundValue(semantics?.reply, quality?.reply) };
  }

  private async assessThenConclude(
    plan: RoundPlan,
    edited: Picture,
    evidencePromise: Promise<ChangeEvidence | undefined>,
  ): Promise<Pick<Judgement, "assessment" | "cappedScore" | "conclusion" | "verdict">> {
    const reasoner = this.run.ports.reasoner;
    const signal = this.run.signal;
    const instruction = this.request;
    const description = (await this.describing)?.reply.target_description ?? instruction;
    const assessment = await this.tolerate("assess", plan.index, () => reasoner.assess({ edited, instruction, description }, signal));
    const evidence = await evidencePromise;
    // Without a usable assessment conclude gets no hint at all, never an invented 0/10.
    const cappedScore = assessment ? capAssessment(assessment.reply) : undefined;
    const input: ConcludeInput = {
      source: this.reflectionSource,
      edited,
      instruction,
      ...(plan.correction === undefined ? {} : { correction: plan.correction }),
      ...(assessment && cappedScore !== undefined ? { assessment: { score: cappedScore, reason: assessment.reply.reason } } : {}),
      ...(evidence ? { evidence } : {}),
    };
    const conclusion = await this.tolerate("conclude", plan.index, () => reasoner.conclude(input, signal));
    // An unusable verdict counts as failed, as in ReasonEdit: the next round re-edits the source.
    return { ...(assessment ? { assessment, cappedScore } : {}), conclusion, verdict: conclusion?.reply.verdict ?? "failed" };
  }

  /** Runs a step whose invalid reply the loop can live without; provider failures still propagate. */
  private async tolerate<T>(step: StepName, round: number | undefined, call: () => Promise<T>): Promise<T | undefined> {
    try {
      return await call();
    } catch (error) {
      if (!ReasonEditError.is(error) || error.code !== "model_reply_invalid") throw error;
      const failure: StepFailure = { step, code: error.code, message: error.message, ...(round === undefined ? {} : { round }), ...spentOn(error) };
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
