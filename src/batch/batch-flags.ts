// The flags only `batch` takes, validated with zod.
import { z } from "zod";
import { ReasonEditError } from "../errors.js";
import { parseShard, type Shard } from "./shard.js";

const share = z.preprocess(
  (value) => (typeof value === "string" && value.trim().endsWith("%") ? Number(value.trim().slice(0, -1)) / 100 : value),
  z.coerce.number().min(0).max(1),
);

export const BatchFlagsSchema = z.object({
  outDir: z.string({ error: "is required" }).min(1),
  concurrency: z.coerce.number().int().min(1).max(256).default(4),
  resume: z.boolean().default(false),
  retryErrors: z.boolean().default(false),
  shard: z.string().optional(),
  passThreshold: share.default(1),
  instruction: z.string().trim().min(1, "is empty").optional(),
});

export interface BatchFlags {
  outDir: string;
  concurrency: number;
  resume: boolean;
  retryErrors: boolean;
  shard?: Shard;
  passThreshold: number;
  /** With image paths or globs instead of a manifest: the one instruction for every image. */
  instruction?: string;
}

const FLAG_NAMES: Record<string, string> = {
  outDir: "--out-dir",
  concurrency: "-j/--concurrency",
  passThreshold: "--pass-threshold",
  shard: "--shard",
  instruction: "--instruction",
};

export function parseBatchFlags(values: Record<string, unknown>): BatchFlags {
  const parsed = BatchFlagsSchema.safeParse(values);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const flag = FLAG_NAMES[String(issue.path[0])] ?? String(issue.path[0]);
    throw new ReasonEditError("usage", `invalid ${flag}: ${issue.message}`, { hint: "see `reasonedit batch --help`" });
  }
  const { shard, ...rest } = parsed.data;
  return { ...rest, ...(shard !== undefined ? { shard: parseShard(shard) } : {}) };
}
