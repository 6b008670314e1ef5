// run.json: the versioned record of one edit job — inputs, settings, every step's reply and cost, the kept round.
import { z } from "zod";

export const RUN_SCHEMA = "reasonedit.run/1";

const Usage = z.object({ prompt: z.number(), completion: z.number(), total: z.number() });

/** A step whose reply stayed invalid, with the asks it made and their tokens (the cost fields are optional, so older records still read). */
const FailureRecordSchema = z.object({
  step: z.string(),
  code: z.string(),
  message: z.string(),
  round: z.number().optional(),
  attempts: z.number().optional(),
  usage: Usage.optional(),
  cached: z.boolean().optional(),
});

export const StepRecordSchema = z.object({
  prompt_id: z.string(),
  reply: z.unknown(),
  usage: Usage,
  ms: z.number(),
  attempts: z.number(),
  cached: z.boolean().optional(),
});
export type StepRecord = z.infer<typeof StepRecordSchema>;

const Box = z.object({ left: z.number(), top: z.number(), width: z.number(), height: z.number(), share: z.number() });

export const CandidateRecordSchema = z.object({
  seed: z.number(),
  /** The round's image beside run.json; null when --keep-images did not keep it. */
  image: z.string().nullable(),
  edit_ms: z.number(),
  edit_cached: z.boolean(),
  verdict: z.enum(["success", "refine", "failed"]).nullable(),
  refined_instruction: z.string().nullable().optional(),
  unintended_changes: z.array(z.string()).optional(),
  capped_score: z.number().optional(),
  scores: z.object({ sc: z.array(z.number()).nullable(), pq: z.array(z.number()).nullable(), value: z.number().nullable() }),
  steps: z.record(z.string(), StepRecordSchema),
  change_map: z
    .object({ heatmap: z.string().nullable(), changed_share: z.number(), mean_difference: z.number(), boxes: z.array(Box) })
    .optional(),
  preserved_share: z.number().optional(),
});
export type CandidateRecord = z.infer<typeof CandidateRecordSchema>;

export const RoundRecordSchema = z.object({
  index: z.number(),
  base: z.union([z.literal("source"), z.number()]),
  instruction: z.string(),
  candidates: z.array(CandidateRecordSchema),
  chosen: z.number(),
  failures: z.array(FailureRecordSchema),
});
export type RoundRecord = z.infer<typeof RoundRecordSchema>;

/** The error report (see errors.ts) as a run record stores it. */
const ErrorReportSchema = z.object({
  code: z.string(),
  message: z.string(),
  hint: z.string().optional(),
  provider: z.string().optional(),
  status: z.number().optional(),
  request_id: z.string().optional(),
});

/** A degradation in effect by the end of the run (see providers/chat-model.ts); older records have none. */
const DegradationSchema = z.object({ kind: z.string(), model: z.string(), provider: z.string(), message: z.string() });

export const RunStatusSchema = z.enum(["running", "accepted", "not_accepted", "error", "interrupted"]);
export type RunStatus = z.infer<typeof RunStatusSchema>;

export const RunRecordSchema = z.object({
  schema: z.literal(RUN_SCHEMA),
  id: z.string(),
  tool_version: z.string(),
  created: z.string(),
  finished: z.string().nullable(),
  status: RunStatusSchema,
  input: z.object({
    label: z.string(),
    path: z.string().optional(),
    format: z.string(),
    width: z.number(),
    height: z.number(),
    sha256: z.string(),
    /** Relative to the run folder (eval's modes share one copy in the item's folder); null when not kept. */
    source_image: z.string().nullable(),
  }),
  instruction: z.string(),
  concrete_instruction: z.string().nullable(),
  settings: z.record(z.string(), z.unknown()),
  models: z.object({ mllm: z.string(), editor: z.string() }),
  thinking: StepRecordSchema.nullable(),
  description: StepRecordSchema.nullable(),
  ops: z.array(z.record(z.string(), z.unknown())),
  scope: z.enum(["local", "global"]).nullable(),
  rounds: z.array(RoundRecordSchema),
  kept_round: z.number().nullable(),
  stop_reason: z.string().nullable(),
  output: z.string().nullable(),
  failures: z.array(FailureRecordSchema),
  totals: z.object({ mllm_calls: z.number(), editor_calls: z.number(), cached_calls: z.number(), tokens: z.number(), wall_ms: z.number() }),
  error: ErrorReportSchema.nullable(),
  degraded: z.array(DegradationSchema).default([]),
});
export type RunRecord = z.infer<typeof RunRecordSchema>;

/** Whether a record on disk says the job finished (so a batch resume may trust it). */
export function isFinished(record: RunRecord): boolean {
  return record.status === "accepted" || record.status === "not_accepted";
}
