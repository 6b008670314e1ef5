// Inputs that never end or lie about being files: refused at once (exit 2), in bounded time and memory.
import { execFileSync } from "node:child_process";
import { mkdir, truncate, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { removeDir, startBatchFake, tempDir, type BatchFake } from "../batch/batch-harness.js";
import { cleanEnv, runCli } from "../support/run-cli.js";
import { expectExit } from "../support/assertions.js";

let fake: BatchFake;
let dir: string;

beforeEach(async () => {
  fake = await startBatchFake();
  dir = await tempDir("reasonedit-inputs-");
});
afterEach(async () => {
  await fake.close();
  await removeDir(dir);
});

const edit = (image: string, stdin?: Buffer) =>
  runCli(["edit", image, "x", "--mllm-url", fake.mllmUrl, "--editor-url", fake.editorUrl, "--no-cache"], { cwd: dir, env: cleanEnv(dir), ...(stdin ? { stdin } : {}) });

describe("edit refuses what is not a regular file, - or a URL", () => {
  it("a FIFO nobody writes to, /dev/zero and a folder: exit 2 at once, no model call", async () => {
    execFileSync("mkfifo", [path.join(dir, "pipe.png")]);
    await mkdir(path.join(dir, "folder"));
    const started = Date.now();
    const [fifo, zero, folder] = await Promise.all([edit("pipe.png"), edit("/dev/zero"), edit("folder")]);
    expect(Date.now() - started).toBeLessThan(25_000);
    expect([fifo.code, zero.code, folder.code]).toEqual([2, 2, 2]);
    expect(fifo.stderr).toMatch(/pipe\.png is not a regular file \(a named pipe\)/);
    expect(zero.stderr).toMatch(/\/dev\/zero is not a regular file \(a device\)/);
    expect(folder.stderr).toMatch(/folder is a directory/);
    expect(fake.fake.requests).toHaveLength(0);
  });

  it("caps a file by its size before reading it, and stdin while reading it", async () => {
    const big = path.join(dir, "huge.png");
    await writeFile(big, "");
    await truncate(big, 300 * 1024 * 1024); // sparse: nothing is written to disk
    const file = await edit("huge.png");
    expectExit(file, 2);
    expect(file.stderr).toMatch(/huge\.png is larger than the 256 MiB input limit/);
    const stdin = await edit("-", Buffer.alloc(51 * 1024 * 1024, 1));
    expectExit(stdin, 2);
    expect(stdin.stderr).toMatch(/stdin is larger than the 50 MiB input limit/);
    expect(fake.fake.requests).toHaveLength(0);
  });
});
