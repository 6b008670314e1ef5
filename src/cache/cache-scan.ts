// Whole-store walks for `reasonedit cache stats|clear`; they touch only files named like cache entries, and the
// benchmarks downloaded from the Hub under <cache-dir>/datasets/<owner>/<name>/.
import { readFile, readdir, rm, rmdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { folderBytes } from "../runs/run-index.js";
import { ENTRY_FILE_PATTERN, ENTRY_TEMP_PATTERN, EntryHeadSchema, SHARD_PATTERN } from "./cache-entry.js";

export interface CacheTotals {
  /** One per .json entry file; an edit's .bin is counted in bytes, not as another entry. */
  entries: number;
  bytes: number;
  chat: number;
  edit: number;
  /** Modification times of the oldest and newest entry; null when the cache is empty. */
  oldest: Date | null;
  newest: Date | null;
}

/** Where `eval hf://datasets/…` keeps its downloads, inside the cache folder. */
export const DATASETS_FOLDER = "datasets";

export interface DatasetTotals {
  /** One per <owner>/<name> folder. */
  datasets: number;
  bytes: number;
}

export function emptyTotals(): CacheTotals {
  return { entries: 0, bytes: 0, chat: 0, edit: 0, oldest: null, newest: null };
}

export async function scanCache(dir: string): Promise<CacheTotals> {
  const totals = emptyTotals();
  for (const shard of await listShards(dir)) {
    for (const name of await listNames(shard)) {
      if (ENTRY_FILE_PATTERN.test(name)) await countFile(join(shard, name), totals);
    }
  }
  return totals;
}

/** Deletes every entry (and stray entry temp file) under `dir`, then the shard folders left empty. */
export async function removeEntries(dir: string): Promise<{ entries: number; bytes: number }> {
  const removed = { entries: 0, bytes: 0 };
  for (const shard of await listShards(dir)) {
    for (const name of await listNames(shard)) {
      if (!ENTRY_FILE_PATTERN.test(name) && !ENTRY_TEMP_PATTERN.test(name)) continue;
      const size = await sizeOf(join(shard, name));
      await rm(join(shard, name), { force: true });
      removed.bytes += size;
      if (name.endsWith(".json")) removed.entries += 1;
    }
    await rmdir(shard).catch(() => undefined); // not empty: something we did not write lives there
  }
  return removed;
}

async function countFile(path: string, totals: CacheTotals): Promise<void> {
  const info = await stat(path).catch(() => undefined);
  if (!info) return; // removed by a concurrent clear or discard
  totals.bytes += info.size;
  if (!path.endsWith(".json")) return;
  const kind = await readKind(path);
  if (!kind) return;
  totals.entries += 1;
  totals[kind] += 1;
  if (!totals.oldest || info.mtime < totals.oldest) totals.oldest = info.mtime;
  if (!totals.newest || info.mtime > totals.newest) totals.newest = info.mtime;
}

async function readKind(path: string): Promise<"chat" | "edit" | undefined> {
  try {
    const head = EntryHeadSchema.safeParse(JSON.parse(await readFile(path, "utf8")));
    return head.success ? head.data.kind : undefined;
  } catch {
    return undefined;
  }
}

async function listShards(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  return entries.filter((entry) => entry.isDirectory() && SHARD_PATTERN.test(entry.name)).map((entry) => join(dir, entry.name));
}

async function listNames(folder: string): Promise<string[]> {
  return readdir(folder).catch(() => []);
}

async function sizeOf(path: string): Promise<number> {
  const info = await stat(path).catch(() => undefined);
  return info?.size ?? 0;
}

export interface PruneLimits {
  /** Entries last used before this go. */
  unusedSince?: Date;
  /** Then the least recently used go until what is left fits. */
  maxBytes?: number;
  now?: Date;
}

export interface PruneResult {
  removed: { entries: number; bytes: number };
  kept: { entries: number; bytes: number };
}

/** A writer that died mid-entry leaves a temp file or a .bin without its .json; younger ones may still be written. */
const ABANDONED_AFTER_MS = 60 * 60 * 1000;

interface EntryFiles {
  json?: { path: string; size: number; mtime: Date };
  bin?: { path: string; size: number; mtime: Date };
}

/**
 * Evicts entries by last use (an entry's .json is touched on every hit): first those unused since the cutoff, then
 * the least recently used until the rest fits `maxBytes`. An entry being written (its temp file, or its .bin before
 * its .json) is never touched unless it is old enough to be abandoned.
 */
export async function pruneEntries(dir: string, limits: PruneLimits): Promise<PruneResult> {
  const now = limits.now ?? new Date();
  const result: PruneResult = { removed: { entries: 0, bytes: 0 }, kept: { entries: 0, bytes: 0 } };
  const complete: Array<{ files: EntryFiles; bytes: number; usedAt: Date }> = [];
  let inProgressBytes = 0;
  for (const shard of await listShards(dir)) {
    const entries = new Map<string, EntryFiles>();
    for (const name of await listNames(shard)) {
      const file = join(shard, name);
      const info = await stat(file).catch(() => undefined);
      if (!info) continue;
      if (ENTRY_TEMP_PATTERN.test(name)) {
        if (now.getTime() - info.mtime.getTime() > ABANDONED_AFTER_MS) await removeFile(file, info.size, result, false);
        else inProgressBytes += info.size;
        continue;
      }
      if (!ENTRY_FILE_PATTERN.test(name)) continue;
      const hash = name.slice(0, 64);
      const files = entries.get(hash) ?? {};
      files[name.endsWith(".json") ? "json" : "bin"] = { path: file, size: info.size, mtime: info.mtime };
      entries.set(hash, files);
    }
    for (const files of entries.values()) {
      if (files.json) complete.push({ files, bytes: files.json.size + (files.bin?.size ?? 0), usedAt: files.json.mtime });
      else if (files.bin && now.getTime() - files.bin.mtime.getTime() > ABANDONED_AFTER_MS) await removeFile(files.bin.path, files.bin.size, result, false);
      else if (files.bin) inProgressBytes += files.bin.size;
    }
  }
  complete.sort((a, b) => a.usedAt.getTime() - b.usedAt.getTime());
  let total = inProgressBytes + complete.reduce((sum, entry) => sum + entry.bytes, 0);
  for (const entry of complete) {
    const stale = limits.unusedSince !== undefined && entry.usedAt < limits.unusedSince;
    const tooBig = limits.maxBytes !== undefined && total > limits.maxBytes;
    if (!stale && !tooBig) {
      result.kept.entries += 1;
      result.kept.bytes += entry.bytes;
      continue;
    }
    // The .json goes first: without it the entry is invisible, so no reader sees half of it.
    await removeFile(entry.files.json!.path, entry.files.json!.size, result, true);
    if (entry.files.bin) await removeFile(entry.files.bin.path, entry.files.bin.size, result, false);
    total -= entry.bytes;
  }
  result.kept.bytes += inProgressBytes;
  return result;
}

async function removeFile(path: string, size: number, result: PruneResult, isEntry: boolean): Promise<void> {
  await rm(path, { force: true });
  result.removed.bytes += size;
  if (isEntry) result.removed.entries += 1;
}

/** The downloaded datasets under `dir` and their size on disk. */
export async function scanDatasets(dir: string): Promise<DatasetTotals> {
  const repos = await listDatasetRepos(dir);
  const sizes = await Promise.all(repos.map((repo) => folderBytes(repo)));
  return { datasets: repos.length, bytes: sizes.reduce((sum, size) => sum + size, 0) };
}

/** Deletes every downloaded dataset (a later eval downloads it again). */
export async function removeDatasets(dir: string): Promise<DatasetTotals> {
  const totals = await scanDatasets(dir);
  await rm(join(dir, DATASETS_FOLDER), { recursive: true, force: true });
  return totals;
}

async function listDatasetRepos(dir: string): Promise<string[]> {
  const root = join(dir, DATASETS_FOLDER);
  const owners = (await readdir(root, { withFileTypes: true }).catch(() => [])).filter((entry) => entry.isDirectory());
  const names = await Promise.all(
    owners.map(async (owner) => (await readdir(join(root, owner.name), { withFileTypes: true }).catch(() => [])).filter((entry) => entry.isDirectory()).map((entry) => join(root, owner.name, entry.name))),
  );
  return names.flat();
}
