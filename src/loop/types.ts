// The ports of the loop: a reasoner that thinks and reflects, an editor that edits, and the records they leave.
import type { AssessReply, ConcludeReply, DescribeReply, ExactOp, ScoreReply, ThinkReply, Verdict } from "./replies.js";
import type { OpsBounds } from "./op-bounds.js";

/** An encoded image at the loop's working size. The loop never decodes it; adapters do. */
export interface Picture {
  readonly bytes: Uint8Array;
  readonly mimeType: string;
  readonly width: number;
  readonly height: number;
}

export interface TokenUsage {
  prompt: number;
  completion: number;
  total: number;
}

/** One reasoning step as it happened: the validated reply and what it cost. */
export interface StepCall<T> {
  reply: T;
  /** Template name plus a short hash of its text, so a run record says exactly which prompt answered. */
  promptId: string;
  usage: TokenUsage;
  ms: number;
  /** 1, or 2 when the first reply was invalid and the corrective re-ask was used. */
  attempts: number;
  cached?: boolean;
}

/** What the change map tells reflection about where the candidate differs from its base. */
export interface ChangeEvidence {
  heatmap: Picture;
  /** Share of pixels whose difference passes the threshold, 0–1. */
  changedShare: number;
  /** Changed regions as fractions of the image (0–1), largest first. */
  boxes: Array<{ left: number; top: number; width: number; height: number; share: number }>;
  meanDifference: number;
}

export interface ThinkInput {
  source: Picture;
  instruction: string;
  /** Whether the reply may hand exact operations to the workbench; when false the instruction must carry the whole request. */
  allowOps: boolean;
  /** How far ops may grow the image; ops past them make the reply invalid. */
  opsBounds?: OpsBounds;
}
export interface DescribeInput {
  source: Picture;
  instruction: string;
}
export interface AssessInput {
  edited: Picture;
  instruction: string;
  description: string;
}
/** The assess step's verdict as a hint for conclude: its score after the caps, and its reason. */
export interface AssessmentHint {
  score: number;
  reason: string;
}

export interface ConcludeInput {
  source: Picture;
  edited: Picture;
  /** The whole concrete request every round is judged against, never a correction alone. */
  instruction: string;
  /** The correction this round's edit was given, when it was not the request itself; a new one must differ from it. */
  correction?: string;
  /** Absent when assess gave no usable reply: conclude is told so rather than handed an invented score. */
  assessment?: AssessmentHint;
  evidence?: ChangeEvidence;
}
export interface ScoreInput {
  source: Picture;
  edited: Picture;
  instruction: string;
}

/** The MLLM side of the loop. Throws ReasonEditError("model_reply_invalid") when a reply stays invalid after one re-ask. */
export interface Reasoner {
  think(input: ThinkInput, signal?: AbortSignal): Promise<StepCall<ThinkReply>>;
  describe(input: DescribeInput, signal?: AbortSignal): Promise<StepCall<DescribeReply>>;
  assess(input: AssessInput, signal?: AbortSignal): Promise<StepCall<AssessReply>>;
  conclude(input: ConcludeInput, signal?: AbortSignal): Promise<StepCall<ConcludeReply>>;
  /** VIEScore SC on (source, edited): [editing success, over-editing]. */
  scoreSemantics(input: ScoreInput, signal?: AbortSignal): Promise<StepCall<ScoreReply>>;
  /** VIEScore PQ on the edited image: [naturalness, artifacts]. */
  scoreQuality(input: ScoreInput, signal?: AbortSignal): Promise<StepCall<ScoreReply>>;
}

export interface EditRequest {
  image: Picture;
  instruction: string;
  seed: number;
}

export interface EditOutcome {
  /** The edited image, brought to the size of the request's image. */
  image: Picture;
  ms: number;
  cached?: boolean;
}

/** The diffusion editor side of the loop. */
export interface Editor {
  edit(request: EditRequest, signal?: AbortSignal): Promise<EditOutcome>;
}

/** Pixel work the loop may ask for (exact ops, change maps, preserving untouched regions). Optional. */
export interface Workbench {
  applyOps(image: Picture, ops: readonly ExactOp[]): Promise<Picture>;
  changeMap(base: Picture, candidate: Picture): Promise<ChangeEvidence>;
  /** Composite `base` back wherever `candidate` changed only slightly; returns the candidate unchanged when nothing qualifies. */
  preserve(base: Picture, candidate: Picture): Promise<{ image: Picture; preservedShare: number }>;
}

export type Chain = "latest" | "source";

export interface LoopSettings {
  /** Edit-call budget (rounds), at least 1. */
  rounds: number;
  think: boolean;
  reflect: boolean;
  chain: Chain;
  /** Seed of the first edit; every later edit gets a new one. */
  seed: number;
  /** Edits per round, made concurrently; the best-scored one continues. */
  candidates: number;
  /** Composite the base back where a local edit only drifted (needs a workbench). */
  preserve: boolean;
  /** Let think split off exact operations that the workbench performs (needs a workbench). */
  ops: boolean;
  /** Show conclude a change map of where the candidate differs from its base (needs a workbench). */
  changeMap: boolean;
}

export interface LoopPorts {
  reasoner: Reasoner;
  editor: Editor;
  workbench?: Workbench;
}

/** Every step the loop runs or may skip: the names run records and events use. */
export type StepName = "think" | "describe" | "edit" | "assess" | "conclude" | "score_sc" | "score_pq" | "change_map" | "preserve" | "ops";

/** A step whose reply stayed invalid: the loop went on without it, but its asks were made and paid for. */
export interface StepFailure {
  step: StepName;
  round?: number;
  code: string;
  message: string;
  /** The ask and its corrective re-ask. */
  attempts: number;
  usage: TokenUsage;
  /** Every reply came from the call cache. */
  cached: boolean;
}

export interface Judgement {
  assessment?: StepCall<AssessReply>;
  /** The assessor's score after ReasonEdit's caps. */
  cappedScore?: number;
  conclusion?: StepCall<ConcludeReply>;
  semantics?: StepCall<ScoreReply>;
  quality?: StepCall<ScoreReply>;
  verdict: Verdict | null;
  value: number | null;
}

export interface Candidate extends Judgement {
  seed: number;
  image: Picture;
  editMs: number;
  editCached: boolean;
  evidence?: ChangeEvidence;
  preservedShare?: number;
}

export interface Round {
  index: number;
  /** The image this round edited: the source, or the kept candidate of an earlier round. */
  base: "source" | number;
  instruction: string;
  candidates: Candidate[];
  /** Index into candidates of the one this round continues with. */
  chosen: number;
  failures: StepFailure[];
}

export type StopReason = "success" | "round_limit" | "repeated_instruction" | "single_pass" | "ops_only";

export interface LoopResult {
  instruction: string;
  /** What the editor and reflection saw: the thought-out instruction, or the user's. Null when exact ops covered everything. */
  concreteInstruction: string | null;
  thinking?: StepCall<ThinkReply>;
  description?: StepCall<DescribeReply>;
  ops: ExactOp[];
  scope?: "local" | "global";
  /** The source after exact ops (the source itself when there were none). */
  prepared: Picture;
  rounds: Round[];
  /** Index into rounds of the kept round; -1 when no edit was made (ops only without reflection). */
  kept: number;
  accepted: boolean;
  stopReason: StopReason;
  failures: StepFailure[];
}

export type LoopEvent =
  | { type: "thought"; thinking?: StepCall<ThinkReply>; instruction: string | null; ops: ExactOp[] }
  | { type: "edit_started"; round: number; instruction: string; seeds: number[] }
  | { type: "round_finished"; round: Round }
  | { type: "step_failed"; failure: StepFailure };

export interface LoopRun {
  source: Picture;
  instruction: string;
  settings: LoopSettings;
  ports: LoopPorts;
  /** The full-resolution input exact ops are finally applied to, and its pixel limit; the source's own size when absent. */
  opsBounds?: OpsBounds;
  onEvent?: (event: LoopEvent) => void;
  signal?: AbortSignal;
}

export type { AssessReply, ConcludeReply, DescribeReply, ExactOp, ScoreReply, ThinkReply, Verdict };
