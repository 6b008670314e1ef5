// Real full and read-only disks for tests: a tmpfs of a given size, mounted read-write or read-only.
// Mounting needs root; where it is not possible the caller skips and says why.
import { spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";

export interface SmallDisk {
  dir: string;
  unmount: () => void;
}

export function mountTmpfs(dir: string, sizeKb: number, options: { readOnly?: boolean } = {}): SmallDisk | undefined {
  mkdirSync(dir, { recursive: true });
  const mode = options.readOnly ? "ro," : "";
  const mounted = spawnSync("mount", ["-t", "tmpfs", "-o", `${mode}size=${sizeKb}k`, "tmpfs", dir], { encoding: "utf8" });
  if (mounted.status !== 0) return undefined;
  return { dir, unmount: () => void spawnSync("umount", ["-l", dir]) };
}

/** Whether this machine lets the tests mount a tmpfs (root, or a CI container that allows it). */
export function canMount(probeDir: string): boolean {
  const disk = mountTmpfs(probeDir, 16);
  disk?.unmount();
  return disk !== undefined;
}
