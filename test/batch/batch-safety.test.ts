// Never pay twice, from the built bin: a killed batch resumed reuses each unfinished item's seed (so edits the
// provider had finished come from the cache), and a second batch on the same --out-dir is refused by its lock.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { goodRows, removeDir, spawnBatch, startBatchFake, stepReply, tempDir, waitUntil, writeJsonl, type BatchFake } from "./batch-harness.js";

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

// No --seed and the cache on: each item draws its own seed, as a user's batch does.
const modelFlags = () => ["--mllm-url", fake.mllmUrl, "--editor-url", fake.editorUrl];
const ITEM = /⟪([A-Za-z0-9._-]+)⟫/;

describe("kill and resume", () => {
  it("makes zero new editor calls for items whose edit had finished at the provider", async () => {
    const rows = await goodRows(dir, 3);
    await writeJsonl(path.join(dir, "manifest.jsonl"), rows);
    const assessed = new Set<string>();
    // Reflection never answers: every item is killed after its edit came back (and was cached), before it finished.
    fake.fake.setChat((body: { response_format?: { json_schema?: { name?: string } }; messages?: unknown }) => {
      const step = body?.response_format?.json_schema?.name;
      const text = JSON.stringify(body?.messages ?? "");
      if (step === "assess") {
        assessed.add(ITEM.exec(text)?.[1] ?? "?");
        return new Promise<string>(() => {});
      }
      return JSON.stringify(stepReply(step as "think", text));
    });
    const first = spawnBatch(["manifest.jsonl", "--out-dir", "out", "-j", "3", ...modelFlags()], { cwd: dir });
    await waitUntil(() => assessed.size === 3);
    first.child.kill("SIGKILL");
    await first.exited;
    const editsBefore = [...fake.editsByItem.values()].reduce((a, b) => a + b, 0);
    expect(editsBefore).toBe(3);

    fake.fake.setChat((body: { response_format?: { json_schema?: { name?: string } }; messages?: unknown }) =>
      JSON.stringify(stepReply(body?.response_format?.json_schema?.name as "think", JSON.stringify(body?.messages ?? ""))),
    );
    const resumed = spawnBatch(["manifest.jsonl", "--out-dir", "out", "-j", "3", "--resume", ...modelFlags()], { cwd: dir });
    expect((await resumed.exited).code).toBe(0);
    expect(resumed.lines.map((line) => line.status)).toEqual(["accepted", "accepted", "accepted"]);
    expect([...fake.editsByItem.values()].reduce((a, b) => a + b, 0)).toBe(editsBefore);
    expect(resumed.lines.every((line) => line.calls.editor === 0)).toBe(true);
  });
});

describe("two batches on one --out-dir", () => {
  it("refuses the second (exit 5, naming the holder) while the first finishes with one editor call per item", async () => {
    const rows = await goodRows(dir, 4);
    await writeJsonl(path.join(dir, "manifest.jsonl"), rows);
    fake.fake.setLatency("edit", 300);
    const first = spawnBatch(["manifest.jsonl", "--out-dir", "out", "-j", "2", ...modelFlags()], { cwd: dir });
    await waitUntil(() => fake.fake.requestsOf("edit").length >= 1);
    const requestsBefore = fake.fake.requests.length;
    const second = spawnBatch(["manifest.jsonl", "--out-dir", "out", "-j", "2", ...modelFlags()], { cwd: dir });
    const refused = await second.exited;
    expect(second.stderr()).toMatch(/--out-dir .*out is in use by another reasonedit run \(pid \d+ on .*\)/);
    expect(second.stderr()).toMatch(/--wait/);
    expect(refused.code).toBe(5);
    expect(second.lines).toHaveLength(0);

    expect((await first.exited).code).toBe(0);
    expect(first.lines).toHaveLength(4);
    for (const row of rows) expect(fake.editsByItem.get(row.id), row.id).toBe(1);
    expect(fake.fake.requests.length).toBeGreaterThan(requestsBefore);
    expect(existsSync(path.join(dir, "out", ".reasonedit.lock"))).toBe(false);
  });

  it("takes over a lock left by a process that is no longer alive", async () => {
    const rows = await goodRows(dir, 1);
    await writeJsonl(path.join(dir, "manifest.jsonl"), rows);
    const dead = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
    const { hostname } = await import("node:os");
    await mkdir(path.join(dir, "out"), { recursive: true });
    const stale = { pid: Number(dead.stdout), host: hostname(), started: "2026-01-01T00:00:00.000Z", token: "deadbeefdeadbeef" };
    await writeFile(path.join(dir, "out", ".reasonedit.lock"), JSON.stringify(stale));
    const run = spawnBatch(["manifest.jsonl", "--out-dir", "out", ...modelFlags()], { cwd: dir });
    expect((await run.exited).code).toBe(0);
    expect(run.lines.map((line) => line.status)).toEqual(["accepted"]);
  });
});
