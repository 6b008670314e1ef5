// The run records under one folder: listed newest first, found by id, pruned by age.
import { readFile, readdir, rm, stat } from "node:fs/promises";
import path from "node:path";
import { RunRecordSchema, type RunStatus } from "./run-record.js";

export interface RunSummary {
  id: string;
  dir: string;
  recordPath: string;
  created: string;
  status: RunStatus;
  input: string;
  instruction: string;
  /** When run.json was last written: the run's last sign of life. */
  modified: Date;
}

/** Every readable run record directly under `root`, newest first; folders without one are skipped. */
export async function listRuns(root: string): Promise<RunSummary[]> {
  const runs = await Promise.all((await runFolders(root)).map(summaryOf));
  return runs.filter((run): run is RunSummary => run !== undefined).sort((a, b) => b.created.localeCompare(a.created) || b.modified.getTime() - a.modified.getTime());
}

/** A run by its folder name, or by a part of it that only one run has (the random tail, the image name). */
export async function findRun(root: string, id: string): Promise<{ found?: string; matches: string[] }> {
  const names = await runFolders(root).then((dirs) => dirs.map((dir) => path.basename(dir)));
  if (names.includes(id)) return { found: path.join(root, id), matches: [id] };
  const matches = names.filter((name) => name.startsWith(id) || name.includes(id));
  return matches.length === 1 ? { found: path.join(root, matches[0]!), matches } : { matches };
}

export interface Freed {
  runs: number;
  bytes: number;
}

/** Deletes the run folders whose run.json was last written before `cutoff`; only folders holding a run.json. */
export async function pruneRuns(root: string, cutoff: Date): Promise<Freed> {
  const freed: Freed = { runs: 0, bytes: 0 };
  for (const dir of await runFolders(root)) {
    const info = await stat(path.join(dir, "run.json")).catch(() => undefined);
    if (!info || info.mtime >= cutoff) continue;
    const bytes = await folderBytes(dir);
    await rm(dir, { recursive: true, force: true });
    freed.runs += 1;
    freed.bytes += bytes;
  }
  return freed;
}

/** Bytes of every file under `dir` (what deleting it frees). */
export async function folderBytes(dir: string): Promise<number> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  let total = 0;
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) total += await folderBytes(full);
    else if (entry.isFile()) total += (await stat(full).catch(() => undefined))?.size ?? 0;
  }
  return total;
}

async function runFolders(root: string): Promise<string[]> {
  const entries = await readdir(root, { withFileTypes: true }).catch(() => []);
  const folders = entries.filter((entry) => entry.isDirectory()).map((entry) => path.join(root, entry.name));
  const withRecord = await Promise.all(folders.map(async (dir) => ((await stat(path.join(dir, "run.json")).catch(() => undefined))?.isFile() ? dir : undefined)));
  return withRecord.filter((dir): dir is string => dir !== undefined);
}

async function summaryOf(dir: string): Promise<RunSummary | undefined> {
  const recordPath = path.join(dir, "run.json");
  try {
    const [text, info] = await Promise.all([readFile(recordPath, "utf8"), stat(recordPath)]);
    const record = RunRecordSchema.parse(JSON.parse(text));
    return { id: record.id, dir, recordPath, created: record.created, status: record.status, input: record.input.label, instruction: record.instruction, modified: info.mtime };
  } catch {
    return undefined; // not a run record this version reads: not listed, never deleted by mistake for it
  }
}
