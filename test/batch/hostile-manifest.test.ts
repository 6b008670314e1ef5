// Hostile manifests against the built bin: ids that are paths, symlinks out of --out-dir, rows of 600 MB,
// images that are FIFOs or devices, and signals while an item hangs. Finished work is never lost.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdir, readdir, readFile, symlink, writeFile } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ResultLine } from "../../src/batch/result-line.js";
import { fault } from "../fakes/fake-providers.mjs";
import { goodRows, instructionFor, removeDir, spawnBatch, startBatchFake, tempDir, waitUntil, writeJsonl, type BatchFake } from "./batch-harness.js";
import { watchPeakRss } from "../support/peak-rss.js";

let fake: BatchFake;
let dir: string;

beforeEach(async () => {
  fake = await startBatchFake();
  dir = await tempDir("reasonedit-hostile-");
});
afterEach(async () => {
  await fake.close();
  await removeDir(dir);
});

const modelFlags = () => ["--mllm-url", fake.mllmUrl, "--editor-url", fake.editorUrl, "--no-cache", "--seed", "1"];

async function batch(manifest: string, extra: string[] = []) {
  const run = spawnBatch([manifest, "--out-dir", "out", ...extra, ...modelFlags()], { cwd: dir });
  const exit = await run.exited;
  return { ...exit, lines: run.lines, stderr: run.stderr() };
}

/** Every file under `root` with its bytes, for byte-for-byte comparison. */
async function snapshot(root: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const entry of await readdir(root, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) files.set(path.relative(root, path.join(entry.parentPath, entry.name)), (await readFile(path.join(entry.parentPath, entry.name))).toString("base64"));
  }
  return files;
}

const byLine = (lines: ResultLine[]) => new Map(lines.map((line) => [line.line, line]));

describe("ids that are paths", () => {
  it("refuses '.', '..', empty and non-plain ids as bad rows and leaves four finished records byte-identical", async () => {
    const rows = await goodRows(dir, 5);
    await writeJsonl(path.join(dir, "first.jsonl"), rows.slice(0, 4));
    expect((await batch("first.jsonl")).code).toBe(0);
    const before = await snapshot(path.join(dir, "out"));
    expect([...before.keys()].filter((file) => file.endsWith("run.json"))).toHaveLength(4);

    const image = rows[0]!.image;
    await writeJsonl(path.join(dir, "second.jsonl"), [
      { id: ".", image, instruction: "x" },
      { id: "..", image, instruction: "x" },
      { id: "", image, instruction: "x" },
      { id: "runs/item-000", image, instruction: "x" },
      { id: "a\\b", image, instruction: "x" },
      { id: "ITEM-000", image, instruction: "x" },
      { id: "item-000", image, instruction: "x" },
      rows[4]!,
    ]);
    const second = await batch("second.jsonl");
    expect(second.code).toBe(3);
    const lines = byLine(second.lines);
    for (const line of [1, 2, 3, 4, 5, 7]) expect(lines.get(line), `line ${line}`).toMatchObject({ status: "error", error: { code: "manifest" }, calls: { mllm: 0, editor: 0 } });
    expect(lines.get(1)!.error!.message).toMatch(/line 1: id: must name a file, not '\.'/);
    expect(lines.get(7)!.error!.message).toMatch(/duplicate id item-000 \(first on line 6\)/);
    expect(lines.get(8)).toMatchObject({ id: rows[4]!.id, status: "accepted" });
    // Line 6 (ITEM-000) is a new item on a case-sensitive disk; on any disk the first batch's files stay as they were.
    const after = await snapshot(path.join(dir, "out"));
    for (const [file, bytes] of before) expect(after.get(file), file).toBe(bytes);
  });

  it("never empties a run folder that holds anything but that item's own record", async () => {
    const rows = await goodRows(dir, 3);
    const runs = path.join(dir, "out", "runs");
    await mkdir(path.join(runs, rows[0]!.id, "keep-me"), { recursive: true });
    await mkdir(path.join(runs, rows[1]!.id), { recursive: true });
    await writeFile(path.join(runs, rows[1]!.id, "run.json"), JSON.stringify({ settings: { batch: { id: "someone-else" } } }));
    await mkdir(path.join(runs, rows[2]!.id), { recursive: true });
    await writeFile(path.join(runs, rows[2]!.id, "notes.txt"), "mine");
    await writeJsonl(path.join(dir, "m.jsonl"), rows);
    const before = await snapshot(runs);
    const run = await batch("m.jsonl");
    expect(run.lines.map((line) => line.error?.code).sort()).toEqual(["output_unwritable", "output_unwritable", "output_unwritable"]);
    expect(run.lines.find((line) => line.id === rows[1]!.id)!.error!.message).toMatch(/holds the record of item someone-else.*nothing was removed/);
    expect(await snapshot(runs)).toEqual(before);
    expect(existsSync(path.join(runs, rows[0]!.id, "keep-me"))).toBe(true);
    expect(fake.fake.requests).toHaveLength(0);
  });
});

describe("symlinks inside --out-dir", () => {
  it("refuses an output or a run folder that leads outside, and writes nothing there", async () => {
    const outside = path.join(dir, "outside");
    await mkdir(outside);
    await mkdir(path.join(dir, "out", "runs"), { recursive: true });
    await symlink(outside, path.join(dir, "out", "sub"));
    await symlink(outside, path.join(dir, "out", "runs", "evil"));
    const [a, b] = await goodRows(dir, 2);
    await writeJsonl(path.join(dir, "m.jsonl"), [
      { ...a!, output: "sub/escaped.png" },
      { id: "evil", image: a!.image, instruction: instructionFor("evil") },
      { ...b!, output: "fine/inside.png" },
    ]);
    const run = await batch("m.jsonl");
    const lines = byLine(run.lines);
    expect(lines.get(1)).toMatchObject({ status: "error", error: { code: "output_unwritable", message: expect.stringMatching(/output sub\/escaped\.png leads outside --out-dir through a symlink/) } });
    expect(lines.get(2)).toMatchObject({ status: "error", error: { code: "output_unwritable", message: expect.stringMatching(/run folder runs\/evil leads outside --out-dir/) } });
    expect(lines.get(3)).toMatchObject({ status: "accepted", output: path.join(dir, "out", "fine", "inside.png") });
    expect(await readdir(outside)).toEqual([]);
    expect(fake.editsByItem.get(a!.id)).toBeUndefined();
  });
});

const MB = 1024 * 1024;

/** Whether one of the process's threads is blocked opening a FIFO (its wchan, in /proc on Linux). */
function blockedOnFifo(pid: number): boolean {
  const tasks = readdirSync(`/proc/${pid}/task`);
  return tasks.some((task) => {
    try {
      return readFileSync(`/proc/${pid}/task/${task}/wchan`, "utf8").includes("wait_for_partner");
    } catch {
      return false;
    }
  });
}

const onLinux = existsSync("/proc/self/status");

/** Runs a batch on stdin, fed `head`, then `hugeBytes` of filler, then `tail`, without holding it all anywhere. */
async function batchOnStdin(head: string, hugeBytes: number, tail: string) {
  const filler = Buffer.alloc(MB, "a");
  function* chunks() {
    yield head;
    for (let sent = 0; sent < hugeBytes; sent += MB) yield filler;
    yield tail;
  }
  const run = spawnBatch(["-", "--out-dir", "out", ...modelFlags()], { cwd: dir, stdin: Readable.from(chunks()) });
  const peakRss = watchPeakRss(run.child.pid!);
  const { code } = await run.exited;
  return { code, lines: run.lines, stderr: run.stderr(), peakRss: peakRss() };
}

describe("rows of 600 MB", () => {
  const HUGE = 600 * MB;

  it.runIf(onLinux)("a JSONL line of 600 MB is an error line naming its line; the next row runs; memory stays bounded", async () => {
    const [a] = await goodRows(dir, 1);
    const run = await batchOnStdin(`{"id":"huge","image":"${a!.image}","instruction":"`, HUGE, `"}\n${JSON.stringify(a)}\n`);
    expect(run.code).toBe(3);
    expect(run.lines).toHaveLength(2);
    expect(run.lines[0]).toMatchObject({ id: null, line: 1, status: "error", error: { code: "manifest", message: expect.stringMatching(/^line 1: the row is longer than the 256 KiB limit/) } });
    expect(run.lines[1]).toMatchObject({ id: a!.id, line: 2, status: "accepted" });
    expect(run.peakRss).toBeGreaterThan(0);
    expect(run.peakRss).toBeLessThan(400 * MB);
  }, 120_000);

  it.runIf(onLinux)("a CSV field of 600 MB (quoted, across lines) is an error line; the next row keeps its line number", async () => {
    const [a] = await goodRows(dir, 1);
    const run = await batchOnStdin(`id,image,instruction\nhuge,${a!.image},"long\n`, HUGE, `\nstill"\n${a!.id},${a!.image},${a!.instruction}\n`);
    expect(run.code).toBe(3);
    expect(run.lines.map((line) => [line.line, line.status])).toEqual([
      [2, "error"],
      [5, "accepted"],
    ]);
    expect(run.lines[0]!.error!.message).toMatch(/^line 2: the row is longer than/);
    expect(run.peakRss).toBeLessThan(400 * MB);
  }, 120_000);
});

describe("images that never end", () => {
  it("refuses a FIFO nobody writes to, /dev/zero and a folder at once, and the other rows finish", async () => {
    const rows = await goodRows(dir, 2);
    execFileSync("mkfifo", [path.join(dir, "images", "pipe.png")]);
    await writeJsonl(path.join(dir, "m.jsonl"), [
      { id: "fifo", image: "images/pipe.png", instruction: instructionFor("fifo") },
      rows[0]!,
      { id: "zero", image: "/dev/zero", instruction: instructionFor("zero") },
      { id: "folder", image: "images", instruction: instructionFor("folder") },
      rows[1]!,
    ]);
    const started = Date.now();
    const run = await batch("m.jsonl", ["-j", "2"]);
    expect(Date.now() - started).toBeLessThan(30_000);
    const lines = byLine(run.lines);
    expect(lines.get(1)).toMatchObject({ status: "error", error: { code: "input_unreadable", message: expect.stringMatching(/not a regular file \(a named pipe\)/) } });
    expect(lines.get(3)).toMatchObject({ status: "error", error: { code: "input_unreadable", message: expect.stringMatching(/not a regular file \(a device\)/) } });
    expect(lines.get(4)).toMatchObject({ status: "error", error: { code: "input_unreadable", message: expect.stringMatching(/is a directory/) } });
    expect([lines.get(2)!.status, lines.get(5)!.status]).toEqual(["accepted", "accepted"]);
    expect(run.code).toBe(3);
  });
});

describe("signals", () => {
  it("SIGTERM: the first stops new items, the second aborts the hung one (exit 130), a third is never needed", async () => {
    const rows = await goodRows(dir, 3);
    await writeJsonl(path.join(dir, "m.jsonl"), rows);
    fake.fake.fail("edit", fault.hang());
    const run = spawnBatch(["m.jsonl", "--out-dir", "out", "-j", "1", "--timeout", "600", ...modelFlags()], { cwd: dir });
    await fake.fake.until(() => fake.fake.inFlight() > 0 && fake.fake.requestsOf("edit").length > 0);
    run.child.kill("SIGTERM");
    await run.until(() => /no new items will start/.test(run.stderr()));
    run.child.kill("SIGTERM");
    const { code } = await run.exited;
    expect(code).toBe(130);
    expect(run.lines).toHaveLength(1);
    expect(run.lines[0]).toMatchObject({ status: "error", error: { code: "interrupted" } });
  });

  it.runIf(onLinux)("a third SIGTERM ends the process at once, even with a worker thread stuck in a read", async () => {
    const rows = await goodRows(dir, 2);
    await writeJsonl(path.join(dir, "m.jsonl"), rows);
    // A prompt template that is a FIFO nobody writes to: reading it pins a libuv worker thread for good, and
    // process.exit() would wait for that thread forever.
    await mkdir(path.join(dir, "prompts"));
    execFileSync("mkfifo", [path.join(dir, "prompts", "think.md")]);
    const run = spawnBatch(["m.jsonl", "--out-dir", "out", "--prompts", "prompts", ...modelFlags()], { cwd: dir });
    await waitUntil(() => blockedOnFifo(run.child.pid!), 30_000); // past start-up (the handlers are in place), stuck
    for (const expected of [/no new items will start/, /aborting the items in flight/]) {
      run.child.kill("SIGTERM");
      await run.until(() => expected.test(run.stderr()));
    }
    const sent = Date.now();
    run.child.kill("SIGTERM");
    const exit = await run.exited;
    expect(Date.now() - sent).toBeLessThan(5_000);
    expect(exit.signal).toBe("SIGTERM");
    expect(fake.fake.requests).toHaveLength(0);
  });
});
