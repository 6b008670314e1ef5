// The batch runner in process against the loopback fake: faults, bad rows, shards, resume, Ctrl-C.
import { readFile, readdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import sharp from "sharp";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readRunRecord } from "../../src/runs/run-folder.js";
import type { ResultLine } from "../../src/batch/result-line.js";
import { fault } from "../fakes/fake-providers.mjs";
import { goodRows, instructionFor, removeDir, runInProcess, startBatchFake, tempDir, writeImage, writeJsonl, type BatchFake } from "./batch-harness.js";

let fake: BatchFake;
let dir: string;

afterEach(async () => {
  await fake?.close();
  await removeDir(dir);
});

const byId = (lines: ResultLine[]) => new Map(lines.map((line) => [line.id, line]));

describe("a batch against a provider that throttles, fails and hangs", () => {
  it("accepts every item and pays for each item's edit exactly once", async () => {
    fake = await startBatchFake({ share: 0.25, faultsUntilCall: 300, hangAfterEdits: 10, passThrough: true });
    dir = await tempDir();
    const rows = await goodRows(dir, 50);
    const manifest = await writeJsonl(path.join(dir, "manifest.jsonl"), rows);

    const { lines, outcome } = await runInProcess({ manifest, outDir: path.join(dir, "out"), fake, flags: { timeout: 1.5 }, batch: { concurrency: 16 }, withoutWorkbench: true });

    expect(lines.filter((line) => line.status !== "accepted")).toEqual([]);
    expect(lines.map((line) => line.id).sort()).toEqual(rows.map((row) => row.id));
    expect(outcome.tally).toMatchObject({ items: 50, accepted: 50, errors: 0 });
    expect([...fake.editsByItem.values()].every((count) => count === 1)).toBe(true);
    expect(fake.editsByItem.size).toBe(50);
    // The faults really happened, on both kinds of call, and were retried.
    const requests = fake.fake.requests;
    const faulted = fake.faultsInjected.chat + fake.faultsInjected.edit;
    expect(fake.faultsInjected.edit).toBeGreaterThan(2);
    expect(fake.faultsInjected.chat).toBeGreaterThan(20);
    expect(faulted / requests.length).toBeGreaterThan(0.18);
    expect(fake.fake.pendingFaults("chat") + fake.fake.pendingFaults("edit")).toBeLessThanOrEqual(2);
    for (const row of rows.slice(0, 3)) {
      const record = await readRunRecord(path.join(dir, "out", "runs", row.id, "run.json"));
      expect(record.status).toBe("accepted");
      expect((await sharp(path.join(dir, "out", `${row.id}.png`)).metadata()).width).toBe(64);
    }
  });
});

describe("bad rows", () => {
  beforeEach(async () => {
    fake = await startBatchFake();
    dir = await tempDir();
  });

  it("reports each bad row with its line number and runs the good ones", async () => {
    const [a, b, c] = await goodRows(dir, 3);
    await writeFile(path.join(dir, "images", "corrupt.png"), "this is not a png");
    const manifest = await writeJsonl(path.join(dir, "manifest.jsonl"), [
      a!, // 1
      "{not json", // 2
      { id: "no-image", instruction: "x" }, // 3
      { id: "blank", image: a!.image, instruction: "   " }, // 4
      { ...b!, id: a!.id }, // 5 duplicate id
      { id: "../escape", image: a!.image, instruction: "x" }, // 6
      { id: "out-escape", image: a!.image, instruction: "x", output: "../../evil.png" }, // 7
      { id: "abs-out", image: a!.image, instruction: "x", output: "/tmp/evil.png" }, // 8
      { id: "missing-file", image: "images/nope.png", instruction: "x" }, // 9
      { id: "corrupt", image: "images/corrupt.png", instruction: "x" }, // 10
      { id: "too-many-rounds", image: a!.image, instruction: "x", rounds: 99 }, // 11
      b!, // 12
      "[1, 2]", // 13
      { ...c!, output: "named/result.webp", rounds: 2 }, // 14
      { id: "clash", image: a!.image, instruction: instructionFor("clash"), output: `${b!.id}.png` }, // 15
      { id: "self", image: a!.image, instruction: instructionFor("self"), output: "self.jpg" }, // 16
    ]);

    const { lines, outcome } = await runInProcess({ manifest, outDir: path.join(dir, "out"), fake });

    const errors = new Map(lines.filter((line) => line.status === "error").map((line) => [line.line, line]));
    const expectError = (line: number, code: string, pattern: RegExp) => {
      expect(errors.get(line)?.error?.code, `line ${line}`).toBe(code);
      expect(errors.get(line)?.error?.message, `line ${line}`).toMatch(pattern);
    };
    expectError(2, "manifest", /line 2: invalid JSON/);
    expectError(3, "manifest", /image: is missing/);
    expectError(4, "manifest", /instruction: is empty/);
    expectError(5, "manifest", /duplicate id item-000 \(first on line 1\)/);
    expectError(6, "manifest", /id: must/);
    expectError(7, "manifest", /output: must stay inside --out-dir/);
    expectError(8, "manifest", /output: must be a path relative to --out-dir/);
    expectError(9, "input_missing", /nope\.png/);
    expectError(10, "input_not_image", /corrupt\.png/);
    expectError(11, "manifest", /rounds/);
    expectError(13, "manifest", /expected a JSON object/);
    expectError(15, "manifest", /output item-001\.png is already written by line 12/);
    expect(errors.size).toBe(12);
    expect(lines.filter((line) => line.status === "accepted").map((line) => line.line).sort((x, y) => x - y)).toEqual([1, 12, 14, 16]);
    expect(errors.get(5)?.id).toBe("item-000");
    expect(outcome.tally).toMatchObject({ items: 16, accepted: 4, errors: 12, inputErrors: 12, providerErrors: 0 });
    const named = byId(lines).get(c!.id)!;
    expect(named.output).toBe(path.join(dir, "out", "named", "result.webp"));
    expect((await sharp(named.output!).metadata()).format).toBe("webp");
    expect(await readdir(path.join(dir, "out"))).not.toContain("evil.png");
  });

  it("reads CSV with a header, quoted fields and blank optional cells", async () => {
    const [a, b] = await goodRows(dir, 2);
    const manifest = path.join(dir, "manifest.csv");
    await writeFile(
      manifest,
      [
        "id,image,instruction,rounds,output",
        `${a!.id},${a!.image},"${a!.instruction}, please",,`,
        `${b!.id},${b!.image},"${b!.instruction}",1,b.jpg`,
        `short,${a!.image}`,
        `,${a!.image},no id,,`,
      ].join("\r\n"),
    );

    const { lines } = await runInProcess({ manifest, outDir: path.join(dir, "out"), fake });
    const results = byId(lines);
    expect(results.get(a!.id)).toMatchObject({ status: "accepted", line: 2, output: path.join(dir, "out", `${a!.id}.png`) });
    expect(results.get(b!.id)).toMatchObject({ status: "accepted", line: 3, output: path.join(dir, "out", "b.jpg") });
    expect(results.get("short")).toMatchObject({ status: "error", line: 4, error: { code: "manifest", message: expect.stringMatching(/2 fields where the header has 5/) } });
    expect(lines.find((line) => line.line === 5)).toMatchObject({ id: null, status: "error", error: { message: expect.stringMatching(/id: is missing/) } });
  });
});

describe("sharding", () => {
  it("splits the manifest so shards 0/3, 1/3 and 2/3 report every row exactly once", async () => {
    fake = await startBatchFake();
    dir = await tempDir();
    const rows = await goodRows(dir, 12);
    const manifest = await writeJsonl(path.join(dir, "manifest.jsonl"), [...rows, "{broken", { id: "no-image", instruction: "x" }]);

    const shards = [];
    for (let index = 0; index < 3; index++) {
      shards.push((await runInProcess({ manifest, outDir: path.join(dir, "out"), fake, batch: { shard: { index, count: 3 } } })).lines);
    }

    const reported = shards.flat().map((line) => line.line).sort((x, y) => x - y);
    expect(reported).toEqual(Array.from({ length: 14 }, (_, k) => k + 1));
    expect(shards.every((lines) => lines.length > 0 && lines.length < 14)).toBe(true);
    expect([...fake.editsByItem.values()]).toEqual(Array(12).fill(1));
  });
});

describe("resume", () => {
  beforeEach(async () => {
    fake = await startBatchFake();
    dir = await tempDir();
  });

  it("skips finished items, redoes unfinished ones, and keeps errors settled unless asked to retry them", async () => {
    const rows = await goodRows(dir, 6);
    const manifest = await writeJsonl(path.join(dir, "manifest.jsonl"), rows);
    const outDir = path.join(dir, "out");
    fake.fake.fail("edit", fault.authError(401)); // the first item to reach its edit fails for good
    const first = await runInProcess({ manifest, outDir, fake, flags: { maxRetries: 0 }, batch: { concurrency: 1 } });
    const failed = first.lines.find((line) => line.status === "error")!;
    expect(failed.error?.code).toBe("provider_auth");
    expect(first.outcome.tally).toMatchObject({ accepted: 5, providerErrors: 1 });

    // Simulate a crash: one item's output vanished, another's record says it was still running.
    const [lost, running] = rows.filter((row) => row.id !== failed.id);
    await rm(path.join(outDir, `${lost!.id}.png`));
    const runningRecord = path.join(outDir, "runs", running!.id, "run.json");
    const record = JSON.parse(await readFile(runningRecord, "utf8"));
    await writeFile(runningRecord, JSON.stringify({ ...record, status: "running" }));
    fake.editsByItem.clear();

    const resumed = await runInProcess({ manifest, outDir, fake, batch: { resume: "skip-finished-and-errors" } });
    expect([...fake.editsByItem.keys()].sort()).toEqual([lost!.id, running!.id].sort());
    expect(byId(resumed.lines).get(failed.id)).toMatchObject({ status: "error", resumed: true, error: { code: "provider_auth" }, calls: { mllm: 0, editor: 0 } });
    expect(resumed.lines.filter((line) => line.resumed).length).toBe(4);
    expect(resumed.outcome.tally).toMatchObject({ items: 6, accepted: 5, resumed: 4, providerErrors: 1 });

    fake.editsByItem.clear();
    const retried = await runInProcess({ manifest, outDir, fake, batch: { resume: "skip-finished" } });
    expect([...fake.editsByItem.keys()]).toEqual([failed.id]);
    expect(retried.outcome.tally).toMatchObject({ items: 6, accepted: 6, resumed: 5, errors: 0 });
  });

  it("redoes an item whose manifest row changed since its result was made", async () => {
    const rows = await goodRows(dir, 3);
    const manifest = await writeJsonl(path.join(dir, "manifest.jsonl"), rows);
    const outDir = path.join(dir, "out");
    await runInProcess({ manifest, outDir, fake });
    const changed = { ...rows[1]!, instruction: `${rows[1]!.instruction} and purple` };
    await writeJsonl(manifest, [rows[0]!, changed, rows[2]!]);
    fake.editsByItem.clear();
    const resumed = await runInProcess({ manifest, outDir, fake, batch: { resume: "skip-finished-and-errors" } });
    expect(resumed.lines.filter((line) => line.resumed).map((line) => line.id).sort()).toEqual([rows[0]!.id, rows[2]!.id].sort());
    expect(byId(resumed.lines).get(changed.id)).toMatchObject({ status: "accepted", resumed: false });
  });

  it("shares one decoded image among the rows that use it", async () => {
    const image = await writeImage(path.join(dir, "shared.png"), 3);
    const rows = Array.from({ length: 6 }, (_, k) => ({ id: `same-${k}`, image, instruction: instructionFor(`same-${k}`) }));
    const manifest = await writeJsonl(path.join(dir, "manifest.jsonl"), rows);
    const loads: string[] = [];
    const { loadInput } = await import("../../src/images/input.js");

    const { lines } = await runInProcess({
      manifest,
      outDir: path.join(dir, "out"),
      fake,
      loadImage: (spec) => (loads.push(spec), loadInput(spec)),
    });

    expect(lines.every((line) => line.status === "accepted")).toBe(true);
    expect(loads.length).toBeLessThan(6);
  });
});

describe("Ctrl-C", () => {
  beforeEach(async () => {
    fake = await startBatchFake({ share: 0 }, { edit: 400 });
    dir = await tempDir();
  });

  it("first stops starting items and lets those in flight finish; second aborts them", async () => {
    const rows = await goodRows(dir, 10);
    const manifest = await writeJsonl(path.join(dir, "manifest.jsonl"), rows);
    const stop = new AbortController();
    const abort = new AbortController();
    const running = runInProcess({ manifest, outDir: path.join(dir, "out"), fake, stop: stop.signal, abort: abort.signal, batch: { concurrency: 2 } });
    await fake.fake.received("edit", 2);
    stop.abort();
    const { lines, outcome } = await running;

    expect(outcome.stopped).toBe(true);
    expect(lines.map((line) => line.status)).toEqual(["accepted", "accepted"]);
    const started = new Set(fake.fake.requestsOf("chat").map((request) => /⟪([^⟫]+)⟫/.exec(JSON.stringify(request.body))?.[1]));
    started.delete(undefined); // some steps (quality scoring) never see the instruction
    expect(started.size).toBe(2);

    const again = new AbortController();
    const stopAgain = new AbortController();
    const second = runInProcess({ manifest, outDir: path.join(dir, "out"), fake, stop: stopAgain.signal, abort: again.signal, batch: { concurrency: 2, resume: "skip-finished-and-errors" } });
    await fake.fake.until(() => fake.fake.inFlight() >= 2 && fake.fake.requestsOf("edit").length >= 4);
    stopAgain.abort();
    again.abort();
    const aborted = await second;
    const fresh = aborted.lines.filter((line) => !line.resumed);
    const interrupted = fresh.filter((line) => line.error?.code === "interrupted");
    expect(interrupted.length).toBeGreaterThan(0);
    expect(fresh.every((line) => line.status === "accepted" || line.error?.code === "interrupted")).toBe(true);
    const record = await readRunRecord(interrupted[0]!.run_record!);
    expect(record.status).toBe("interrupted");
  });
});
