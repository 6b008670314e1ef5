// A broken environment is found before paying and named, from the built bin: read-only and missing folders are
// refused with zero requests at the fake, a full disk is exit 5 with the path and what to free, a full cache
// disk only turns caching off. Uses real tmpfs mounts (root); skipped, with a note, where mounting is refused.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { reasoningResponder } from "../fakes/reasoning-responder.mjs";
import { canMount, mountTmpfs, type SmallDisk } from "../fakes/small-disk.js";
import { instructionFor, spawnBatch, writeJsonl } from "../batch/batch-harness.js";
import { useCliSandbox } from "../support/cli-sandbox.js";
import { makeTempHome } from "../support/run-cli.js";
import { expectExit } from "../support/assertions.js";


const sandbox = useCliSandbox();
let disks: SmallDisk[] = [];
let mountable = false;

beforeAll(() => {
  const probe = makeTempHome();
  mountable = canMount(join(probe.dir, "probe"));
  probe.cleanup();
  if (!mountable) console.warn("environment tests on tmpfs SKIPPED: mounting a tmpfs is not allowed here (run as root)");
});
beforeEach(() => {
  sandbox.fake.setChat(reasoningResponder({ verdicts: ["success"] }));
});
afterEach(() => {
  for (const disk of disks) disk.unmount();
  disks = [];
});

function disk(name: string, sizeKb: number, readOnly = false): string {
  const mounted = mountTmpfs(join(sandbox.home, name), sizeKb, { readOnly });
  if (!mounted) throw new Error(`could not mount ${name}`);
  disks.push(mounted);
  return mounted.dir;
}

function edit(args: string[]) {
  const flags = ["--mllm-url", `${sandbox.fake.url}/v1`, "--editor-url", sandbox.fake.url, "--max-retries", "0", "--seed", "7"];
  return sandbox.run(["edit", ...args, ...flags]);
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" });
}

describe("folders checked before the first paid call", () => {
  it("refuses a missing -o folder with exit 2 and no request, and creates it with --mkdir", async () => {
    const missing = await edit(["cat.png", "make it snow", "-o", "nope/out.png"]);
    expect(missing.stderr).toMatch(/the output folder .*nope does not exist/);
    expect(missing.stderr).toMatch(/--mkdir/);
    expectExit(missing, 2);
    expect(sandbox.fake.requests).toHaveLength(0);

    const made = await edit(["cat.png", "make it snow", "-o", "made/here/out.png", "--mkdir"]);
    expectExit(made, 0);
    expect(existsSync(join(sandbox.home, "made", "here", "out.png"))).toBe(true);
  });

  it("refuses an output under /proc and a new top-level folder, before any request", async () => {
    const proc = await edit(["cat.png", "make it snow", "-o", "/proc/self/out.png"]);
    expect(proc.stderr).toMatch(/under \/proc, which holds kernel interfaces/);
    expectExit(proc, 2);
    const top = await edit(["cat.png", "make it snow", "-o", "/reasonedit-typo-folder/out.png", "--mkdir"]);
    expect(top.stderr).toMatch(/would be a new top-level folder/);
    expectExit(top, 2);
    expect(existsSync("/reasonedit-typo-folder")).toBe(false);
    expect(sandbox.fake.requests).toHaveLength(0);
  });

  it.runIf(() => mountable)("refuses a read-only runs folder and a read-only output folder with exit 5 and zero requests", async () => {
    const readOnly = disk("ro", 64, true);
    const runs = await edit(["cat.png", "make it snow", "--run-dir", join(readOnly, "runs")]);
    expect(runs.stderr).toMatch(/cannot create the runs folder .*ro\/runs: the file system is read-only \(EROFS\)/);
    expectExit(runs, 5);
    const output = await edit(["cat.png", "make it snow", "-o", join(readOnly, "out.png")]);
    expect(output.stderr).toMatch(/cannot write into the output folder .*ro: the file system is read-only \(EROFS\)/);
    expect(output.stderr).toMatch(/choose a writable folder/);
    expectExit(output, 5);
    expect(sandbox.fake.requests).toHaveLength(0);
  });
});

describe("a full disk", () => {
  it.runIf(() => mountable)("while writing the result: exit 5 naming the path and what to free, nothing half-written, the record says why", async () => {
    const full = disk("full", 16);
    const result = await edit(["cat.png", "make it snow", "-o", join(full, "out.png")]);
    expect(result.stderr).toMatch(/cannot write .*full\/out\.png: the disk is full \(ENOSPC\)/);
    expect(result.stderr).toMatch(/free some space on the disk holding .*full \(df -h/);
    expect(result.stderr).not.toMatch(/internal error/);
    expectExit(result, 5);
    expect(filesUnder(full)).toEqual([]);
    const root = join(sandbox.home, "state", "reasonedit", "runs");
    const record = JSON.parse(readFileSync(join(root, readdirSync(root)[0]!, "run.json"), "utf8"));
    expect(record).toMatchObject({ status: "error", error: { code: "environment" } });
  });

  it.runIf(() => mountable)("in the cache: the edit still succeeds, caching is turned off once with a warning, no orphan left", async () => {
    const full = disk("cache", 24);
    const result = await edit(["cat.png", "make it snow", "--cache-dir", full]);
    expectExit(result, 0);
    expect(result.stderr.match(/caching is off for the rest of this run/g)).toHaveLength(1);
    expect(result.stderr).toMatch(/the disk is full \(ENOSPC\)/);
    expect(filesUnder(full).filter((name) => name.endsWith(".tmp") || name.endsWith(".bin"))).toEqual([]);
    expect(existsSync(join(sandbox.home, "cat.edited.png"))).toBe(true);
  });

  it.runIf(() => mountable)("in a batch's --out-dir: the item fails with exit 5 before its edit is paid for, and no further item starts", async () => {
    const full = disk("batch", 16);
    // A photo: its working copy (the first thing an item writes, a ~23 KB JPEG) cannot fit on the 16 KB disk.
    const rows = ["a", "b", "c"].map((id) => ({ id, image: "cat.png", instruction: instructionFor(id) }));
    await writeJsonl(join(sandbox.home, "manifest.jsonl"), rows);
    const run = spawnBatch(["manifest.jsonl", "--out-dir", full, "-j", "1", "--mllm-url", `${sandbox.fake.url}/v1`, "--editor-url", sandbox.fake.url, "--no-cache"], { cwd: sandbox.home });
    expectExit(await run.exited, 5);
    expect(run.lines).toHaveLength(1);
    expect(run.lines[0]).toMatchObject({ status: "error", error: { code: "environment", message: expect.stringMatching(/the disk is full \(ENOSPC\)/) } });
    expect(sandbox.fake.requestsOf("edit")).toHaveLength(0);
    expect(run.stderr()).toMatch(/the local disk or a folder failed .*--resume/);
    expect(filesUnder(full).filter((name) => name.endsWith(".tmp"))).toEqual([]);
  });
});
