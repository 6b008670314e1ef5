// A redone edit reuses the seed of its unfinished earlier run, so every model call that run finished (and the
// cache kept) is answered from the cache instead of billed again.
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { readRunRecord, runSlug } from "./run-folder.js";
import type { RunRecord } from "./run-record.js";

/** What makes two runs the same edit: the same pixels and the same request. */
export interface SameEdit {
  sha256: string;
  instruction: string;
}

/** How many of the newest runs of the same input name are looked at; older unfinished runs are not worth a scan. */
const RECENT_RUNS = 20;

/** The seed of the newest unfinished run (killed, interrupted or failed) of the same edit under `runsRoot`. */
export async function seedOfUnfinishedRun(runsRoot: string, label: string, edit: SameEdit): Promise<number | undefined> {
  for (const dir of await recentRunsOf(runsRoot, label)) {
    const record = await readRunRecord(join(runsRoot, dir, "run.json")).catch(() => undefined);
    if (record && isUnfinished(record) && record.input.sha256 === edit.sha256 && record.instruction === edit.instruction) return seedOf(record);
  }
  return undefined;
}

/** The seed an unfinished record ran with, when it says. */
export function seedOf(record: RunRecord): number | undefined {
  const seed = record.settings.seed;
  return typeof seed === "number" && Number.isInteger(seed) ? seed : undefined;
}

export function isUnfinished(record: RunRecord): boolean {
  return record.status === "running" || record.status === "interrupted" || record.status === "error";
}

async function recentRunsOf(runsRoot: string, label: string): Promise<string[]> {
  const names = await readdir(runsRoot).catch(() => [] as string[]);
  const pattern = new RegExp(`^\\d{8}T\\d{6}Z-${escapeRegExp(runSlug(label))}-[0-9a-f]{6}$`);
  // Run ids start with a UTC timestamp, so the name order is the time order.
  return names.filter((name) => pattern.test(name)).sort().reverse().slice(0, RECENT_RUNS);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
