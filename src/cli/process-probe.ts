// The running process and a liveness check, for the folder lock (process.* stays in cli/).
import type { ProcessProbe } from "../runs/folder-lock.js";

export function processProbe(): ProcessProbe {
  return { pid: process.pid, isAlive };
}

/** Signal 0 checks existence without sending anything; EPERM means it exists but belongs to someone else. */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
