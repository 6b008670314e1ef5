// Benchmarks stored as parquet (GEdit-Bench on the Hub, or any dataset with an instruction and an embedded image):
// the text columns are read for every row, the image column only for the rows an eval runs.
import { randomBytes } from "node:crypto";
import { mkdir, readdir, rename, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects, parquetSchema, type FileMetaData } from "hyparquet";
import { compressors } from "hyparquet-compressors";
import { benchmarkError, itemFields, RowSchema, withSlugs, type BenchmarkItem, type BenchmarkShape, type BenchmarkSource, type PendingItem } from "./benchmark.js";

/** Column names each item field is read from, first match wins: GEdit-Bench's own, then common alternatives. */
const COLUMN_ALIASES = {
  key: ["key", "id", "idx", "index"],
  task_type: ["task_type", "category", "edit_type", "task"],
  instruction: ["instruction", "prompt", "edit_instruction", "ins_en"],
  instruction_language: ["instruction_language", "language", "lang"],
  knowledge_hint: ["knowledge_hint", "explain_en", "explanation"],
  Intersection_exist: ["Intersection_exist", "intersection"],
} as const;
const IMAGE_COLUMNS = ["input_image", "image", "source_image", "src_image", "ori_img", "input_image_raw"];

type Field = keyof typeof COLUMN_ALIASES;

export interface ParquetFile {
  /** The file on disk. */
  file: string;
  /** How messages name it: its path in the dataset. */
  name: string;
}

interface ParquetLayout {
  columns: Partial<Record<Field, string>>;
  image: { column: string; nested: boolean };
}

export interface ParquetItem extends PendingItem {
  file: ParquetFile;
  /** 0-based row within the file. */
  row: number;
}

export interface ParquetBenchmarkOptions {
  label: string;
  /** Where the chosen items' images are written, one file each, reused by later runs. */
  imagesDir: string;
  shape?: BenchmarkShape;
}

export async function openParquetBenchmark(files: readonly ParquetFile[], options: ParquetBenchmarkOptions): Promise<BenchmarkSource<ParquetItem>> {
  const rows: Omit<ParquetItem, "slug">[] = [];
  const layouts = new Map<ParquetFile, { layout: ParquetLayout; metadata: FileMetaData }>();
  for (const file of files) {
    const buffer = await asyncBufferFromFile(file.file);
    const metadata = await parquetMetadataAsync(buffer).catch((error: Error) => {
      throw benchmarkError(`${options.label}: ${file.name} is not a readable parquet file: ${error.message}`, "download it again (remove it from the cache) or check the dataset");
    });
    const layout = layoutOf(metadata, file, options.label);
    layouts.set(file, { layout, metadata });
    const columns = Object.values(layout.columns);
    const records = await parquetReadObjects({ file: buffer, metadata, columns, utf8: false, compressors });
    records.forEach((record, row) => rows.push(pendingItem(record, layout, file, row, rows.length + 1, options.label)));
  }
  if (rows.length === 0) throw benchmarkError(`${options.label} has no rows`, "check the dataset: its parquet files are empty");
  const items = withSlugs(rows, options.label, (item) => item.where);
  return {
    label: options.label,
    shape: options.shape ?? "gedit",
    items,
    skipped: [],
    materialise: (chosen) => writeImages(chosen, layouts, options),
  };
}

function layoutOf(metadata: FileMetaData, file: ParquetFile, label: string): ParquetLayout {
  const top = parquetSchema(metadata).children;
  const names = top.map((child) => child.element.name);
  const columns: Partial<Record<Field, string>> = {};
  for (const [field, aliases] of Object.entries(COLUMN_ALIASES) as [Field, readonly string[]][]) {
    const found = aliases.find((alias) => names.includes(alias));
    if (found) columns[field] = found;
  }
  const imageColumns = top.filter((child) => isImageColumn(child)).map((child) => child.element.name);
  const image = IMAGE_COLUMNS.find((name) => imageColumns.includes(name)) ?? (imageColumns.length === 1 ? imageColumns[0] : undefined);
  const missing = [...(columns.task_type ? [] : ["task_type"]), ...(columns.instruction ? [] : ["instruction"]), ...(image ? [] : ["an image column"])];
  if (missing.length > 0 || !image) {
    throw benchmarkError(
      `${label}: ${file.name} has no ${missing.join(", ")} (its columns: ${names.join(", ")})`,
      "eval reads GEdit-Bench's columns: key, task_type, instruction, instruction_language, input_image (an embedded image) and Intersection_exist",
    );
  }
  const imageChild = top.find((child) => child.element.name === image)!;
  return { columns, image: { column: image, nested: imageChild.children.length > 0 } };
}

/** An embedded image: the Hub's Image feature (a struct with binary `bytes`) or a plain binary column. */
function isImageColumn(node: ReturnType<typeof parquetSchema>): boolean {
  if (node.children.length > 0) return node.children.some((child) => child.element.name === "bytes" && child.element.type === "BYTE_ARRAY");
  const { type, converted_type: converted, logical_type: logical } = node.element;
  return type === "BYTE_ARRAY" && converted !== "UTF8" && converted !== "JSON" && logical?.type !== "STRING";
}

function pendingItem(record: Record<string, unknown>, layout: ParquetLayout, file: ParquetFile, row: number, line: number, label: string): Omit<ParquetItem, "slug"> {
  const where = `${file.name} row ${row + 1}`;
  const fields = Object.fromEntries(Object.entries(layout.columns).map(([field, column]) => [field, nullToUndefined(record[column])]));
  const parsed = RowSchema.safeParse({ ...fields, key: fields.key ?? line });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = String(issue.path[0] ?? "row") as Field;
    throw benchmarkError(`${label} ${where}: ${layout.columns[field] ?? field}: ${issue.message}`, "every row needs a task_type and an instruction");
  }
  return { ...itemFields(parsed.data, line), where, file, row };
}

function nullToUndefined(value: unknown): unknown {
  return value === null ? undefined : value;
}

/** Reads the image column once per row group that holds chosen rows, and writes each chosen image as its own file. */
async function writeImages(
  chosen: readonly ParquetItem[],
  layouts: Map<ParquetFile, { layout: ParquetLayout; metadata: FileMetaData }>,
  options: ParquetBenchmarkOptions,
): Promise<BenchmarkItem[]> {
  const paths = new Map<ParquetItem, string>();
  for (const [file, { layout, metadata }] of layouts) {
    const wanted = chosen.filter((item) => item.file === file);
    if (wanted.length === 0) continue;
    const folder = path.join(options.imagesDir, file.name.replace(/[\\/]+/g, "__"));
    const existing = await existingImages(folder);
    const missing: ParquetItem[] = [];
    for (const item of wanted) {
      const name = existing.get(item.row);
      const size = name ? ((await stat(path.join(folder, name)).catch(() => undefined))?.size ?? 0) : 0;
      if (name && size > 0) paths.set(item, path.join(folder, name));
      else missing.push(item);
    }
    if (missing.length > 0) await extractImages(file, layout, metadata, missing, folder, paths, options.label);
  }
  return chosen.map(({ where: _where, file: _file, row: _row, ...item }, index) => ({ ...item, image: paths.get(chosen[index]!)! }));
}

async function existingImages(folder: string): Promise<Map<number, string>> {
  const names = await readdir(folder).catch(() => [] as string[]);
  const found = new Map<number, string>();
  for (const name of names) {
    const match = /^row-(\d+)\.[a-z]+$/.exec(name);
    if (match) found.set(Number(match[1]), name);
  }
  return found;
}

/** Temp file then rename, so a reader never sees half an image; no fsync: a lost file is taken out of the parquet again. */
async function writeWhole(target: string, bytes: Uint8Array): Promise<void> {
  await mkdir(path.dirname(target), { recursive: true });
  const temp = `${target}.${randomBytes(6).toString("hex")}.tmp`;
  await writeFile(temp, bytes);
  await rename(temp, target);
}

async function extractImages(
  file: ParquetFile,
  layout: ParquetLayout,
  metadata: FileMetaData,
  items: readonly ParquetItem[],
  folder: string,
  paths: Map<ParquetItem, string>,
  label: string,
): Promise<void> {
  const buffer = await asyncBufferFromFile(file.file);
  for (const group of rowGroupRanges(metadata)) {
    const inGroup = items.filter((item) => item.row >= group.start && item.row < group.end);
    if (inGroup.length === 0) continue;
    const rowStart = Math.min(...inGroup.map((item) => item.row));
    const rowEnd = Math.max(...inGroup.map((item) => item.row)) + 1;
    const records = await parquetReadObjects({ file: buffer, metadata, columns: [layout.image.column], rowStart, rowEnd, utf8: false, compressors });
    for (const item of inGroup) {
      const bytes = imageBytes(records[item.row - rowStart]?.[layout.image.column], layout.image.nested);
      if (!bytes) throw benchmarkError(`${label} ${item.where}: ${layout.image.column} holds no image`, "check the dataset row; every item needs its input image");
      const target = path.join(folder, `row-${item.row}.${extensionOf(bytes)}`);
      await writeWhole(target, bytes);
      paths.set(item, target);
    }
  }
}

function rowGroupRanges(metadata: FileMetaData): { start: number; end: number }[] {
  let start = 0;
  return metadata.row_groups.map((group) => {
    const range = { start, end: start + Number(group.num_rows) };
    start = range.end;
    return range;
  });
}

function imageBytes(value: unknown, nested: boolean): Uint8Array | undefined {
  const bytes = nested && typeof value === "object" && value !== null ? (value as { bytes?: unknown }).bytes : value;
  return bytes instanceof Uint8Array && bytes.length > 0 ? bytes : undefined;
}

/** From the first bytes, not from the struct's `path` (often missing or a name from the uploader's machine). */
export function extensionOf(bytes: Uint8Array): string {
  const ascii = (start: number, end: number) => String.fromCharCode(...bytes.subarray(start, end));
  if (bytes[0] === 0x89 && ascii(1, 4) === "PNG") return "png";
  if (bytes[0] === 0xff && bytes[1] === 0xd8) return "jpg";
  if (ascii(0, 4) === "RIFF" && ascii(8, 12) === "WEBP") return "webp";
  if (ascii(0, 3) === "GIF") return "gif";
  if (ascii(0, 2) === "BM") return "bmp";
  if (ascii(0, 2) === "II" || ascii(0, 2) === "MM") return "tif";
  return "img";
}
