// Progress of one edit as plain events: each model call as it starts and ends (with where it went), and the
// loop's milestones. Built by wrapping the loop's ports, so the loop itself stays unaware of it.
import type { LoopEvent, Round } from "../loop/run-edit-loop.js";
import type { Editor, ExactOp, Reasoner, StepCall } from "../loop/types.js";
import { withCallListener, type CallNews } from "../providers/call-news.js";
import { rerouted } from "../providers/route.js";

export type ProgressStep = "think" | "describe" | "edit" | "assess" | "conclude" | "score_sc" | "score_pq";

/** Scores as everywhere in reasonedit: VIEScore pairs 0–10, value = min(sc)·min(pq) on 0–100, capped assessment 0–10. */
export interface RoundScores {
  sc: number[] | null;
  pq: number[] | null;
  value: number | null;
  capped: number | null;
}

export type ProgressEvent =
  /** A model call started; `route` is `<model>@<provider, "auto" or server URL>`. `round` is absent for think and describe. */
  | { type: "step_started"; step: ProgressStep; round?: number; route: string }
  /**
   * A running call learned more about where it went: `route` names the provider "auto" resolved to, and
   * `queue_position` is fal's count of jobs ahead (0: next), null once the job left the queue and runs.
   */
  | { type: "step_update"; step: ProgressStep; round?: number; route: string; queue_position: number | null }
  | { type: "step_finished"; step: ProgressStep; round?: number; route: string; ms: number; cached: boolean }
  | { type: "step_failed"; step: ProgressStep; round?: number; route: string; ms: number; message: string }
  /** think's result: the concrete instruction (null when exact ops do everything) and the exact ops. */
  | { type: "thought"; instruction: string | null; ops: ExactOp[] }
  | { type: "round_finished"; round: number; verdict: string | null; refined_instruction: string | null; scores: RoundScores; edit_ms: number };

type Emit = (event: ProgressEvent) => void;

type Role = "mllm" | "editor";

/** Follows the loop's events to know which round a call belongs to, and reports each call of the wrapped ports. */
export class ProgressPorts {
  private round: number | undefined;
  /** Each role's route, with the provider its last call resolved "auto" to once known. */
  private readonly routes: Record<Role, string>;

  constructor(
    private readonly emit: Emit,
    routes: Record<Role, string>,
  ) {
    this.routes = { ...routes };
  }

  onLoopEvent(event: LoopEvent): void {
    if (event.type === "edit_started") this.round = event.round;
    if (event.type === "thought") this.emit({ type: "thought", instruction: event.instruction, ops: event.ops });
    if (event.type === "round_finished") this.emit(roundFinished(event.round));
  }

  reasoner(reasoner: Reasoner): Reasoner {
    const timed = <I, T>(step: ProgressStep, perRound: boolean, call: (input: I, signal?: AbortSignal) => Promise<StepCall<T>>) =>
      (input: I, signal?: AbortSignal) => this.time(step, perRound, "mllm", () => call.call(reasoner, input, signal), (result) => result.cached === true);
    return {
      think: timed("think", false, reasoner.think),
      describe: timed("describe", false, reasoner.describe),
      assess: timed("assess", true, reasoner.assess),
      conclude: timed("conclude", true, reasoner.conclude),
      scoreSemantics: timed("score_sc", true, reasoner.scoreSemantics),
      scoreQuality: timed("score_pq", true, reasoner.scoreQuality),
    };
  }

  editor(editor: Editor): Editor {
    return { edit: (request, signal) => this.time("edit", true, "editor", () => editor.edit(request, signal), (outcome) => outcome.cached === true) };
  }

  private async time<T>(step: ProgressStep, perRound: boolean, role: Role, run: () => Promise<T>, cached: (result: T) => boolean): Promise<T> {
    const where = perRound && this.round !== undefined ? { round: this.round } : {};
    const started = performance.now();
    let route = this.routes[role];
    let queue: number | null = null;
    let running = true;
    const hear = (news: CallNews) => {
      const next = news.provider === undefined ? route : rerouted(route, news.provider);
      const nextQueue = news.queuePosition === undefined ? queue : news.queuePosition;
      if (!running || (next === route && nextQueue === queue)) return;
      route = next;
      queue = nextQueue;
      this.routes[role] = route;
      this.emit({ type: "step_update", step, ...where, route, queue_position: queue });
    };
    this.emit({ type: "step_started", step, ...where, route });
    try {
      const result = await withCallListener(hear, run).finally(() => (running = false));
      this.emit({ type: "step_finished", step, ...where, route, ms: performance.now() - started, cached: cached(result) });
      return result;
    } catch (error) {
      this.emit({ type: "step_failed", step, ...where, route, ms: performance.now() - started, message: error instanceof Error ? error.message : String(error) });
      throw error;
    }
  }
}

function roundFinished(round: Round): ProgressEvent {
  const chosen = round.candidates[round.chosen]!;
  return {
    type: "round_finished",
    round: round.index,
    verdict: chosen.verdict,
    refined_instruction: chosen.verdict === "refine" ? (chosen.conclusion?.reply.refined_instruction ?? null) : null,
    scores: { sc: chosen.semantics?.reply.score ?? null, pq: chosen.quality?.reply.score ?? null, value: chosen.value, capped: chosen.cappedScore ?? null },
    edit_ms: chosen.editMs,
  };
}
