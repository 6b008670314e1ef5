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

export type { AssessReply, ConcludeReply, DescribeReply, ExactOp, ScoreReply, ThinkReply, Verdict };
