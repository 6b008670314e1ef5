// Where things are, from either bench/ (tsc --noEmit) or dist/bench/ (the built benchmark).
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root: the nearest folder above this file whose package.json is reasonedit's. */
export function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = path.join(dir, "package.json");
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, "utf8")) as { name?: string }).name === "reasonedit") return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error(`cannot find reasonedit's package.json above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

export const ROOT = repoRoot();
export const BIN = path.join(ROOT, "dist", "src", "bin.js");
export const FIXTURES = path.join(ROOT, "fixtures");
