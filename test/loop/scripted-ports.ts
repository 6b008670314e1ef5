// In-memory Reasoner and Editor that implement the loop's ports, scripted per test, recording every call.
import { ReasonEditError } from "../../src/errors.js";
import type {
  ChangeEvidence,
  ExactOp,
  Workbench,
  AssessInput,
  AssessReply,
  ConcludeInput,
  ConcludeReply,
  DescribeInput,
  DescribeReply,
  Editor,
  EditOutcome,
  EditRequest,
  Picture,
  Reasoner,
  ScoreInput,
  ScoreReply,
  StepCall,
  ThinkInput,
  ThinkReply,
} from "../../src/loop/types.js";

export function picture(label: string, width = 64, height = 48): Picture {
  return { bytes: new TextEncoder().encode(label), mimeType: "image/png", width, height };
}

export function labelOf(image: Picture): string {
  return new TextDecoder().decode(image.bytes);
}

type Scripted<T> = T | Error | ((call: number) => T | Error);

function step<T>(reply: T): StepCall<T> {
  return { reply, promptId: "test@00000000", usage: { prompt: 10, completion: 5, total: 15 }, ms: 1, attempts: 1 };
}

export function invalidReply(stepName: string): ReasonEditError {
  // As the real reasoner reports it: the ask and the corrective re-ask, with both replies' tokens.
  const spent = { attempts: 2, usage: { prompt: 20, completion: 10, total: 30 }, cached: false };
  return new ReasonEditError("model_reply_invalid", `${stepName} reply was not valid after one corrective re-ask`, { spent });
}

export interface RoundScript {
  verdict: ConcludeReply | Error;
  /** [SC pair, PQ pair]; defaults to 8s everywhere. */
  scores?: [[number, number], [number, number]];
  assess?: AssessReply | Error;
}

export const success = (): ConcludeReply => ({ verdict: "success", think: "done" });
export const refine = (text: string): ConcludeReply => ({ verdict: "refine", think: "almost", refined_instruction: text });
export const failed = (): ConcludeReply => ({ verdict: "failed", think: "background changed" });

const goodAssessment: AssessReply = {
  meets_instruction: "yes",
  major_conflicts: 0,
  minor_conflicts: 0,
  hallucinations: 0,
  omissions: 0,
  raw_score: 9,
  reason: "looks right",
};

/** A reasoner whose reflection answers follow a per-round script (round = n-th conclude call). */
export class ScriptedReasoner implements Reasoner {
  readonly calls: Array<{ step: string; input: unknown }> = [];
  private concludes = 0;
  private scoresSc = 0;
  private scoresPq = 0;
  private assesses = 0;

  constructor(
    private readonly rounds: RoundScript[],
    private readonly thinking: Scripted<ThinkReply> = { instruction: "make the sky orange at sunset", changed: true },
    private readonly description: Scripted<DescribeReply> = { target_description: "an orange sky" },
  ) {}

  async think(input: ThinkInput): Promise<StepCall<ThinkReply>> {
    this.calls.push({ step: "think", input });
    return step(resolve(this.thinking, 0));
  }
  async describe(input: DescribeInput): Promise<StepCall<DescribeReply>> {
    this.calls.push({ step: "describe", input });
    return step(resolve(this.description, 0));
  }
  async assess(input: AssessInput): Promise<StepCall<AssessReply>> {
    this.calls.push({ step: "assess", input });
    const script = this.rounds[this.assesses++];
    return step(resolve(script?.assess ?? goodAssessment, 0));
  }
  async conclude(input: ConcludeInput): Promise<StepCall<ConcludeReply>> {
    this.calls.push({ step: "conclude", input });
    const script = this.rounds[this.concludes++];
    if (!script) throw new Error("conclude called more often than scripted");
    return step(resolve(script.verdict, 0));
  }
  async scoreSemantics(input: ScoreInput): Promise<StepCall<ScoreReply>> {
    this.calls.push({ step: "score_sc", input });
    const scores = this.rounds[this.scoresSc++]?.scores?.[0] ?? [8, 8];
    return step({ score: scores, reasoning: "" });
  }
  async scoreQuality(input: ScoreInput): Promise<StepCall<ScoreReply>> {
    this.calls.push({ step: "score_pq", input });
    const scores = this.rounds[this.scoresPq++]?.scores?.[1] ?? [8, 8];
    return step({ score: scores, reasoning: "" });
  }

  stepsCalled(name: string): number {
    return this.calls.filter((c) => c.step === name).length;
  }
}

function resolve<T>(scripted: Scripted<T>, call: number): T {
  const value = typeof scripted === "function" ? (scripted as (n: number) => T | Error)(call) : scripted;
  if (value instanceof Error) throw value;
  return value;
}

/** An editor that labels its output "<base label> → <instruction>#<seed>", so tests can see what was edited. */
export class LabellingEditor implements Editor {
  readonly requests: EditRequest[] = [];
  inFlight = 0;
  maxInFlight = 0;

  /** Edits held until enough have arrived to meet; released together, in the order they arrived. */
  private waiting: Array<() => void> = [];

  /**
   * @param meetAt with more than 1, edits are held until that many are in flight at once and then released in the
   * order they arrived, so concurrent calls overlap for sure and finish in a known order, with no clock involved. A
   * caller that never makes them concurrent is let go after a bounded number of event-loop turns.
   */
  constructor(private readonly meetAt = 0) {}

  async edit(request: EditRequest): Promise<EditOutcome> {
    this.requests.push(request);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    if (this.meetAt > 1) await this.meet();
    this.inFlight--;
    const label = `${labelOf(request.image)} → ${request.instruction}#${request.seed}`;
    return { image: picture(label, request.image.width, request.image.height), ms: 0 };
  }

  private async meet(): Promise<void> {
    const group = this.waiting;
    const released = new Promise<void>((resolve) => group.push(resolve));
    if (group.length === this.meetAt) this.release(group);
    else if (group.length === 1) void this.releaseAfterTurns(group);
    await released;
  }

  private async releaseAfterTurns(group: Array<() => void>): Promise<void> {
    for (let turn = 0; turn < 100 && this.waiting === group; turn++) await new Promise((resolve) => setImmediate(resolve));
    if (this.waiting === group) this.release(group);
  }

  private release(group: Array<() => void>): void {
    this.waiting = [];
    for (const resolve of group) resolve();
  }
}

/** A workbench that labels what it did, so tests can see which pixel steps the loop asked for. */
export class LabellingWorkbench implements Workbench {
  readonly calls: string[] = [];

  async applyOps(image: Picture, ops: readonly ExactOp[]): Promise<Picture> {
    this.calls.push("ops");
    return picture(`${labelOf(image)} + ${ops.map((op) => op.op).join(",")}`, image.width, image.height);
  }
  async changeMap(_base: Picture, candidate: Picture): Promise<ChangeEvidence> {
    this.calls.push("change_map");
    return { heatmap: picture(`map of ${labelOf(candidate)}`), changedShare: 0.1, boxes: [], meanDifference: 3 };
  }
  async preserve(_base: Picture, candidate: Picture): Promise<{ image: Picture; preservedShare: number }> {
    this.calls.push("preserve");
    return { image: candidate, preservedShare: 0 };
  }
}
