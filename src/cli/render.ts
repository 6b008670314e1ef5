// Human and JSON views of a finished edit: what a person reads on stderr, what a script parses on stdout.
import type { EditJobResult } from "../app/edit-job.js";
import type { LoopEvent, Round } from "../loop/run-edit-loop.js";
import type { RoundRecord } from "../runs/run-record.js";

export function describeEvent(event: LoopEvent): string | undefined {
  switch (event.type) {
    case "thought":
      if (event.instruction === null) return `thinking → exact ops only: ${event.ops.map((op) => op.op).join(", ")}`;
      return event.thinking ? `thinking → "${event.instruction}"${event.ops.length ? ` + ops ${event.ops.map((op) => op.op).join(", ")}` : ""}` : undefined;
    case "edit_started":
      return `round ${event.round}: editing${event.seeds.length > 1 ? ` ×${event.seeds.length}` : ""} "${event.instruction}"`;
    case "round_finished":
      return describeRound(event.round);
    case "step_failed":
      return `  ! ${event.failure.step}: ${event.failure.message}`;
  }
}

function describeRound(round: Round): string {
  const chosen = round.candidates[round.chosen]!;
  const seconds = (chosen.editMs / 1000).toFixed(1);
  if (chosen.verdict === null) return `round ${round.index}: edited in ${seconds}s`;
  const scores = chosen.value === null ? "scores n/a" : `SC ${chosen.semantics!.reply.score.join("/")} PQ ${chosen.quality!.reply.score.join("/")}`;
  const refined = chosen.verdict === "refine" ? ` → "${chosen.conclusion?.reply.refined_instruction}"` : "";
  return `round ${round.index}: ${chosen.verdict} (assessed ${chosen.assessment && chosen.cappedScore !== undefined ? chosen.cappedScore.toFixed(1) : "n/a"}, ${scores}, edit ${seconds}s)${refined}`;
}

export function summarize(result: EditJobResult): string[] {
  const record = result.record;
  const kept = record.kept_round === null ? "exact ops only" : `kept round ${record.kept_round} of ${record.rounds.length}`;
  const totals = record.totals;
  const cached = totals.cached_calls ? `, ${totals.cached_calls} from cache` : "";
  return [
    `${verdictOf(result)}: ${kept} → ${result.output === "-" ? "stdout" : result.output}`,
    `  ${plural(totals.mllm_calls, "MLLM call")}, ${plural(totals.editor_calls, "edit")}, ${plural(totals.tokens, "token")}${cached}, ${(totals.wall_ms / 1000).toFixed(1)}s`,
    `  run record: ${result.recordPath} (${formatBytes(result.recordBytes)} on disk)`,
  ];
}

/** "accepted" only when reflection judged the edit; a single pass (--no-reflect) is done, not judged. */
function verdictOf(result: EditJobResult): string {
  const stop = result.record.stop_reason;
  if (result.status !== "accepted") return `not accepted (${stop?.replace(/_/g, " ")})`;
  return stop === "single_pass" ? "done, not judged (--no-reflect)" : "accepted";
}

/** "1 edit", "2 edits"; `many` for irregular plurals ("entries"). */
export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

export function toJson(result: EditJobResult): Record<string, unknown> {
  const record = result.record;
  return {
    status: result.status,
    output: result.output,
    run_record: result.recordPath,
    instruction: record.instruction,
    concrete_instruction: record.concrete_instruction,
    ops: record.ops,
    kept_round: record.kept_round,
    stop_reason: record.stop_reason,
    rounds: record.rounds.map((round) => roundJson(round, (file) => file)),
    totals: record.totals,
    failures: record.failures,
  };
}

/** A round as --json shows it (edit, show): the chosen candidate's verdict, scores, timings and tokens. */
export function roundJson(round: RoundRecord, imagePath: (file: string) => string): Record<string, unknown> {
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

/** Binary units, as `ls -h` and `du -h` show sizes. */
export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`;
}
