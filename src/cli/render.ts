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
  const totals = result.totals;
  const cached = totals.cached_calls ? `, ${totals.cached_calls} from cache` : "";
  return [
    `${verdictOf(result)}: ${kept} → ${result.output === "-" ? "stdout" : result.output}`,
    `  ${plural(totals.mllm_calls, "MLLM call")}, ${plural(totals.editor_calls, "edit")}, ${plural(totals.tokens, "token")}${cached}, ${(totals.wall_ms / 1000).toFixed(1)}s`,
    `  run record: ${result.run_record} (${formatBytes(result.record_bytes)} on disk)`,
  ];
}

/** "accepted" only when reflection judged the edit; a single pass (--no-reflect) is done, not judged. */
function verdictOf(result: EditResult): string {
  const stop = result.stop_reason;
  if (result.status !== "accepted") return `not accepted (${stop?.replace(/_/g, " ")})`;
  return stop === "single_pass" ? "done, not judged (--no-reflect)" : "accepted";
}

/** "1 edit", "2 edits"; `many` for irregular plurals ("entries"). */
export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
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
