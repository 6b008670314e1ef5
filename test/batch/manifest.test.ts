// Reading manifests: JSONL and CSV streamed row by row, with the line number of each row, bad rows included.
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readManifestEntries, type ManifestEntry } from "../../src/batch/manifest-entries.js";
import { openManifest } from "../../src/batch/manifest-source.js";
import { removeDir, tempDir } from "./batch-harness.js";

let dir: string;
beforeEach(async () => void (dir = await tempDir()));
afterEach(() => removeDir(dir));

async function entriesOf(name: string, text: string | Buffer): Promise<ManifestEntry[]> {
  await writeFile(path.join(dir, name), text);
  return collect(name);
}

async function collect(spec: string, stdin: NodeJS.ReadableStream = Readable.from([])): Promise<ManifestEntry[]> {
  const source = await openManifest(spec, { cwd: dir, stdin });
  const entries: ManifestEntry[] = [];
  for await (const entry of readManifestEntries(source)) entries.push(entry);
  return entries;
}

describe("JSONL", () => {
  it("numbers rows by their line, skips blank lines and reports lines that are not JSON objects", async () => {
    const entries = await entriesOf("m.jsonl", '\uFEFF{"id":"a"}\r\n\n  \n{oops\n[1]\n{"id":"b"}');
    expect(entries).toEqual([
      { line: 1, fields: { id: "a" } },
      { line: 4, problem: expect.stringMatching(/^invalid JSON/) },
      { line: 5, problem: "expected a JSON object" },
      { line: 6, fields: { id: "b" } },
    ]);
  });

  it("tells JSONL from CSV on stdin by the first character", async () => {
    expect(await collect("-", Readable.from(['  {"id":"a"}\n', '{"id":"b"}\n']))).toHaveLength(2);
    expect(await collect("-", Readable.from(["id,image,instruction\n", "a,b.png,c\n"]))).toEqual([{ line: 2, fields: { id: "a", image: "b.png", instruction: "c" } }]);
  });
});

describe("CSV", () => {
  it("maps cells to the header, leaves blank cells out and numbers multi-line rows by their first line", async () => {
    const entries = await entriesOf(
      "m.csv",
      ["id,image,instruction,rounds", 'a,a.png,"two\nlines",', "", 'b,"b,c.png","say ""hi""",2', "c,c.png", 'd,d.png,"open quote'].join("\r\n"),
    );
    expect(entries).toEqual([
      { line: 2, fields: { id: "a", image: "a.png", instruction: "two\nlines" } },
      { line: 5, fields: { id: "b", image: "b,c.png", instruction: 'say "hi"', rounds: "2" } },
      { line: 6, id: "c", problem: "invalid CSV: 2 fields where the header has 4" },
      { line: 7, problem: expect.stringMatching(/^invalid CSV: Quote Not Closed/) },
    ]);
  });

  it("refuses a header without the required columns, and an empty manifest", async () => {
    await expect(entriesOf("m.csv", "name,image\nx,y\n")).rejects.toMatchObject({ code: "manifest", message: expect.stringMatching(/lacks id, instruction/) });
    await expect(entriesOf("empty.jsonl", "\n \n")).resolves.toEqual([]);
    await expect(collect("-", Readable.from(["\n\n"]))).rejects.toMatchObject({ code: "manifest", message: expect.stringMatching(/empty/) });
    await expect(collect("nope.jsonl")).rejects.toMatchObject({ code: "manifest", exitCode: 2 });
  });
});
