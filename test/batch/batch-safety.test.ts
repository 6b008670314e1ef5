// Never pay twice, from the built bin: a killed batch resumed reuses each unfinished item's seed (so edits the
// provider had finished come from the cache), and a second batch on the same --out-dir is refused by its lock.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { expectExit } from "../support/assertions.js";
import { deferred } from "../support/gate.js";
import { goodRows, spawnBatch, stepReply, useBatchSandbox, writeJsonl } from "./batch-harness.js";

const sandbox = useBatchSandbox();

// No --seed and the cache on: each item draws its own seed, as a user's batch does.
const modelFlags = () => ["--mllm-url", sandbox.fake.mllmUrl, "--editor-url", sandbox.fake.editorUrl];
const ITEM = /⟪([A-Za-z0-9._-]+)⟫/;

describe("kill and resume", () => {
  it("makes zero new editor calls for items whose edit had finished at the provider", async () => {
    const rows = await goodRows(sandbox.dir, 3);
    await writeJsonl(path.join(sandbox.dir, "manifest.jsonl"), rows);
    const assessed = new Set<string>();
    const allAssessed = deferred();
    // Reflection never answers: every item is killed after its edit came back (and was cached), before it finished.
    sandbox.fake.fake.setChat((body: { response_format?: { json_schema?: { name?: string } }; messages?: unknown }) => {
      const step = body?.response_format?.json_schema?.name;
      const text = JSON.stringify(body?.messages ?? "");
      if (step === "assess") {
        assessed.add(ITEM.exec(text)?.[1] ?? "?");
        if (assessed.size === 3) allAssessed.resolve();
        return new Promise<string>(() => {});
      }
      return JSON.stringify(stepReply(step as "think", text));
    });
    const first = spawnBatch(["manifest.jsonl", "--out-dir", "out", "-j", "3", ...modelFlags()], { cwd: sandbox.dir });
    await allAssessed.promise;
    first.child.kill("SIGKILL");
    await first.exited;
    const editsBefore = [...sandbox.fake.editsByItem.values()].reduce((a, b) => a + b, 0);
    expect(editsBefore).toBe(3);

    sandbox.fake.fake.setChat((body: { response_format?: { json_schema?: { name?: string } }; messages?: unknown }) =>
      JSON.stringify(stepReply(body?.response_format?.json_schema?.name as "think", JSON.stringify(body?.messages ?? ""))),
    );
    const resumed = spawnBatch(["manifest.jsonl", "--out-dir", "out", "-j", "3", "--resume", ...modelFlags()], { cwd: sandbox.dir });
    expectExit(await resumed.exited, 0);
    expect(resumed.lines.map((line) => line.status)).toEqual(["accepted", "accepted", "accepted"]);
    expect([...sandbox.fake.editsByItem.values()].reduce((a, b) => a + b, 0)).toBe(editsBefore);
    expect(resumed.lines.every((line) => line.calls.editor === 0)).toBe(true);
  });
});

describe("two batches on one --out-dir", () => {
  it("refuses the second (exit 5, naming the holder) while the first finishes with one editor call per item", async () => {
    const rows = await goodRows(sandbox.dir, 4);
    await writeJsonl(path.join(sandbox.dir, "manifest.jsonl"), rows);
    sandbox.fake.fake.setLatency("edit", 300);
    const first = spawnBatch(["manifest.jsonl", "--out-dir", "out", "-j", "2", ...modelFlags()], { cwd: sandbox.dir });
    await sandbox.fake.fake.received("edit");
    const requestsBefore = sandbox.fake.fake.requests.length;
    const second = spawnBatch(["manifest.jsonl", "--out-dir", "out", "-j", "2", ...modelFlags()], { cwd: sandbox.dir });
    const refused = await second.exited;
    expect(second.stderr()).toMatch(/--out-dir .*out is in use by another reasonedit run \(pid \d+ on .*\)/);
    expect(second.stderr()).toMatch(/--wait/);
    expectExit(refused, 5);
    expect(second.lines).toHaveLength(0);

    expectExit(await first.exited, 0);
    expect(first.lines).toHaveLength(4);
    for (const row of rows) expect(sandbox.fake.editsByItem.get(row.id), row.id).toBe(1);
    expect(sandbox.fake.fake.requests.length).toBeGreaterThan(requestsBefore);
    expect(existsSync(path.join(sandbox.dir, "out", ".reasonedit.lock"))).toBe(false);
  });

  it("takes over a lock left by a process that is no longer alive", async () => {
    const rows = await goodRows(sandbox.dir, 1);
    await writeJsonl(path.join(sandbox.dir, "manifest.jsonl"), rows);
    const dead = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
    const { hostname } = await import("node:os");
    await mkdir(path.join(sandbox.dir, "out"), { recursive: true });
    const stale = { pid: Number(dead.stdout), host: hostname(), started: "2026-01-01T00:00:00.000Z", token: "deadbeefdeadbeef" };
    await writeFile(path.join(sandbox.dir, "out", ".reasonedit.lock"), JSON.stringify(stale));
    const run = spawnBatch(["manifest.jsonl", "--out-dir", "out", ...modelFlags()], { cwd: sandbox.dir });
    expectExit(await run.exited, 0);
    expect(run.lines.map((line) => line.status)).toEqual(["accepted"]);
  });
});
