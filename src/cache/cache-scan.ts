// Whole-store walks for `reasonedit cache stats|clear`; they touch only files named like cache entries.
import { readFile, readdir, rm, rmdir, stat } from "node:fs/promises";
import { join } from "node:path";
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
