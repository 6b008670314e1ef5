// The flags only eval takes (judge, modes, gate, out-dir), resolved as defaults < REASONEDIT_JUDGE_* environment < flags.
import path from "node:path";
import { z } from "zod";
import { definedOnly, describeOrigin, parseFlags } from "../config/parse-flags.js";
import { httpUrl, number, oneOf, positiveInt } from "../config/primitives.js";
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
  /** undefined: follow the benchmark (kris for KRIS-Bench's categories, viescore otherwise). */
  metric?: MetricName;
  /** working: the judge sees the MLLM-sized images (≤1024 px); original: GEdit's rendering, full size. */
  judgeImages: JudgeImages;
  /** Which items run: --language, --categories, --sample (seeded by --seed), --limit. */
  limit?: number;
  sample?: number;
  categories?: string[];
  language?: string;
}

export const METRIC_NAMES = ["viescore", "kris"] as const;
export type MetricName = (typeof METRIC_NAMES)[number];
export const JUDGE_IMAGES = ["working", "original"] as const;
export type JudgeImages = (typeof JUDGE_IMAGES)[number];

const EvalOptionsSchema = z.object({
  modes: z.string().default(DEFAULT_MODES.join(",")),
  outDir: z.string().min(1).optional(),
  judge: z.string().trim().min(1).default(DEFAULT_JUDGE),
  judgeProvider: z.string().trim().min(1).default("auto"),
  judgeUrl: httpUrl("REASONEDIT_JUDGE_API_KEY").optional(),
  judgeRepeats: positiveInt(10).default(1),
  // 0–10 for VIEScore, 0–100 for KRIS-Bench; checked against the metric once it is known.
  minScore: number().min(0, "must be 0 or more").max(100, "must be at most 100").optional(),
  concurrency: positiveInt(64).default(DEFAULT_CONCURRENCY),
  metric: oneOf(METRIC_NAMES).optional(),
  judgeImages: oneOf(JUDGE_IMAGES).default("working"),
  limit: positiveInt(Number.MAX_SAFE_INTEGER).optional(),
  sample: positiveInt(Number.MAX_SAFE_INTEGER).optional(),
  categories: z
    .string()
    .transform((list) => [...new Set(list.split(",").map((name) => name.trim()).filter((name) => name !== ""))])
    .refine((names) => names.length > 0, "name at least one category")
    .optional(),
  language: z.string().trim().min(1).optional(),
});

const ENV_NAMES = {
  REASONEDIT_JUDGE: "judge",
  REASONEDIT_JUDGE_PROVIDER: "judgeProvider",
  REASONEDIT_JUDGE_URL: "judgeUrl",
  REASONEDIT_JUDGE_IMAGES: "judgeImages",
} as const;

/** The flags spelt otherwise than `--kebab-case` of their key. */
const FLAG_NAMES: Record<string, string> = { concurrency: "-j/--concurrency" };

export function resolveEvalOptions(flags: Record<string, unknown>, env: NodeJS.ProcessEnv, benchmark: string, cwd: string): EvalOptions {
  const fromEnv = Object.fromEntries(
    Object.entries(ENV_NAMES).flatMap(([name, key]) => (env[name] && env[name]!.trim() !== "" ? [[key, env[name]!.trim()]] : [])),
  );
  const typed = definedOnly(flags);
  const origin = (key: string) =>
    describeOrigin(key in typed ? { from: "flag" } : key in fromEnv ? { from: "env", name: envNameOf(key) } : { from: "default" });
  const options = parseFlags(EvalOptionsSchema, { ...fromEnv, ...typed }, { command: "eval", origin, flagNames: FLAG_NAMES });
  const modes = parseModes(options.modes);
  if (options.minScore !== undefined && gatedMode(modes) === undefined) {
    throw new ReasonEditError("usage", "--min-score gates the loop mode (or full), which --modes leaves out", { hint: "add loop or full to --modes, or drop --min-score" });
  }
  const { metric, ...rest } = options;
  return {
    ...rest,
    ...(metric ? { metric } : {}),
    modes,
    outDir: path.resolve(cwd, options.outDir ?? defaultOutDir(benchmark)),
  };
}

function envNameOf(key: string): string {
  return Object.entries(ENV_NAMES).find(([, named]) => named === key)?.[0] ?? key;
}

/** `reasonedit-eval/<benchmark name>` in the working directory, never beside the benchmark (often a checked-in folder). */
export function defaultOutDir(benchmark: string): string {
  const name = path.basename(benchmark).replace(/\.[^.]+$/, "") || "benchmark";
  return path.join("reasonedit-eval", name);
}

/** The metric to score with: --metric, else the benchmark's own (KRIS-Bench's categories → kris). */
export function chooseMetric(options: Pick<EvalOptions, "metric" | "minScore">, kris: boolean): MetricName {
  const metric = options.metric ?? (kris ? "kris" : "viescore");
  if (metric === "viescore" && options.minScore !== undefined && options.minScore > 10) {
    throw new ReasonEditError("usage", `invalid --min-score: ${options.minScore} is above VIEScore's 0–10 scale`, { hint: "give O on 0–10, or use --metric kris (0–100)" });
  }
  return metric;
}
