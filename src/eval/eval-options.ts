// The flags only eval takes (judge, modes, gate, out-dir), resolved as defaults < REASONEDIT_JUDGE_* environment < flags.
import path from "node:path";
import { z } from "zod";
import { definedOnly, envName, parseFlags } from "../config/parse-flags.js";
import { httpUrl, number, positiveInt } from "../config/primitives.js";
import { ReasonEditError } from "../errors.js";
import { DEFAULT_MODES, gatedMode, parseModes, type EvalMode } from "./modes.js";

/** GEdit-Bench's open judge, and a different model from the default reflection MLLM, so the loop is not graded by itself. */
export const DEFAULT_JUDGE = "Qwen/Qwen2.5-VL-72B-Instruct";
export const DEFAULT_CONCURRENCY = 2;

export interface EvalOptions {
  modes: EvalMode[];
  outDir: string;
  judge: string;
  judgeProvider: string;
  judgeUrl?: string;
  judgeRepeats: number;
  minScore?: number;
  concurrency: number;
  /** Which items run: --language, --categories, --sample (seeded by --seed), --limit. */
  limit?: number;
  sample?: number;
  categories?: string[];
  language?: string;
}

const EvalOptionsSchema = z.object({
  modes: z.string().default(DEFAULT_MODES.join(",")),
  outDir: z.string().min(1).optional(),
  judge: z.string().trim().min(1).default(DEFAULT_JUDGE),
  judgeProvider: z.string().trim().min(1).default("auto"),
  judgeUrl: httpUrl("REASONEDIT_JUDGE_API_KEY").optional(),
  judgeRepeats: positiveInt(10).default(1),
  minScore: number().min(0, "must be 0 or more").max(10, "must be at most 10").optional(),
  concurrency: positiveInt(64).default(DEFAULT_CONCURRENCY),
  limit: positiveInt(Number.MAX_SAFE_INTEGER).optional(),
  sample: positiveInt(Number.MAX_SAFE_INTEGER).optional(),
  categories: z
    .string()
    .transform((list) => [...new Set(list.split(",").map((name) => name.trim()).filter((name) => name !== ""))])
    .refine((names) => names.length > 0, "name at least one category")
    .optional(),
  language: z.string().trim().min(1).optional(),
});

/** The judge's model and route may come from the environment, as the MLLM's do. */
const FROM_ENV = ["judge", "judgeProvider", "judgeUrl"] as const;

export function resolveEvalOptions(flags: Record<string, unknown>, env: NodeJS.ProcessEnv, benchmark: string, cwd: string): EvalOptions {
  const fromEnv = Object.fromEntries(FROM_ENV.flatMap((key) => (env[envName(key)]?.trim() ? [[key, env[envName(key)]!.trim()]] : [])));
  const origin = (key: string) => (key in definedOnly(flags) ? " (from the command line)" : key in fromEnv ? ` (from ${envName(key)})` : "");
  const options = parseFlags(EvalOptionsSchema, { ...fromEnv, ...definedOnly(flags) }, { command: "eval", origin, flagNames: { concurrency: "-j/--concurrency" } });
  const modes = parseModes(options.modes);
  if (options.minScore !== undefined && gatedMode(modes) === undefined) {
    throw new ReasonEditError("usage", "--min-score gates the loop mode (or full), which --modes leaves out", { hint: "add loop or full to --modes, or drop --min-score" });
  }
  return {
    ...options,
    modes,
    outDir: path.resolve(cwd, options.outDir ?? defaultOutDir(benchmark)),
  };
}

/** `reasonedit-eval/<benchmark name>` in the working directory, never beside the benchmark (often a checked-in folder). */
export function defaultOutDir(benchmark: string): string {
  const name = path.basename(benchmark).replace(/\.[^.]+$/, "") || "benchmark";
  return path.join("reasonedit-eval", name);
}
