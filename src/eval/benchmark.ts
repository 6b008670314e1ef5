// A GEdit-Bench-shaped JSONL benchmark: one edit per line, image paths relative to the file.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { sha256Hex } from "../cache/cache-key.js";
import { ReasonEditError } from "../errors.js";
import { isUrlSpec } from "../images/read-source.js";

const LineSchema = z.object({
  key: z.union([z.string().trim().min(1), z.number()]).transform(String),
  task_type: z.string().trim().min(1),
  instruction: z.string().trim().min(1),
  input_image: z.string().trim().min(1),
  language: z.string().trim().min(1).optional(),
  /** GEdit-Bench's own name for `language`. */
  instruction_language: z.string().trim().min(1).optional(),
  knowledge_hint: z.string().trim().min(1).optional(),
  intersection: z.boolean().optional(),
  /** GEdit-Bench's own name for `intersection`. */
  Intersection_exist: z.boolean().optional(),
});

export interface BenchmarkItem {
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
  /** In the benchmark's intersection subset (GEdit's samples every compared model answered); undefined when unmarked. */
  intersection?: boolean;
  line: number;
}

export async function readBenchmark(file: string, cwd: string): Promise<BenchmarkItem[]> {
  const absolute = path.resolve(cwd, file);
  const text = await readFile(absolute, "utf8").catch((error: Error) => {
    throw benchmarkError(`cannot read the benchmark ${file}: ${error.message}`, "check the path");
  });
  return parseBenchmark(text, path.dirname(absolute), file);
}

export function parseBenchmark(text: string, baseDir: string, label: string): BenchmarkItem[] {
  const items: BenchmarkItem[] = [];
  const keys = new Map<string, number>();
  text.split(/\r?\n/).forEach((raw, index) => {
    if (raw.trim() === "" || raw.trimStart().startsWith("#")) return;
    const item = parseLine(raw, index + 1, baseDir, label);
    const earlier = keys.get(item.key);
    if (earlier !== undefined) throw benchmarkError(`${label} line ${item.line}: key "${item.key}" repeats line ${earlier}`, "give every item its own key");
    keys.set(item.key, item.line);
    items.push(item);
  });
  if (items.length === 0) throw benchmarkError(`${label} has no items`, 'write one JSON object per line: {"key", "task_type", "instruction", "input_image"}');
  return items;
}

function parseLine(raw: string, line: number, baseDir: string, label: string): BenchmarkItem {
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
  const language = row.language ?? row.instruction_language;
  const intersection = row.intersection ?? row.Intersection_exist;
  return {
    key: row.key,
    slug: slugOf(row.key),
    taskType: row.task_type,
    instruction: row.instruction,
    image: isUrlSpec(row.input_image) ? row.input_image : path.resolve(baseDir, row.input_image),
    ...(language ? { language } : {}),
    ...(row.knowledge_hint ? { knowledgeHint: row.knowledge_hint } : {}),
    ...(intersection !== undefined ? { intersection } : {}),
    line,
  };
}

/** The key itself when it is already safe; otherwise a cleaned form plus a hash, so two keys never share a folder. */
export function slugOf(key: string): string {
  const clean = key.replace(/[^A-Za-z0-9_-]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 48);
  return clean === key ? key : `${clean || "item"}-${sha256Hex(key).slice(0, 8)}`;
}

export function categoriesOf(items: readonly BenchmarkItem[]): string[] {
  return [...new Set(items.map((item) => item.taskType))].sort();
}

function benchmarkError(message: string, hint: string): ReasonEditError {
  return new ReasonEditError("manifest", message, { hint });
}
