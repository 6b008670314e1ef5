// What eval keeps of each item in each mode: where the images are, what the judge said, what it cost.
import type { Verdict } from "../loop/types.js";
import type { ErrorReport } from "../errors.js";
import type { ScoreRecord } from "./metric.js";
import type { BenchmarkItem } from "./benchmark.js";
import type { JudgedSample } from "./judge.js";
import type { EvalMode } from "./modes.js";

/** Logical calls, cached answers included (a cached answer reports what the original call cost), so a replay reports the same. */
export interface Cost {
  mllm_calls: number;
  editor_calls: number;
  tokens: number;
  wall_ms: number;
}

export interface JudgeCost {
  calls: number;
  tokens: number;
}

/** One edit of a mode as the report shows it: a loop round, or one reroll sample. Paths are relative to the out-dir. */
export interface AttemptView {
  index: number;
  instruction: string;
  /** null when --keep-images left the round's image out of its run record. */
  image: string | null;
  verdict: Verdict | null;
  refined_instruction: string | null;
  /** The reasoning MLLM's own VIEScore pairs, which pick the loop's round and reroll's sample to keep; null in single and think. */
  loop_sc: number[] | null;
  loop_pq: number[] | null;
  /** The judge's scores of reroll's kept sample; null for every other attempt, which the judge never sees. */
  judge: ScoreRecord | null;
  kept: boolean;
}

export interface ModeOutcome {
  mode: EvalMode;
  status: "ok" | "error";
  /** The image the judge scored, relative to the out-dir; null when the mode failed before writing one. */
  output: string | null;
  /** Run folders (run.json and every round's image), relative to the out-dir. */
  runs: string[];
  judged: JudgedSample | null;
  scores: ScoreRecord;
  cost: Cost;
  judge_cost: JudgeCost;
  concrete_instruction: string | null;
  stop_reason: string | null;
  accepted: boolean | null;
  attempts: AttemptView[];
  error?: ErrorReport;
}

export interface ItemOutcome {
  item: BenchmarkItem;
  /** The source image as the judge saw it, relative to the out-dir. */
  source: string;
  modes: Partial<Record<EvalMode, ModeOutcome>>;
}

export function zeroCost(): Cost {
  return { mllm_calls: 0, editor_calls: 0, tokens: 0, wall_ms: 0 };
}

export function addCosts(a: Cost, b: Cost): Cost {
  return {
    mllm_calls: a.mllm_calls + b.mllm_calls,
    editor_calls: a.editor_calls + b.editor_calls,
    tokens: a.tokens + b.tokens,
    wall_ms: a.wall_ms + b.wall_ms,
  };
}
