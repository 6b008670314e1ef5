// KRIS-Bench as released: one folder per category, each with an annotation.json mapping an id to
// {ori_img, ins_en, explain_en, ...}; the images sit beside it. Read from a local folder or from a Hub snapshot.
import { access, readFile, readdir } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { ReasonEditError } from "../errors.js";
import { benchmarkError, withSlugs, type BenchmarkItem, type BenchmarkSource, type PendingItem } from "./benchmark.js";

export const ANNOTATION_FILE = "annotation.json";

/** How a KRIS-Bench folder is reached: on disk, or file by file from the Hub. */
export interface KrisFiles {
  /** Category folder names that hold an annotation.json. */
  categories(): Promise<string[]>;
  readAnnotation(category: string): Promise<string>;
  /** The local path of `<category>/<name>`, fetched first if need be. */
  image(category: string, name: string, signal?: AbortSignal): Promise<string>;
}

const EntrySchema = z
  .object({
    ori_img: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
  })
  .catchall(z.unknown());

export interface KrisItem extends PendingItem {
  category: string;
  imageName: string;
}

export async function openKrisBenchmark(files: KrisFiles, label: string): Promise<BenchmarkSource<KrisItem>> {
  const categories = await files.categories();
  if (categories.length === 0) {
    throw benchmarkError(`${label} has no KRIS-Bench category folders`, `a KRIS-Bench folder holds one folder per category, each with an ${ANNOTATION_FILE}`);
  }
  const pending: Omit<KrisItem, "slug">[] = [];
  const skipped: BenchmarkSource["skipped"] = [];
  for (const category of categories.sort()) {
    const entries = parseAnnotation(await files.readAnnotation(category), category, label);
    for (const [id, entry] of entries) {
      const where = `${category}/${ANNOTATION_FILE} id ${id}`;
      const images = typeof entry.ori_img === "string" ? [entry.ori_img] : entry.ori_img;
      if (images.length > 1) {
        skipped.push({ where, reason: `${images.length} input images (reasonedit edits one image)` });
        continue;
      }
      for (const item of languageItems(entry, category, id, where, label)) pending.push({ ...item, imageName: images[0]!, line: pending.length + 1 });
    }
  }
  if (pending.length === 0) throw benchmarkError(`${label} has no single-image items`, "KRIS-Bench items with several input images are skipped");
  const items = withSlugs(pending, label, (item) => item.where);
  return {
    label,
    shape: "kris",
    items,
    skipped,
    materialise: async (chosen, signal) => {
      const out: BenchmarkItem[] = [];
      for (const { where: _where, category, imageName, ...item } of chosen) out.push({ ...item, image: await files.image(category, imageName, signal) });
      return out;
    },
  };
}

function parseAnnotation(text: string, category: string, label: string): [string, z.infer<typeof EntrySchema>][] {
  const file = `${category}/${ANNOTATION_FILE}`;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw benchmarkError(`${label}: ${file} is not JSON: ${(error as Error).message}`, "download the benchmark again");
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw benchmarkError(`${label}: ${file} is not an object of id → entry`, 'KRIS-Bench annotations look like {"1": {"ori_img": "1.jpg", "ins_en": "...", "explain_en": "..."}}');
  }
  return Object.entries(json).map(([id, value]) => {
    const parsed = EntrySchema.safeParse(value);
    if (!parsed.success) throw benchmarkError(`${label}: ${file} id ${id}: ori_img: ${parsed.error.issues[0]!.message}`, "every entry needs ori_img, the input image's file name");
    return [id, parsed.data];
  });
}

/** One item per `ins_<language>` instruction; the hint is `explain_<language>`, else the English one. */
function languageItems(entry: Record<string, unknown>, category: string, id: string, where: string, label: string): Omit<KrisItem, "slug" | "imageName" | "line">[] {
  const instructions = Object.entries(entry).flatMap(([field, value]) => {
    const match = /^ins_([a-z]{2,3})$/.exec(field);
    return match && typeof value === "string" && value.trim() !== "" ? [[match[1]!, value.trim()] as const] : [];
  });
  if (instructions.length === 0) throw benchmarkError(`${label} ${where} has no instruction`, "KRIS-Bench entries carry the instruction as ins_en");
  return instructions.map(([language, instruction]) => {
    const hint = textField(entry[`explain_${language}`]) ?? textField(entry.explain_en);
    return { key: `${category}/${id}`, taskType: category, instruction, language, ...(hint ? { knowledgeHint: hint } : {}), where, category };
  });
}

function textField(value: unknown): string | undefined {
  return typeof value === "string" && value.trim() !== "" ? value.trim() : undefined;
}

/** A KRIS-Bench folder on disk. */
export function localKrisFiles(root: string): KrisFiles {
  return {
    categories: async () => {
      const entries = await readdir(root, { withFileTypes: true });
      const folders = entries.filter((entry) => entry.isDirectory()).map((entry) => entry.name);
      const withAnnotation = await Promise.all(folders.map(async (name) => ((await exists(path.join(root, name, ANNOTATION_FILE))) ? name : undefined)));
      return withAnnotation.filter((name): name is string => name !== undefined);
    },
    readAnnotation: (category) => readFile(path.join(root, category, ANNOTATION_FILE), "utf8"),
    image: async (category, name) => {
      const file = path.resolve(root, category, name);
      if (!(await exists(file))) {
        throw new ReasonEditError("input_missing", `${category}/${name} (ori_img in ${category}/${ANNOTATION_FILE}) does not exist in ${root}`, {
          hint: "images are looked up beside each category's annotation.json",
        });
      }
      return file;
    },
  };
}

/** True when the folder holds at least one `<category>/annotation.json`. */
export async function isKrisFolder(root: string): Promise<boolean> {
  return (await localKrisFiles(root).categories().catch(() => [])).length > 0;
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}
