import { mkdir, readFile, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { writeFileAtomic } from "../../src/runs/atomic-write.js";
import { useTempDirs } from "../cache/cache-doubles.js";

const makeDir = useTempDirs();
const MIB = 1024 * 1024;

describe("writeFileAtomic", () => {
  it("creates missing parent folders and leaves no temp file behind", async () => {
    const dir = await makeDir();
    const path = join(dir, "runs", "2024-05-01", "run.json");

    await writeFileAtomic(path, '{"status":"accepted"}');
    await writeFileAtomic(path, new Uint8Array([1, 2, 3]));

    expect(Array.from(await readFile(path))).toEqual([1, 2, 3]);
    expect(await readdir(join(dir, "runs", "2024-05-01"))).toEqual(["run.json"]);
  });

  it("never lets a reader see a half-written file: only the old or the new content", async () => {
    const dir = await makeDir();
    const path = join(dir, "round-1.png");
    const before = Buffer.alloc(16 * MIB, "a");
    const after = Buffer.alloc(16 * MIB, "b");
    await writeFileAtomic(path, before);

    const seen = new Set<string>();
    let writing = true;
    const reader = (async () => {
      while (writing) seen.add(describeContent(await readFile(path), before, after));
    })();
    await writeFileAtomic(path, after);
    writing = false;
    await reader;
    seen.add(describeContent(await readFile(path), before, after));

    expect([...seen].filter((kind) => kind !== "old" && kind !== "new")).toEqual([]);
    expect(seen.has("new")).toBe(true);
  });

  it("keeps the old content and removes its temp file when the write fails", async () => {
    const dir = await makeDir();
    const path = join(dir, "run.json");
    await mkdir(path); // a folder in the way: the final rename must fail
    await writeFile(join(path, "keep"), "x");

    await expect(writeFileAtomic(path, "new")).rejects.toThrow();
    expect(await readdir(dir)).toEqual(["run.json"]);
  });

  it("ends with one writer's whole content when writers race", async () => {
    const dir = await makeDir();
    const path = join(dir, "entry.json");
    const contents = ["x", "y", "z", "w"].map((letter) => letter.repeat(2 * MIB));

    await Promise.all(contents.map((content) => writeFileAtomic(path, content)));

    expect(contents).toContain(await readFile(path, "utf8"));
    expect(await readdir(dir)).toEqual(["entry.json"]);
  });
});

function describeContent(content: Buffer, before: Buffer, after: Buffer): string {
  if (content.equals(before)) return "old";
  if (content.equals(after)) return "new";
  return `torn (${content.length} bytes)`;
}
