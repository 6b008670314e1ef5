// Replace a file so readers see the old content or the new, never a torn write, even across a crash.
import { randomBytes } from "node:crypto";
import { mkdir, open, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { redactSecrets } from "../redact.js";
import { mapEnvironmentErrors } from "./fs-errors.js";

/** Matches the temp files writeFileAtomic leaves only if the process dies mid-write. */
export const ATOMIC_TEMP_PATTERN = /^\..+\.[0-9a-f]{16}\.tmp$/;

/**
 * Writes `data` to a temp file beside `path` (creating parent folders), fsyncs it, then renames it over `path`.
 * A full disk, read-only mount or missing permission throws the `environment` error naming `path`; either way
 * no temp file is left.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  await mapEnvironmentErrors(path, "write", () => replaceFile(path, data));
}

async function replaceFile(path: string, data: string | Uint8Array): Promise<void> {
  const folder = dirname(path);
  await mkdir(folder, { recursive: true });
  // Same folder as the target: rename is atomic only within one filesystem.
  const temp = join(folder, `.${basename(path)}.${randomBytes(8).toString("hex")}.tmp`);
  try {
    // Every text file reasonedit writes (run records, cache entries, reports) passes here: no secret reaches disk.
    await writeAndSync(temp, typeof data === "string" ? redactSecrets(data) : data);
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  await syncFolder(folder);
}

async function writeAndSync(path: string, data: string | Uint8Array): Promise<void> {
  const handle = await open(path, "wx");
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Makes the rename itself durable; best effort, since some platforms (Windows) cannot fsync a folder. */
async function syncFolder(folder: string): Promise<void> {
  try {
    const handle = await open(folder, "r");
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // The data is already in place; only crash durability of the rename is lost.
  }
}
