// Benchmark items: what every benchmark shape (GEdit-Bench JSONL, parquet, KRIS-Bench folder, Hub dataset) becomes.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { sha256Hex } from "../cache/cache-key.js";
import { ReasonEditError } from "../errors.js";
import { isUrlSpec } from "../images/read-source.js";

export interface BenchmarkItem {
  /** The benchmark's own key. It may repeat across languages (GEdit-Bench gives each edit an EN and a CN row), never within one. */
  key: string;
  /** A file-system-safe name for the item's folder in the out-dir, unique within the benchmark. */
  slug: string;
  taskType: string;
  instruction: string;
  /** An absolute path or an http(s) URL. */
  image: string;
  language?: string;
  /** Shown to the judge only (as KRIS-Bench does), never to the reasoner or the editor. */
  knowledgeHint?: string;
  /** GEdit-Bench's `Intersection_exist`: the item belongs to the subset every compared model answered. */
  intersection?: boolean;
  /** Where the item came from, 1-based: the JSONL line, the parquet row, the annotation entry. */
  line: number;
}

/** An item before its image is on disk: Hub and parquet images are written out only for the items selected. */
export interface PendingItem extends Omit<BenchmarkItem, "image"> {
  /** "line 3", "data/train.parquet row 12", "color_change/annotation.json id 5": for messages. */
  where: string;
}

/** How the benchmark is scored by default: GEdit-Bench's VIEScore, or KRIS-Bench's own four criteria. */
export type BenchmarkShape = "gedit" | "kris";

/** One opened benchmark, of whatever shape: every item's fields, and a way to put the chosen ones' images on disk. */
export interface BenchmarkSource<T extends PendingItem = PendingItem> {
  label: string;
  shape: BenchmarkShape;
  items: readonly T[];
  /** Items left out because reasonedit cannot run them (several input images), with why. */
  skipped: { where: string; reason: string }[];
  /** The commit a Hub dataset was read at. */
  commit?: string;
  materialise(chosen: readonly T[], signal?: AbortSignal): Promise<BenchmarkItem[]>;
}

const booleanish = z.union([
  z.boolean(),
  z.literal(0).transform(() => false),
  z.literal(1).transform(() => true),
  z.enum(["true", "false", "True", "False", "1", "0"]).transform((value) => value.toLowerCase() === "true" || value === "1"),
]);

/** The fields every shape maps its columns onto; extra fields are ignored. */
export const RowSchema = z.object({
  key: z.union([z.string().trim().min(1), z.number(), z.bigint()]).transform(String),
  task_type: z.string().trim().min(1),
  instruction: z.string().trim().min(1),
  language: z.string().trim().min(1).optional(),
  /** GEdit-Bench's own name for `language`. */
  instruction_language: z.string().trim().min(1).optional(),
  knowledge_hint: z.string().trim().min(1).optional(),
  intersection: booleanish.optional(),
  /** GEdit-Bench's own name for `intersection`. */
  Intersection_exist: booleanish.optional(),
});
export type Row = z.infer<typeof RowSchema>;

const LineSchema = RowSchema.extend({ input_image: z.string().trim().min(1) });

export async function readBenchmark(file: string, cwd: string): Promise<BenchmarkItem[]> {
  const absolute = path.resolve(cwd, file);
  const text = await readFile(absolute, "utf8").catch((error: Error) => {
    throw benchmarkError(`cannot read the benchmark ${file}: ${error.message}`, "check the path");
  });
  return parseBenchmark(text, path.dirname(absolute), file);
}

/** A JSONL benchmark as a source: its images are already files or URLs. */
export async function openJsonlBenchmark(file: string, cwd: string): Promise<BenchmarkSource<PendingItem & { image: string }>> {
  const items = (await readBenchmark(file, cwd)).map((item) => ({ ...item, where: `line ${item.line}` }));
  return {
    label: file,
    shape: "gedit",
    items,
    skipped: [],
    materialise: async (chosen) => chosen.map(({ where: _where, ...item }) => item),
  };
}

export function parseBenchmark(text: string, baseDir: string, label: string): BenchmarkItem[] {
  const items: Omit<BenchmarkItem, "slug">[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    if (raw.trim() === "" || raw.trimStart().startsWith("#")) return;
    items.push(parseLine(raw, index + 1, baseDir, label));
  });
  if (items.length === 0) throw benchmarkError(`${label} has no items`, 'write one JSON object per line: {"key", "task_type", "instruction", "input_image"}');
  return withSlugs(items, label, (item) => `line ${item.line}`);
}

function parseLine(raw: string, line: number, baseDir: string, label: string): Omit<BenchmarkItem, "slug"> {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (error) {
    throw benchmarkError(`${label} line ${line} is not JSON: ${(error as Error).message}`, "write one JSON object per line");
  }
  const parsed = LineSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw benchmarkError(`${label} line ${line}: ${issue.path.join(".") || "item"}: ${issue.message}`, 'each line needs "key", "task_type", "instruction" and "input_image"');
  }
  const row = parsed.data;
  const image = isUrlSpec(row.input_image) ? row.input_image : path.resolve(baseDir, row.input_image);
  return { ...itemFields(row, line), image };
}

/** The item fields a validated row carries, whatever shape it came from. */
export function itemFields(row: Row, line: number): Omit<BenchmarkItem, "slug" | "image"> {
  const language = row.language ?? row.instruction_language;
  const intersection = row.intersection ?? row.Intersection_exist;
  return {
    key: row.key,
    taskType: row.task_type,
    instruction: row.instruction,
    ...(language ? { language } : {}),
    ...(row.knowledge_hint ? { knowledgeHint: row.knowledge_hint } : {}),
    ...(intersection !== undefined ? { intersection } : {}),
    line,
  };
}

/**
 * Checks that no key repeats within a language and names every item's folder. With several languages in one
 * benchmark every folder carries its language, so a key's EN and CN rows never share one.
 */
export function withSlugs<T extends { key: string; language?: string }>(
  items: readonly T[],
  label: string,
  locate: (item: T) => string,
): (T & { slug: string })[] {
  const seen = new Map<string, T>();
  for (const item of items) {
    const id = `${item.language ?? ""}\u0000${item.key}`;
    const earlier = seen.get(id);
    if (earlier) {
      const language = item.language ? ` (language ${item.language})` : "";
      throw benchmarkError(`${label} ${locate(item)}: key "${item.key}"${language} repeats ${locate(earlier)}`, "give every item its own key");
    }
    seen.set(id, item);
  }
  const several = new Set(items.map((item) => item.language ?? "")).size > 1;
  return items.map((item) => ({ ...item, slug: slugOf(several && item.language ? `${item.key}-${item.language}` : item.key) }));
}

/** The key itself when it is already safe; otherwise a cleaned form plus a hash, so two keys never share a folder. */
export function slugOf(key: string): string {
  const clean = key.replace(/[^A-Za-z0-9_-]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 48);
  return clean === key ? key : `${clean || "item"}-${sha256Hex(key).slice(0, 8)}`;
}

export function categoriesOf(items: readonly Pick<BenchmarkItem, "taskType">[]): string[] {
  return [...new Set(items.map((item) => item.taskType))].sort();
}

export function benchmarkError(message: string, hint: string): ReasonEditError {
  return new ReasonEditError("manifest", message, { hint });
}
