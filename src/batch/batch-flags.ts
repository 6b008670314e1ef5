// The flags only `batch` takes, validated with zod.
import { z } from "zod";
import { describeOrigin, parseFlags } from "../config/parse-flags.js";
import { booleanish, number, positiveInt } from "../config/primitives.js";
import { parseShard, type Shard } from "./shard.js";

const share = z.preprocess(
  (value) => (typeof value === "string" && value.trim().endsWith("%") ? Number(value.trim().slice(0, -1)) / 100 : value),
  number().min(0, "must be between 0 and 1 (or 0% and 100%)").max(1, "must be between 0 and 1 (or 0% and 100%)"),
);

export const BatchFlagsSchema = z.object({
  outDir: z.string({ error: "is required" }).min(1),
  concurrency: positiveInt(256).default(4),
  resume: booleanish.default(false),
  retryErrors: booleanish.default(false),
  wait: booleanish.default(false),
  shard: z.string().optional(),
  passThreshold: share.default(1),
  instruction: z.string().trim().min(1, "is empty").optional(),
});

export interface BatchFlags {
  outDir: string;
  concurrency: number;
  resume: boolean;
  retryErrors: boolean;
  /** Wait for another batch holding --out-dir instead of refusing. */
  wait: boolean;
  shard?: Shard;
  passThreshold: number;
  /** With image paths or globs instead of a manifest: the one instruction for every image. */
  instruction?: string;
}

export function parseBatchFlags(values: Record<string, unknown>): BatchFlags {
  const { shard, ...rest } = parseFlags(BatchFlagsSchema, values, { command: "batch", origin: () => describeOrigin({ from: "flag" }), flagNames: { concurrency: "-j/--concurrency", instruction: "--instruction" } });
  return { ...rest, ...(shard !== undefined ? { shard: parseShard(shard) } : {}) };
}
