// --out-dir is one run's alone: batch and eval both resume from it, so a second run on it would bill every item again.
import { ReasonEditError } from "../../errors.js";
import { lockFolder, type FolderLock } from "../../runs/folder-lock.js";
import { prepareFolder } from "../../runs/prepare-folder.js";
import { processProbe } from "../process-probe.js";

export interface OutDirLockOptions {
  /** The command holding it, recorded for whoever finds the lock: "batch", "eval". */
  command: string;
  /** Whether the command has a --wait flag, so the refusal can offer it. */
  takesWait: boolean;
  /** Wait for the holder to finish instead of refusing; aborting `stop` gives up. */
  wait?: { stop: AbortSignal; say: (line: string) => void };
}

/** --out-dir exists, takes files and is this run's alone, all before the first paid call. */
export async function holdOutDir(outDir: string, options: OutDirLockOptions): Promise<FolderLock> {
  await prepareFolder(outDir, { role: "--out-dir", create: true });
  const lock = { probe: processProbe(), role: "--out-dir", command: options.command, canWait: options.takesWait };
  try {
    return await lockFolder(outDir, lock);
  } catch (error) {
    if (!options.wait || !ReasonEditError.is(error) || error.code !== "locked") throw error;
    options.wait.say(`waiting: ${error.message}`);
    return lockFolder(outDir, { ...lock, wait: { signal: options.wait.stop } });
  }
}
