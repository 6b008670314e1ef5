// `reasonedit batch` as users run it: the built bin in a child process, against the loopback fake.
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isFinished } from "../../src/runs/run-record.js";
import { readRunRecord } from "../../src/runs/run-folder.js";
import { fault } from "../fakes/fake-providers.mjs";
import { goodRows, removeDir, spawnBatch, startBatchFake, tempDir, waitUntil, writeJsonl, type BatchFake } from "./batch-harness.js";

let fake: BatchFake;
let dir: string;

beforeEach(async () => {
  fake = await startBatchFake();
  dir = await tempDir();
});
afterEach(async () => {
  await fake.close();
  await removeDir(dir);
});

const modelFlags = () => ["--mllm-url", fake.mllmUrl, "--editor-url", fake.editorUrl, "--no-cache", "--seed", "1"];

async function manifestOf(count: number, extra: Array<Record<string, unknown> | string> = []): Promise<string> {
  return writeJsonl(path.join(dir, "manifest.jsonl"), [...(await goodRows(dir, count)), ...extra]);
}

describe("exit codes", () => {
  it("exits 0 with one result line per item on stdout and a summary on stderr", async () => {
    await manifestOf(3);
    const run = spawnBatch(["manifest.jsonl", "--out-dir", "out", ...modelFlags()], { cwd: dir });
    expect((await run.exited).code).toBe(0);
    expect(run.lines.map((line) => line.status)).toEqual(["accepted", "accepted", "accepted"]);
    expect(run.lines[0]).toMatchObject({ calls: { mllm: 6, editor: 1 }, rounds: 1, error: null, resumed: false });
    expect(run.lines[0]!.output).toBe(path.join(dir, "out", `${run.lines[0]!.id}.png`));
    expect(run.stderr()).toMatch(/batch: 3 items — 3 accepted, 0 not accepted, 0 errors/);
  });

  it("exits 3 when an item is not accepted or a row is bad, unless --pass-threshold allows it", async () => {
    await manifestOf(3, [{ id: "bad", image: "images/missing.png", instruction: "x" }]);
    const strict = spawnBatch(["manifest.jsonl", "--out-dir", "out", ...modelFlags()], { cwd: dir });
    const lenient = spawnBatch(["manifest.jsonl", "--out-dir", "out2", "--pass-threshold", "75%", ...modelFlags()], { cwd: dir });
    expect((await strict.exited).code).toBe(3);
    expect((await lenient.exited).code).toBe(0);
    expect(strict.lines.find((line) => line.id === "bad")).toMatchObject({ status: "error", line: 4, error: { code: "input_missing" } });

    fake.setVerdict("refine");
    const refined = spawnBatch(["manifest.jsonl", "--out-dir", "out3", "--rounds", "1", "-q", ...modelFlags()], { cwd: dir });
    expect((await refined.exited).code).toBe(3);
    expect(refined.lines.filter((line) => line.status === "not_accepted")).toHaveLength(3);
    expect(refined.stderr()).toBe("");
  });

  it("exits 4 when a provider fails for good, and says how to retry", async () => {
    await manifestOf(2);
    fake.fake.fail("edit", fault.authError(401));
    const run = spawnBatch(["manifest.jsonl", "--out-dir", "out", "-j", "1", "--max-retries", "0", ...modelFlags()], { cwd: dir });
    expect((await run.exited).code).toBe(4);
    expect(run.lines.map((line) => line.error?.code ?? line.status).sort()).toEqual(["accepted", "provider_auth"]);
    expect(run.lines.find((line) => line.status === "error")?.error).toMatchObject({ status: 401, hint: expect.any(String) });
    expect(run.stderr()).toMatch(/--retry-errors/);

    const retried = spawnBatch(["manifest.jsonl", "--out-dir", "out", "--retry-errors", ...modelFlags()], { cwd: dir });
    expect((await retried.exited).code).toBe(0);
    expect(retried.lines.filter((line) => line.resumed)).toHaveLength(1);
  });

  it("exits 2 when the manifest as a whole is unusable", async () => {
    await writeFile(path.join(dir, "no-instruction.csv"), "id,image\na,a.png\n");
    const runs = [
      spawnBatch(["missing.jsonl", "--out-dir", "out", ...modelFlags()], { cwd: dir }),
      spawnBatch(["no-instruction.csv", "--out-dir", "out", ...modelFlags()], { cwd: dir }),
      spawnBatch(["no-instruction.csv", ...modelFlags()], { cwd: dir }),
      spawnBatch(["no-instruction.csv", "--out-dir", "out", "--shard", "3/3", ...modelFlags()], { cwd: dir }),
    ];
    const codes = await Promise.all(runs.map(async (run) => (await run.exited).code));
    expect(codes).toEqual([2, 2, 2, 2]);
    expect(runs[0]!.stderr()).toMatch(/cannot read the manifest missing\.jsonl/);
    expect(runs[1]!.stderr()).toMatch(/lacks instruction/);
    expect(runs[2]!.stderr()).toMatch(/--out-dir/);
    expect(runs[3]!.stderr()).toMatch(/--shard/);
  });

  it("reads the manifest from stdin with -", async () => {
    const rows = await goodRows(dir, 2);
    const run = spawnBatch(["-", "--out-dir", "out", ...modelFlags()], { cwd: dir, stdin: rows.map((row) => JSON.stringify(row)).join("\n") });
    expect((await run.exited).code).toBe(0);
    expect(run.lines).toHaveLength(2);
  });
});

describe("interruptions", () => {
  beforeEach(() => {
    fake.fake.setLatency("edit", 300);
  });

  it("resumes a SIGKILLed batch: finishes the rest and redoes no finished item", async () => {
    const rows = await goodRows(dir, 12);
    await writeJsonl(path.join(dir, "manifest.jsonl"), rows);
    const first = spawnBatch(["manifest.jsonl", "--out-dir", "out", "-j", "3", ...modelFlags()], { cwd: dir });
    await waitUntil(() => first.lines.length >= 4);
    first.child.kill("SIGKILL");
    expect((await first.exited).signal).toBe("SIGKILL");
    // Requests the killed process had already sent are still being received and counted: let them land first.
    await waitUntil(() => fake.fake.inFlight() === 0);

    const finished = new Set<string>();
    for (const row of rows) {
      const recordPath = path.join(dir, "out", "runs", row.id, "run.json");
      if (existsSync(recordPath) && isFinished(await readRunRecord(recordPath))) finished.add(row.id);
    }
    expect(finished.size).toBeGreaterThanOrEqual(4);
    expect(finished.size).toBeLessThan(12);
    const editsBefore = new Map(fake.editsByItem);
    fake.fake.setLatency("edit", 0);

    const resumed = spawnBatch(["manifest.jsonl", "--out-dir", "out", "-j", "3", "--resume", ...modelFlags()], { cwd: dir });
    expect((await resumed.exited).code).toBe(0);

    expect(resumed.lines).toHaveLength(12);
    expect(resumed.lines.every((line) => line.status === "accepted")).toBe(true);
    expect(new Set(resumed.lines.filter((line) => line.resumed).map((line) => line.id))).toEqual(finished);
    for (const id of finished) expect(fake.editsByItem.get(id), id).toBe(editsBefore.get(id));
    for (const row of rows.filter((row) => !finished.has(row.id))) expect((fake.editsByItem.get(row.id) ?? 0) - (editsBefore.get(row.id) ?? 0), row.id).toBe(1);
    expect(resumed.stderr()).toMatch(/settled by an earlier run/);
  });

  it("on SIGINT starts no new item, lets those in flight finish, lists them and exits 130", async () => {
    const rows = await goodRows(dir, 8);
    await writeJsonl(path.join(dir, "manifest.jsonl"), rows);
    const run = spawnBatch(["manifest.jsonl", "--out-dir", "out", "-j", "2", ...modelFlags()], { cwd: dir });
    await waitUntil(() => fake.fake.requestsOf("edit").length >= 1);
    run.child.kill("SIGINT");
    const { code } = await run.exited;

    expect(code).toBe(130);
    expect(run.stderr()).toMatch(/no new items will start/);
    expect(run.stderr()).toMatch(new RegExp(`batch: ${run.lines.length} of 8 items — `));
    expect(run.stderr()).toMatch(/--resume/);
    expect(run.lines.length).toBeGreaterThanOrEqual(1);
    expect(run.lines.length).toBeLessThan(8);
    expect(run.lines.every((line) => line.status === "accepted")).toBe(true);
    for (const line of run.lines) expect(existsSync(line.output!)).toBe(true);
    const thought = fake.fake.requestsOf("chat").filter((request) => request.body?.response_format?.json_schema?.name === "think");
    expect(thought.length).toBe(run.lines.length);
    expect(JSON.parse(await readFile(run.lines[0]!.run_record!, "utf8")).status).toBe("accepted");
  });
});
