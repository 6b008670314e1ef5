// A manifest row checked with zod: id, image, instruction and the per-item overrides a row may carry.
import path from "node:path";
import { z } from "zod";
import { formatOfExtension, OUTPUT_FORMATS } from "../images/output.js";

export const ID_PATTERN = /^[A-Za-z0-9._-]{1,128}$/;
export const RUNS_FOLDER = "runs";

const booleanish = z.union([z.boolean(), z.enum(["true", "false", "1", "0", "yes", "no"]).transform((v) => ["true", "1", "yes"].includes(v))]);

const missingOr = (what: string) => ({ error: (issue: { input: unknown }) => (issue.input === undefined ? "is missing" : `must be ${what}`) });

const IdSchema = z.preprocess(
  (id) => (typeof id === "number" ? String(id) : id),
  z
    .string(missingOr("a string"))
    .regex(ID_PATTERN, "must be 1–128 characters of A–Z, a–z, 0–9, '.', '_' or '-'")
    // The id names a file and a folder inside --out-dir: "." would name runs/ itself, ".." its parent.
    .refine((id) => id !== ".", "must name a file, not '.' (the folder itself)")
    .refine((id) => !id.includes(".."), "must not contain '..'"),
);

/** The id as written, for sharding and reporting a row that fails validation. */
export function rawIdOf(fields: Record<string, unknown>): string | undefined {
  const id = fields.id;
  if (typeof id === "number") return String(id);
  return typeof id === "string" && id !== "" ? id : undefined;
}

/** Relative to --out-dir and inside it, outside the runs/ folder, with an extension sharp can write. */
const OutputSchema = z
  .string()
  .min(1)
  .refine((output) => !path.isAbsolute(output) && !/^[A-Za-z]:[\\/]/.test(output), "must be a path relative to --out-dir, not an absolute path")
  .refine((output) => !escapesFolder(output), "must stay inside --out-dir (no '..')")
  .refine((output) => firstSegment(output) !== RUNS_FOLDER, `must not be inside ${RUNS_FOLDER}/, which holds the run records`)
  .refine((output) => formatOfExtension(path.extname(output)) !== undefined, `must end in an image extension (${OUTPUT_FORMATS.join(", ")})`);

export const BatchRowSchema = z.object({
  id: IdSchema,
  image: z
    .string(missingOr("a string"))
    .trim()
    .min(1, "is empty")
    .refine((image) => image !== "-", "cannot be stdin in a batch"),
  instruction: z.string(missingOr("a string")).trim().min(1, "is empty"),
  rounds: z.coerce.number().int().min(1).max(10).optional(),
  seed: z.coerce.number().int().min(0).max(2 ** 31 - 1).optional(),
  think: booleanish.optional(),
  reflect: booleanish.optional(),
  chain: z.enum(["latest", "source"]).optional(),
  candidates: z.coerce.number().int().min(1).max(8).optional(),
  output: OutputSchema.optional(),
});
export type BatchRow = z.infer<typeof BatchRowSchema>;

export type RowOverrides = Pick<BatchRow, "rounds" | "seed" | "think" | "reflect" | "chain" | "candidates">;

export function overridesOf(row: BatchRow): RowOverrides {
  const { rounds, seed, think, reflect, chain, candidates } = row;
  return Object.fromEntries(Object.entries({ rounds, seed, think, reflect, chain, candidates }).filter(([, v]) => v !== undefined));
}

/** One sentence naming every field that is wrong, e.g. `instruction: is empty; rounds: Too big…`. */
export function describeRowIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join(".") || "row"}: ${issue.message}`).join("; ");
}

function escapesFolder(relative: string): boolean {
  const normalized = path.posix.normalize(relative.replace(/\\/g, "/"));
  return normalized === ".." || normalized.startsWith("../") || normalized.split("/").includes("..");
}

function firstSegment(relative: string): string {
  return path.posix.normalize(relative.replace(/\\/g, "/")).split("/")[0] ?? "";
}
