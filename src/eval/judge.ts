// The benchmark judge: VIEScore SC and PQ as GEdit-Bench asks them, k times, with unusable replies kept as missing.
import { ReasonEditError } from "../errors.js";
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

/** A reply that stayed invalid took the first ask and the corrective re-ask; its tokens are not reported back. */
const INVALID_REPLY_ATTEMPTS = 2;

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
    const answers = await Promise.all(this.scorers.map((scorer) => askOnce(scorer, scoreInput, signal)));
    const pairs: JudgeRepeat[] = answers.map(({ sc, pq }) => ({ sc: sc ? pairOf(sc.reply) : null, pq: pq ? pairOf(pq.reply) : null }));
    return {
      repeats: pairs.map((pair) => ({ ...scoreRepeat(pair) })),
      answers: pairs,
      calls: sumOf(answers, (call) => call?.attempts ?? INVALID_REPLY_ATTEMPTS),
      tokens: sumOf(answers, (call) => call?.usage.total ?? 0),
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

async function askOnce(scorer: VieScorer, input: ScoreInput, signal?: AbortSignal): Promise<RepeatCalls> {
  const [sc, pq] = await Promise.all([
    missingWhenInvalid(scorer.scoreSemantics(input, signal)),
    missingWhenInvalid(scorer.scoreQuality(input, signal)),
  ]);
  return { sc, pq };
}

/** GEdit's reference code guesses a random score here; a missing score is reported as missing instead. */
async function missingWhenInvalid<T>(call: Promise<T>): Promise<T | undefined> {
  try {
    return await call;
  } catch (error) {
    if (ReasonEditError.is(error) && error.code === "model_reply_invalid") return undefined;
    throw error;
  }
}

function pairOf(reply: ScoreReply): ScorePair {
  return [reply.score[0], reply.score[1]];
}

function sumOf(answers: readonly RepeatCalls[], measure: (call: StepCall<ScoreReply> | undefined) => number): number {
  let total = 0;
  for (const { sc, pq } of answers) total += measure(sc) + measure(pq);
  return total;
}
