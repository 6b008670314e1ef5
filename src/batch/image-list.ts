// `reasonedit batch 'photos/*.jpg' --instruction "…"`: image paths and globs as a manifest of one row per file,
// sorted, with ids taken from the file names.
import path from "node:path";
import { Readable } from "node:stream";
import { glob, isDynamicPattern } from "tinyglobby";
import { ID_PATTERN } from "./batch-row.js";
import { manifestError, type ManifestSource } from "./manifest-source.js";

export interface ImageList {
  /** Paths or glob patterns, relative to the working directory. */
  patterns: string[];
  instruction: string;
}

/** The files the patterns name, sorted, as JSONL rows `{id, image, instruction}`. */
export async function openImageList(list: ImageList, cwd: string): Promise<ManifestSource> {
  const files = await filesOf(list.patterns, cwd);
  const ids = idsFor(files);
  const rows = files.map((image, k) => `${JSON.stringify({ id: ids[k], image, instruction: list.instruction })}\n`);
  const stream = Readable.from(rows);
  return { format: "jsonl", baseDir: cwd, label: list.patterns.join(" "), stream, close: () => stream.destroy() };
}

async function filesOf(patterns: readonly string[], cwd: string): Promise<string[]> {
  const files = new Set<string>();
  for (const pattern of patterns) {
    // A plain path stays in the list even when it does not exist: its row then says so, like a manifest row would.
    if (!isDynamicPattern(pattern)) {
      files.add(path.resolve(cwd, pattern));
      continue;
    }
    const matches = await glob(pattern, { cwd, absolute: true, onlyFiles: true, expandDirectories: false });
    if (matches.length === 0) throw manifestError(`no file matches ${pattern}`, "check the pattern; quote it so that reasonedit, not the shell, expands it");
    for (const match of matches) files.add(path.resolve(match));
  }
  return [...files].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * The file name without its extension, made safe for an id; when two files share it (a.jpg and a.png, or the same
 * name in two folders) the later ones, in sorted order, add their extension and then a number.
 */
export function idsFor(files: readonly string[]): string[] {
  const taken = new Set<string>();
  return files.map((file) => {
    const stem = safeId(path.parse(file).name);
    const withExtension = safeId(`${stem}-${path.extname(file).slice(1)}`);
    let id = taken.has(stem) ? withExtension : stem;
    for (let n = 2; taken.has(id); n++) id = `${withExtension}-${n}`;
    taken.add(id);
    return id;
  });
}

function safeId(name: string): string {
  const id = name.replace(/[^A-Za-z0-9._-]+/g, "_").replace(/\.\.+/g, ".").slice(0, 120);
  return ID_PATTERN.test(id) ? id : "image";
}
