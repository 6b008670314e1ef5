// `reasonedit batch` as users run it: the built bin in a child process, against the loopback sandbox.fake.
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { isFinished } from "../../src/runs/run-record.js";
import { readRunRecord } from "../../src/runs/run-folder.js";
import { fault } from "../fakes/fake-providers.mjs";
import { expectExit } from "../support/assertions.js";
import { goodRows, spawnBatch, useBatchSandbox, writeJsonl } from "./batch-harness.js";

const sandbox = useBatchSandbox();

const modelFlags = () => ["--mllm-url", sandbox.fake.mllmUrl, "--editor-url", sandbox.fake.editorUrl, "--no-cache", "--seed", "1"];

async function manifestOf(count: number, extra: Array<Record<string, unknown> | string> = []): Promise<string> {
  return writeJsonl(path.join(sandbox.dir, "manifest.jsonl"), [...(await goodRows(sandbox.dir, count)), ...extra]);
}

describe("exit codes", () => {
  it("exits 0 with one result line per item on stdout and a summary on stderr", async () => {
    await manifestOf(3);
    const run = spawnBatch(["manifest.jsonl", "--out-dir", "out", ...modelFlags()], { cwd: sandbox.dir });
    expectExit(await run.exited, 0);
    expect(run.lines.map((line) => line.status)).toEqual(["accepted", "accepted", "accepted"]);
    expect(run.lines[0]).toMatchObject({ calls: { mllm: 6, editor: 1 }, rounds: 1, error: null, resumed: false });
    expect(run.lines[0]!.output).toBe(path.join(sandbox.dir, "out", `${run.lines[0]!.id}.png`));
    expect(run.stderr()).toMatch(/batch: 3 items — 3 accepted, 0 not accepted, 0 errors/);
  });

  it("exits 3 when an item is not accepted or a row is bad, unless --pass-threshold allows it", async () => {
    await manifestOf(3, [{ id: "bad", image: "images/missing.png", instruction: "x" }]);
    const strict = spawnBatch(["manifest.jsonl", "--out-dir", "out", ...modelFlags()], { cwd: sandbox.dir });
    const lenient = spawnBatch(["manifest.jsonl", "--out-dir", "out2", "--pass-threshold", "75%", ...modelFlags()], { cwd: sandbox.dir });
    expectExit(await strict.exited, 3);
    expectExit(await lenient.exited, 0);
    expect(strict.lines.find((line) => line.id === "bad")).toMatchObject({ status: "error", line: 4, error: { code: "input_missing" } });

    sandbox.fake.setVerdict("refine");
    const refined = spawnBatch(["manifest.jsonl", "--out-dir", "out3", "--rounds", "1", "-q", ...modelFlags()], { cwd: sandbox.dir });
    expectExit(await refined.exited, 3);
    expect(refined.lines.filter((line) => line.status === "not_accepted")).toHaveLength(3);
    expect(refined.stderr()).toBe("");
  });

  it("exits 4 when a provider fails for good, and says how to retry", async () => {
    await manifestOf(2);
    sandbox.fake.fake.fail("edit", fault.authError(401));
    const run = spawnBatch(["manifest.jsonl", "--out-dir", "out", "-j", "1", "--max-retries", "0", ...modelFlags()], { cwd: sandbox.dir });
    expectExit(await run.exited, 4);
    expect(run.lines.map((line) => line.error?.code ?? line.status).sort()).toEqual(["accepted", "provider_auth"]);
    expect(run.lines.find((line) => line.status === "error")?.error).toMatchObject({ status: 401, hint: expect.any(String) });
    expect(run.stderr()).toMatch(/--retry-errors/);

    const retried = spawnBatch(["manifest.jsonl", "--out-dir", "out", "--retry-errors", ...modelFlags()], { cwd: sandbox.dir });
    expectExit(await retried.exited, 0);
    expect(retried.lines.filter((line) => line.resumed)).toHaveLength(1);
  });

  it("exits 2 when the manifest as a whole is unusable", async () => {
    await writeFile(path.join(sandbox.dir, "no-instruction.csv"), "id,image\na,a.png\n");
    const runs = [
      spawnBatch(["missing.jsonl", "--out-dir", "out", ...modelFlags()], { cwd: sandbox.dir }),
      spawnBatch(["no-instruction.csv", "--out-dir", "out", ...modelFlags()], { cwd: sandbox.dir }),
      spawnBatch(["no-instruction.csv", ...modelFlags()], { cwd: sandbox.dir }),
      spawnBatch(["no-instruction.csv", "--out-dir", "out", "--shard", "3/3", ...modelFlags()], { cwd: sandbox.dir }),
    ];
    const codes = await Promise.all(runs.map(async (run) => (await run.exited).code));
    expect(codes).toEqual([2, 2, 2, 2]);
    expect(runs[0]!.stderr()).toMatch(/cannot read the manifest missing\.jsonl/);
    expect(runs[1]!.stderr()).toMatch(/lacks instruction/);
    expect(runs[2]!.stderr()).toMatch(/--out-dir/);
    expect(runs[3]!.stderr()).toMatch(/--shard/);
  });

  it("reads the manifest from stdin with -", async () => {
    const rows = await goodRows(sandbox.dir, 2);
    const run = spawnBatch(["-", "--out-dir", "out", ...modelFlags()], { cwd: sandbox.dir, stdin: rows.map((row) => JSON.stringify(row)).join("\n") });
    expectExit(await run.exited, 0);
    expect(run.lines).toHaveLength(2);
  });
});

describe("interruptions", () => {
  beforeEach(() => {
    sandbox.fake.fake.setLatency("edit", 300);
  });

  it("resumes a SIGKILLed batch: finishes the rest and redoes no finished item", async () => {
    const rows = await goodRows(sandbox.dir, 12);
    await writeJsonl(path.join(sandbox.dir, "manifest.jsonl"), rows);
    const first = spawnBatch(["manifest.jsonl", "--out-dir", "out", "-j", "3", ...modelFlags()], { cwd: sandbox.dir });
    await first.until(() => first.lines.length >= 4);
    first.child.kill("SIGKILL");
    expect((await first.exited).signal).toBe("SIGKILL");
    // The killed process's edits still asleep in the fake's latency leave unanswered and uncounted; once the fake is
    // idle nothing of the first run can still change the counts read below.
    await sandbox.fake.fake.idle();

    const finished = new Set<string>();
    for (const row of rows) {
      const recordPath = path.join(sandbox.dir, "out", "runs", row.id, "run.json");
      if (existsSync(recordPath) && isFinished(await readRunRecord(recordPath))) finished.add(row.id);
    }
    expect(finished.size).toBeGreaterThanOrEqual(4);
    expect(finished.size).toBeLessThan(12);
    const editsBefore = new Map(sandbox.fake.editsByItem);
    sandbox.fake.fake.setLatency("edit", 0);

    const resumed = spawnBatch(["manifest.jsonl", "--out-dir", "out", "-j", "3", "--resume", ...modelFlags()], { cwd: sandbox.dir });
    expectExit(await resumed.exited, 0);

    expect(resumed.lines).toHaveLength(12);
    expect(resumed.lines.every((line) => line.status === "accepted")).toBe(true);
    expect(new Set(resumed.lines.filter((line) => line.resumed).map((line) => line.id))).toEqual(finished);
    for (const id of finished) expect(sandbox.fake.editsByItem.get(id), id).toBe(editsBefore.get(id));
    for (const row of rows.filter((row) => !finished.has(row.id))) expect((sandbox.fake.editsByItem.get(row.id) ?? 0) - (editsBefore.get(row.id) ?? 0), row.id).toBe(1);
    expect(resumed.stderr()).toMatch(/settled by an earlier run/);
  });

  it("on SIGINT starts no new item, lets those in flight finish, lists them and exits 130", async () => {
    const rows = await goodRows(sandbox.dir, 8);
    await writeJsonl(path.join(sandbox.dir, "manifest.jsonl"), rows);
    const run = spawnBatch(["manifest.jsonl", "--out-dir", "out", "-j", "2", ...modelFlags()], { cwd: sandbox.dir });
    await sandbox.fake.fake.received("edit");
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
    const thought = sandbox.fake.fake.requestsOf("chat").filter((request) => request.body?.response_format?.json_schema?.name === "think");
    expect(thought.length).toBe(run.lines.length);
    expect(JSON.parse(await readFile(run.lines[0]!.run_record!, "utf8")).status).toBe("accepted");
  });
});
