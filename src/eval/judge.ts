// The benchmark judge: VIEScore SC and PQ as GEdit-Bench asks them, k times, with unusable replies kept as missing.
import type { CallSpend } from "../errors.js";
import { missingIfInvalid, sumSpend } from "../loop/step-calls.js";
import type { Picture, Reasoner, ScoreInput, ScoreReply, StepCall } from "../loop/types.js";
import type { ChatModel } from "../providers/chat-model.js";
import { scoreRepeat, VIESCORE } from "./aggregate.js";
import type { Metric, ScoreRecord } from "./metric.js";

export type ScorePair = [number, number];

/** One repeat's answer: SC = [editing success, over-editing], PQ = [naturalness, artifacts]; null = missing. */
export interface JudgeRepeat {
  sc: ScorePair | null;
  pq: ScorePair | null;
}

export interface JudgedSample {
  /** Per repeat, the metric's scores of the image (VIEScore: SC, PQ, O). */
  repeats: ScoreRecord[];
  /** Per repeat, what the judge answered, as scored (VIEScore: the SC and PQ pairs; KRIS-Bench: the 1–5 values). */
  answers: object[];
  /** Logical chat calls, corrective re-asks included. */
  calls: number;
  tokens: number;
}

export interface JudgeInput {
  source: Picture;
  edited: Picture;
  /** The benchmark's instruction as the user wrote it, never the loop's rewritten one. */
  instruction: string;
  /** The benchmark's category: KRIS-Bench asks some categories with their own prompt. */
  category: string;
  knowledgeHint?: string;
}

/** A benchmark's judge: scores one edited image against its source, k times, under one metric. */
export interface BenchmarkJudge {
  readonly metric: Metric;
  readonly repeats: number;
  judge(input: JudgeInput, signal?: AbortSignal): Promise<JudgedSample>;
}

export type VieScorer = Pick<Reasoner, "scoreSemantics" | "scoreQuality">;

export class VieScoreJudge implements BenchmarkJudge {
  readonly metric = VIESCORE;

  /** One scorer per repeat; each must ask differently (a seed) or a cache would hand back the first answer k times. */
  constructor(private readonly scorers: readonly VieScorer[]) {
    if (scorers.length === 0) throw new Error("a judge needs at least one scorer");
  }

  get repeats(): number {
    return this.scorers.length;
  }

  async judge(input: JudgeInput, signal?: AbortSignal): Promise<JudgedSample> {
    const scoreInput: ScoreInput = { source: input.source, edited: input.edited, instruction: judgedInstruction(input) };
    const lost: CallSpend[] = [];
    const answers = await Promise.all(this.scorers.map((scorer) => askOnce(scorer, scoreInput, lost, signal)));
    const answered = answers.flatMap(({ sc, pq }) => [sc, pq]).filter((call) => call !== undefined);
    const pairs: JudgeRepeat[] = answers.map(({ sc, pq }) => ({ sc: sc ? pairOf(sc.reply) : null, pq: pq ? pairOf(pq.reply) : null }));
    return {
      repeats: pairs.map((pair) => ({ ...scoreRepeat(pair) })),
      answers: pairs,
      ...sumSpend([...answered, ...lost]),
    };
  }
}

/** Seeds every request, so each judge repeat is its own cache entry; repeat 0 sends no seed at all. */
export function seededChatModel(inner: ChatModel, seed: number | undefined): ChatModel {
  if (seed === undefined) return inner;
  return { id: inner.id, complete: (request, signal) => inner.complete({ ...request, seed }, signal) };
}

function judgedInstruction(input: JudgeInput): string {
  return input.knowledgeHint ? `${input.instruction} (expected outcome: ${input.knowledgeHint})` : input.instruction;
}

interface RepeatCalls {
  sc: StepCall<ScoreReply> | undefined;
  pq: StepCall<ScoreReply> | undefined;
}

/** GEdit's reference code guesses a random score for an unusable reply; a missing score is reported as missing instead. */
async function askOnce(scorer: VieScorer, input: ScoreInput, lost: CallSpend[], signal?: AbortSignal): Promise<RepeatCalls> {
  const [sc, pq] = await Promise.all([
    missingIfInvalid(scorer.scoreSemantics(input, signal), lost),
    missingIfInvalid(scorer.scoreQuality(input, signal), lost),
  ]);
  return { sc, pq };
}

function pairOf(reply: ScoreReply): ScorePair {
  return [reply.score[0], reply.score[1]];
}
