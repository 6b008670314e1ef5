// Keeps a batch's writes inside --out-dir: real paths are checked (a symlink inside may lead anywhere), and an
// item's run folder is cleared for a redo only when it holds nothing but that item's own earlier record.
import { lstat, mkdir, readdir, readFile, realpath, unlink } from "node:fs/promises";
import path from "node:path";
import { ATOMIC_TEMP_PATTERN } from "../runs/atomic-write.js";

/** The real path of --out-dir, which is created when missing. */
export async function realOutDir(outDir: string): Promise<string> {
  await mkdir(outDir, { recursive: true });
  return realpath(outDir);
}

export interface OutDir {
  /** As given (resolved), for messages. */
  dir: string;
  /** After symlinks: what every write must stay inside. */
  real: string;
}

/**
 * Why writing `target` (lexically inside the out-dir) would land outside it, or undefined when it stays inside.
 * The deepest part of the path that exists is resolved; what is missing below it is created later by us.
 */
export async function escapeOf(outDir: OutDir, target: string, what: string): Promise<string | undefined> {
  const shown = path.relative(outDir.dir, target) || ".";
  for (let probe = target; ; probe = path.dirname(probe)) {
    if (!(await exists(probe))) {
      if (probe === path.dirname(probe)) return undefined;
      continue;
    }
    const real = await realpath(probe).catch(() => undefined);
    if (real === undefined) return `${what} ${shown} goes through a broken symlink (${path.relative(outDir.dir, probe)}); nothing was written`;
    if (isInside(outDir.real, real)) return undefined;
    return `${what} ${shown} leads outside --out-dir through a symlink (${path.relative(outDir.dir, probe) || "."} is ${real}); nothing was written`;
  }
}

function isInside(root: string, candidate: string): boolean {
  return candidate === root || candidate.startsWith(root.endsWith(path.sep) ? root : root + path.sep);
}

async function exists(file: string): Promise<boolean> {
  try {
    await lstat(file);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return false;
    throw error;
  }
}

/** What edit-job writes before run.json exists: the shaped source (and temp files of a write cut short). */
const BEFORE_RECORD = /^source\.(png|jpg|webp)$/;

/**
 * Empties an item's run folder for a redo, so round images of an earlier attempt never mix with this one's.
 * Only plain files of this item's own record are removed; anything else (a folder, a symlink, another item's
 * record, files reasonedit did not write) is left alone and named in the returned problem.
 */
export async function clearRunFolder(runDir: string, id: string, shown: string): Promise<string | undefined> {
  let info;
  try {
    info = await lstat(runDir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  if (!info.isDirectory()) return `${shown} is not a folder reasonedit made (a file or a symlink); move it away and run the item again (nothing was removed)`;
  const entries = await readdir(runDir, { withFileTypes: true });
  const hasRecord = entries.some((entry) => entry.name === "run.json" && entry.isFile());
  const owner = hasRecord ? await recordOwner(path.join(runDir, "run.json")) : undefined;
  if (hasRecord && owner !== id) {
    const whose = owner === undefined ? "a run.json that is not an item record of a batch" : `the record of item ${owner}`;
    return `${shown} holds ${whose}; move it away and run the item again (nothing was removed)`;
  }
  const foreign = entries.find((entry) => !entry.isFile() || !(hasRecord || BEFORE_RECORD.test(entry.name) || ATOMIC_TEMP_PATTERN.test(entry.name)));
  if (foreign) return `${shown} holds ${foreign.name}, which reasonedit did not write there; move it away and run the item again (nothing was removed)`;
  await Promise.all(entries.map((entry) => unlink(path.join(runDir, entry.name))));
  return undefined;
}

/** The batch item id a run record was written for (settings.batch.id), if it is one. */
async function recordOwner(file: string): Promise<string | undefined> {
  try {
    const record = JSON.parse(await readFile(file, "utf8")) as { settings?: { batch?: { id?: unknown } } };
    const id = record.settings?.batch?.id;
    return typeof id === "string" ? id : undefined;
  } catch {
    return undefined;
  }
}
