// What each reasoning step must return (docs/DESIGN.md §2): the contract between the loop and any reasoner.
import { z } from "zod";

/** Instructions go to the editor and the terminal: a model that writes a megabyte of one is not answering. */
export const MAX_INSTRUCTION_CHARS = 2_000;
/** Reasons, descriptions and thoughts: room for a paragraph or ten, not for a flood. */
export const MAX_TEXT_CHARS = 10_000;

/** A number, or a number written as a string ("7"); null, "", true and the like are not numbers, never 0 or 1. */
const numeric = () =>
  z.preprocess((value) => (typeof value === "string" && /^\s*-?\d+(\.\d+)?\s*$/.test(value) ? Number(value) : value), z.number());
const score10 = numeric().pipe(z.number().min(0).max(10));
const count = numeric().pipe(z.number().int().min(0));
const instructionText = z.string().trim().max(MAX_INSTRUCTION_CHARS);
const text = z.string().max(MAX_TEXT_CHARS);

export const ExactOpSchema = z.discriminatedUnion("op", [
  z.object({ op: z.literal("rotate"), degrees: z.coerce.number().refine((d) => [90, 180, 270].includes(d), "degrees must be 90, 180 or 270") }),
  z.object({ op: z.literal("flip"), axis: z.enum(["horizontal", "vertical"]) }),
  z.object({
    op: z.literal("crop"),
    left: z.coerce.number().min(0).max(1),
    top: z.coerce.number().min(0).max(1),
    width: z.coerce.number().gt(0).max(1),
    height: z.coerce.number().gt(0).max(1),
  }),
  z
    .object({ op: z.literal("resize"), width: z.coerce.number().int().positive().max(16384).optional(), height: z.coerce.number().int().positive().max(16384).optional() })
    .refine((r) => r.width !== undefined || r.height !== undefined, "resize needs width or height"),
  z.object({ op: z.literal("grayscale") }),
  z.object({ op: z.literal("brightness"), factor: z.coerce.number().gt(0).max(10) }),
  z.object({ op: z.literal("contrast"), factor: z.coerce.number().gt(0).max(10) }),
  z.object({ op: z.literal("saturation"), factor: z.coerce.number().min(0).max(10) }),
  z.object({ op: z.literal("blur"), sigma: z.coerce.number().min(0.3).max(100) }),
  z.object({ op: z.literal("sharpen"), sigma: z.coerce.number().min(0.3).max(100) }),
]);
export type ExactOp = z.infer<typeof ExactOpSchema>;

/** A handful: a real request needs two or three; thousands would only burn time. */
export const MAX_OPS = 8;

export const ThinkReplySchema = z.object({
  instruction: instructionText.min(1).nullable(),
  changed: z.boolean().optional(),
  rationale: text.optional(),
  scope: z.enum(["local", "global"]).optional(),
  ops: z.array(ExactOpSchema).max(MAX_OPS, `at most ${MAX_OPS} exact operations`).optional(),
});
export type ThinkReply = z.infer<typeof ThinkReplySchema>;

export const DescribeReplySchema = z.object({
  target_description: text.trim().min(1),
});
export type DescribeReply = z.infer<typeof DescribeReplySchema>;

export const AssessReplySchema = z.object({
  meets_instruction: z.enum(["yes", "partial", "no"]),
  major_conflicts: count,
  minor_conflicts: count,
  hallucinations: count.default(0),
  omissions: count,
  raw_score: score10,
  reason: text,
});
export type AssessReply = z.infer<typeof AssessReplySchema>;

export const ConcludeReplySchema = z
  .object({
    verdict: z.enum(["success", "refine", "failed"]),
    think: text.optional(),
    refined_instruction: instructionText.nullable().optional(),
    unintended_changes: z.array(z.string().max(500)).max(20).optional(),
  })
  .refine((r) => r.verdict !== "refine" || (r.refined_instruction ?? "").length > 0, {
    message: 'verdict "refine" needs a non-empty refined_instruction',
    path: ["refined_instruction"],
  });
export type ConcludeReply = z.infer<typeof ConcludeReplySchema>;
export type Verdict = ConcludeReply["verdict"];

export const ScoreReplySchema = z.object({
  score: z.tuple([score10, score10]),
  reasoning: text.default(""),
});
export type ScoreReply = z.infer<typeof ScoreReplySchema>;
