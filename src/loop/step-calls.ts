// Every model call a loop result holds, answered or not, as one flat walk: what run totals, batch counts and eval cost add up.
import { ReasonEditError, type CallSpend } from "../errors.js";
import type { LoopResult, StepCall, StepFailure, StepName, TokenUsage } from "./types.js";

/** One step's calls: a reasoning step (answered, or failed with an invalid reply) or one editor call. */
export interface SpentCall {
  step: StepName;
  round?: number;
  model: "mllm" | "editor";
  attempts: number;
  usage: TokenUsage;
  cached: boolean;
}

export type CallSource = Pick<LoopResult, "thinking" | "description" | "rounds"> & { failures?: readonly StepFailure[] };

const NO_TOKENS: TokenUsage = { prompt: 0, completion: 0, total: 0 };

function answered(step: StepName, call: StepCall<unknown> | undefined, round?: number): SpentCall[] {
  if (call === undefined) return [];
  return [{ step, ...(round === undefined ? {} : { round }), model: "mllm", attempts: call.attempts, usage: call.usage, cached: call.cached ?? false }];
}

/** Every call of a loop result, in the order the loop made them: thinking, description, each candidate's edit and judging, failures. */
export function* stepCallsOf(result: CallSource): Generator<SpentCall> {
  yield* answered("think", result.thinking);
  yield* answered("describe", result.description);
  for (const round of result.rounds) {
    for (const candidate of round.candidates) {
      yield { step: "edit", round: round.index, model: "editor", attempts: 1, usage: NO_TOKENS, cached: candidate.editCached };
      yield* answered("assess", candidate.assessment, round.index);
      yield* answered("conclude", candidate.conclusion, round.index);
      yield* answered("score_sc", candidate.semantics, round.index);
      yield* answered("score_pq", candidate.quality, round.index);
    }
  }
  const failures = result.failures ?? result.rounds.flatMap((round) => round.failures);
  for (const failure of failures) {
    if (failure.code !== "model_reply_invalid") continue;
    const { step, round, attempts, usage, cached } = failure;
    yield { step, ...(round === undefined ? {} : { round }), model: "mllm", attempts, usage, cached };
  }
}

export interface CallTally {
  mllmCalls: number;
  editorCalls: number;
  /** Steps answered from the call cache, when those are not counted as calls. */
  cachedSteps: number;
  tokens: number;
}

/**
 * Adds up calls and tokens. Run records count only live calls (a cached step is tallied in cachedSteps);
 * eval counts cached calls too, so a replay from the cache reports the cost of the run it replays.
 */
export function tallyCalls(calls: Iterable<SpentCall>, options: { countCached: boolean }): CallTally {
  const tally: CallTally = { mllmCalls: 0, editorCalls: 0, cachedSteps: 0, tokens: 0 };
  for (const call of calls) {
    if (call.cached && !options.countCached) {
      tally.cachedSteps++;
      continue;
    }
    if (call.model === "editor") tally.editorCalls += call.attempts;
    else tally.mllmCalls += call.attempts;
    tally.tokens += call.usage.total;
  }
  return tally;
}

/** What a step that threw spent: the invalid reply's recorded asks; otherwise (or when unrecorded) the one ask that was made. */
export function spentOn(error: unknown): CallSpend {
  if (ReasonEditError.is(error) && error.spent !== undefined) return error.spent;
  return { attempts: 1, usage: NO_TOKENS, cached: false };
}

/**
 * Awaits a step whose invalid reply the caller treats as missing (a score left out rather than guessed);
 * what such a reply spent goes into `lost`, so it still counts. Provider failures propagate.
 */
export async function missingIfInvalid<T>(call: Promise<StepCall<T>>, lost: CallSpend[]): Promise<StepCall<T> | undefined> {
  try {
    return await call;
  } catch (error) {
    if (!ReasonEditError.is(error) || error.code !== "model_reply_invalid") throw error;
    lost.push(spentOn(error));
    return undefined;
  }
}

/** Calls and tokens of some answered steps and some lost ones. */
export function sumSpend(spent: Iterable<Pick<CallSpend, "attempts" | "usage">>): { calls: number; tokens: number } {
  let calls = 0;
  let tokens = 0;
  for (const entry of spent) {
    calls += entry.attempts;
    tokens += entry.usage.total;
  }
  return { calls, tokens };
}
