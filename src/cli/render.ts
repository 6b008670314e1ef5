// Human and JSON views of a finished edit: what a person reads on stderr, what a script parses on stdout.
import type { EditResult } from "../app/edit-result.js";
import { cappedText, scoreText } from "../app/score-text.js";
import type { LoopEvent, Round } from "../loop/run-edit-loop.js";

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
  const scores = scoreText({ sc: chosen.semantics?.reply.score ?? null, pq: chosen.quality?.reply.score ?? null, value: chosen.value });
  const refined = chosen.verdict === "refine" ? ` → "${chosen.conclusion?.reply.refined_instruction}"` : "";
  const capped = cappedText(chosen.assessment ? chosen.cappedScore : undefined);
  return `round ${round.index}: ${chosen.verdict} (${capped}, ${scores}, edit ${seconds}s)${refined}`;
}

export function summarize(result: EditResult): string[] {
  const kept = result.kept_round === null ? "exact ops only" : `kept round ${result.kept_round} of ${result.rounds.length}`;
  const verdict = result.status === "accepted" ? "accepted" : `not accepted (${result.stop_reason?.replace(/_/g, " ")})`;
  const totals = result.totals;
  return [
    `${verdict}: ${kept} → ${result.output === "-" ? "stdout" : result.output}`,
    `  ${totals.mllm_calls} MLLM calls, ${totals.editor_calls} edits, ${totals.tokens} tokens${totals.cached_calls ? `, ${totals.cached_calls} from cache` : ""}, ${(totals.wall_ms / 1000).toFixed(1)}s`,
    `  run record: ${result.run_record}`,
  ];
}
