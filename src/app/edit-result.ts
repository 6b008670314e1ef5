// The result of one edit as a plain object: what `edit --json` prints and what the library's edit() returns.
import type { EditJobResult } from "./edit-job.js";
import type { RoundRecord, RunRecord } from "../runs/run-record.js";

export interface RoundResult {
  index: number;
  /** "source", or the index of the round this one edited. */
  base: RoundRecord["base"];
  instruction: string;
  verdict: string | null;
  refined_instruction: string | null;
  /** VIEScore: sc = [editing success, over-editing], pq = [naturalness, artifacts], each 0–10; value = min(sc)·min(pq) on 0–100. */
  scores: RoundRecord["candidates"][number]["scores"];
  /** The assessment's score after the caps, 0–10. */
  capped_score: number | null;
  /** null when the run record keeps no image of this round (--keep-images final or none). */
  image: string | null;
  timings: Record<string, number>;
  tokens: number;
  candidates: number;
}

export interface EditResult {
  status: "accepted" | "not_accepted";
  /** The written image, or "-" for stdout. */
  output: string;
  run_record: string;
  /** Bytes the run folder holds (run.json and the images kept). */
  record_bytes: number;
  instruction: string;
  concrete_instruction: string | null;
  ops: RunRecord["ops"];
  kept_round: number | null;
  stop_reason: string | null;
  rounds: RoundResult[];
  totals: RunRecord["totals"];
  failures: RunRecord["failures"];
}

export function editResultOf(result: EditJobResult): EditResult {
  const record = result.record;
  return {
    status: result.status,
    output: result.output,
    run_record: result.recordPath,
    record_bytes: result.recordBytes,
    instruction: record.instruction,
    concrete_instruction: record.concrete_instruction,
    ops: record.ops,
    kept_round: record.kept_round,
    stop_reason: record.stop_reason,
    rounds: record.rounds.map((round) => roundResultOf(round, (file) => file)),
    totals: record.totals,
    failures: record.failures,
  };
}

/** A round as --json shows it (edit, show): the chosen candidate's verdict, scores, timings and tokens. */
export function roundResultOf(round: RoundRecord, imagePath: (file: string) => string): RoundResult {
  const chosen = round.candidates[round.chosen]!;
  return {
    index: round.index,
    base: round.base,
    instruction: round.instruction,
    verdict: chosen.verdict,
    refined_instruction: chosen.refined_instruction ?? null,
    scores: chosen.scores,
    capped_score: chosen.capped_score ?? null,
    image: chosen.image === null ? null : imagePath(chosen.image),
    timings: { edit_ms: chosen.edit_ms, ...Object.fromEntries(Object.entries(chosen.steps).map(([step, s]) => [`${step}_ms`, s.ms])) },
    tokens: Object.values(chosen.steps).reduce((sum, step) => sum + step.usage.total, 0),
    candidates: round.candidates.length,
  };
}
