// Opens a benchmark of any shape (JSONL, parquet file, KRIS-Bench folder, Hub dataset), chooses the items an eval
// runs, and puts only their images on disk.
import { readdir, stat } from "node:fs/promises";
import path from "node:path";
import type { Logger } from "pino";
import { sha256Hex } from "../cache/cache-key.js";
import { ReasonEditError } from "../errors.js";
import { openJsonlBenchmark, type BenchmarkItem, type BenchmarkShape, type BenchmarkSource } from "./benchmark.js";
import { claimCacheFolder, isHubSpec, openHubBenchmark } from "./hub-dataset.js";
import { isKrisFolder, localKrisFiles, openKrisBenchmark } from "./kris-folder.js";
import { openParquetBenchmark, type ParquetItem } from "./parquet-benchmark.js";
import { selectItems, type Selection } from "./select-items.js";

export interface LoadBenchmarkOptions {
  cwd: string;
  /** Hub datasets and the images taken out of parquet files live under <cacheDir>/datasets. */
  cacheDir: string;
  offline: boolean;
  hubUrl?: string;
  accessToken?: string;
  selection: Selection;
  signal?: AbortSignal;
  say?: (line: string) => void;
  /** For Hub calls; see HubDatasetOptions. */
  maxRetries?: number;
  retryBaseDelayMs?: number;
  logger?: Logger;
}

export interface LoadedBenchmark {
  label: string;
  shape: BenchmarkShape;
  items: BenchmarkItem[];
  /** How many runnable items the benchmark has before --language, --categories, --sample and --limit. */
  total: number;
  skipped: BenchmarkSource["skipped"];
  commit?: string;
}

export async function loadBenchmark(spec: string, options: LoadBenchmarkOptions): Promise<LoadedBenchmark> {
  const source: BenchmarkSource = await openSource(spec, options);
  const chosen = selectItems(source.items, options.selection, source.label);
  const items = await source.materialise(chosen, options.signal);
  return { label: source.label, shape: source.shape, items, total: source.items.length, skipped: source.skipped, ...(source.commit ? { commit: source.commit } : {}) };
}

async function openSource(spec: string, options: LoadBenchmarkOptions): Promise<BenchmarkSource> {
  if (isHubSpec(spec)) {
    const { cwd: _cwd, selection: _selection, ...hubOptions } = options;
    return openHubBenchmark(spec, hubOptions);
  }
  const absolute = path.resolve(options.cwd, spec);
  const info = await stat(absolute).catch(() => undefined);
  if (!info) throw new ReasonEditError("input_missing", `the benchmark ${spec} does not exist`, { hint: "give a JSONL file, a parquet file, a KRIS-Bench folder or hf://datasets/<owner>/<name>" });
  if (info.isDirectory()) return openFolder(spec, absolute, options);
  if (absolute.endsWith(".parquet")) return openLocalParquet(spec, [absolute], options);
  return openJsonlBenchmark(spec, options.cwd);
}

async function openFolder(spec: string, folder: string, options: LoadBenchmarkOptions): Promise<BenchmarkSource> {
  if (await isKrisFolder(folder)) return openKrisBenchmark(localKrisFiles(folder), spec);
  const parquet = (await readdir(folder)).filter((name) => name.endsWith(".parquet")).sort();
  if (parquet.length > 0) return openLocalParquet(spec, parquet.map((name) => path.join(folder, name)), options);
  throw new ReasonEditError("manifest", `${spec} is a folder with neither KRIS-Bench category folders nor parquet files`, {
    hint: "a KRIS-Bench folder holds one folder per category, each with an annotation.json; or pass a JSONL file",
  });
}

/** Images taken out of a local parquet file go to the cache, keyed by the file's path, size and time, never beside it. */
async function openLocalParquet(spec: string, files: string[], options: LoadBenchmarkOptions): Promise<BenchmarkSource> {
  const identity = await Promise.all(
    files.map(async (file) => {
      const { size, mtimeMs } = await stat(file);
      return `${file}:${size}:${mtimeMs}`;
    }),
  );
  const imagesDir = path.join(options.cacheDir, "datasets", "local", sha256Hex(identity.join("\n")).slice(0, 16));
  const source = await openParquetBenchmark(
    files.map((file) => ({ file, name: path.basename(file) })),
    { label: spec, imagesDir },
  );
  const claimingFirst: BenchmarkSource<ParquetItem> = {
    ...source,
    materialise: async (chosen, signal) => {
      await claimCacheFolder(options.cacheDir);
      return source.materialise(chosen, signal);
    },
  };
  return claimingFirst;
}
