import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeHub, type FakeHub } from "../fakes/fake-hub.mjs";
import { cleanEnv, runCli, type CliResult } from "../support/run-cli.js";
import { startEvalFake, type EvalFake } from "./eval-fake.js";
import { geditParquet } from "./hub-fixtures.js";
import { expectExit } from "../support/assertions.js";

// The built CLI against two loopback fakes: the Hub (HF_ENDPOINT) serving a parquet file this test writes, and the
// model servers. No token, no internet.
const DATASET = "hf://datasets/stepfun-ai/GEdit-Bench";

let hub: FakeHub;
let models: EvalFake;
let home: string;
let cacheDir: string;
let first: CliResult;
let second: CliResult;
const counts: Record<string, { downloads: number; models: number }> = {};

function downloads(): number {
  return hub.requestsOf("resolve").length + hub.requestsOf("bridge").length;
}

function cli(args: string[], endpoint = hub.url): Promise<CliResult> {
  return runCli(args, { cwd: home, env: cleanEnv(home, { HF_ENDPOINT: endpoint }) });
}

function evalArgs(outDir: string, ...extra: string[]): string[] {
  return ["eval", DATASET, "--out-dir", outDir, "--cache-dir", cacheDir, "--modes", "single,think", "-j", "2", ...models.urlFlags, ...extra];
}

async function itemsOf(outDir: string): Promise<string[]> {
  const report = JSON.parse(await readFile(path.join(home, outDir, "report.json"), "utf8")) as { items: { key: string; language?: string }[] };
  return report.items.map((item) => `${item.key}/${item.language}`);
}

beforeAll(async () => {
  hub = await startFakeHub();
  hub.addDataset("stepfun-ai/GEdit-Bench", { "README.md": "# GEdit-Bench\n", "data/train-00000-of-00001.parquet": await geditParquet() });
  models = await startEvalFake();
  home = await mkdtemp(path.join(tmpdir(), "reasonedit-eval-hub-"));
  cacheDir = path.join(home, "cache");
  first = await cli(evalArgs("first", "--limit", "2"));
  counts.first = { downloads: downloads(), models: models.modelCalls() };
  second = await cli(evalArgs("second", "--limit", "2"));
  counts.second = { downloads: downloads(), models: models.modelCalls() };
}, 180_000);

afterAll(async () => {
  await hub?.close();
  await models?.close();
  if (home) await rm(home, { recursive: true, force: true });
});

describe("reasonedit eval hf://datasets/…", () => {
  it("downloads the dataset, runs the first --limit items and writes a report", async () => {
    expect(first.stderr).not.toMatch(/internal error/);
    expectExit(first, 0);
    expect(first.stderr).toMatch(/downloading data\/train-00000-of-00001\.parquet/);
    expect(first.stderr).toMatch(/running 2 of 6 items/);
    expect(await itemsOf("first")).toEqual(["a1/en", "a1/cn"]);
    expect(counts.first!.downloads).toBeGreaterThan(0);
    const report = JSON.parse(await readFile(path.join(home, "first", "report.json"), "utf8")) as { settings: Record<string, unknown> };
    expect(report.settings.items).toEqual({ total: 6, run: 2, skipped: 0, limit: 2 });
    expect(report.settings.benchmark_commit).toMatch(/^[0-9a-f]{40}$/);
  });

  it("does not download again on the second run, and replays the model calls from the cache", async () => {
    expectExit(second, 0);
    expect(second.stderr).not.toMatch(/downloading/);
    expect(counts.second!.downloads).toBe(counts.first!.downloads);
    expect(counts.second!.models).toBe(counts.first!.models);
    expect(await itemsOf("second")).toEqual(await itemsOf("first"));
  });

  it("runs from the cache with --offline, asking the Hub nothing", async () => {
    const requests = hub.requests.length;
    const result = await cli(evalArgs("offline", "--limit", "2", "--offline"), "http://127.0.0.1:9");
    expectExit(result, 0);
    expect(hub.requests).toHaveLength(requests);
  });

  it("filters by --language and --categories", async () => {
    const result = await cli(evalArgs("cn", "--language", "cn", "--categories", "color_alter"));
    expectExit(result, 0);
    expect(await itemsOf("cn")).toEqual(["a1/cn", "b2/cn"]);
  });

  it("draws the same --sample for the same --seed", async () => {
    const once = await cli(evalArgs("sample-1", "--sample", "2", "--seed", "11"));
    const again = await cli(evalArgs("sample-2", "--sample", "2", "--seed", "11"));
    expect([once.code, again.code]).toEqual([0, 0]);
    expect(await itemsOf("sample-1")).toHaveLength(2);
    expect(await itemsOf("sample-2")).toEqual(await itemsOf("sample-1"));
  });

  it("exits 2 with what to do when the dataset does not exist or is not cached for --offline", async () => {
    const missing = await cli(["eval", "hf://datasets/nobody/nothing", "--cache-dir", cacheDir, ...models.urlFlags]);
    expectExit(missing, 2);
    expect(missing.stderr).toMatch(/dataset nobody\/nothing not found/);
    expect(missing.stderr).toMatch(/private dataset needs HF_TOKEN/);
    const offline = await cli(["eval", "hf://datasets/nobody/nothing", "--cache-dir", cacheDir, "--offline", ...models.urlFlags]);
    expectExit(offline, 2);
    expect(offline.stderr).toMatch(/offline: hf:\/\/datasets\/nobody\/nothing is not in the cache/);
  });

  it("rejects a bad --limit or --sample as a usage error", async () => {
    const result = await cli(evalArgs("bad", "--limit", "0"));
    expectExit(result, 2);
    expect(result.stderr).toMatch(/invalid --limit/);
  });
  // Last: it deletes the download the other tests share.
  it("counts the downloaded dataset in cache stats; cache clear keeps it unless --datasets", async () => {
    const stats = await cli(["cache", "stats", "--cache-dir", cacheDir, "--json"]);
    expect(stats.code).toBe(0);
    const counted = JSON.parse(stats.stdout) as { datasets: { datasets: number; bytes: number } };
    expect(counted.datasets.datasets).toBe(1);
    expect(counted.datasets.bytes).toBeGreaterThan(1000);

    const clear = await cli(["cache", "clear", "--cache-dir", cacheDir]);
    expect(clear.code).toBe(0);
    expect(clear.stdout).toMatch(/kept 1 downloaded dataset \(.+\); --datasets removes them too/);
    // The answers are gone, so the offline run misses on its model calls, but it reads the kept dataset first.
    const kept = await cli(evalArgs("kept", "--limit", "1", "--offline"), "http://127.0.0.1:9");
    expect(kept.stderr).toMatch(/running 1 of 6 items/);
    expect(kept.stderr).not.toMatch(/GEdit-Bench is not in the cache/);

    const wipe = await cli(["cache", "clear", "--datasets", "--cache-dir", cacheDir]);
    expect(wipe.stdout).toMatch(/removed 1 downloaded dataset/);
    const after = JSON.parse((await cli(["cache", "stats", "--cache-dir", cacheDir, "--json"])).stdout) as { datasets: { datasets: number } };
    expect(after.datasets.datasets).toBe(0);
    const gone = await cli(evalArgs("gone", "--limit", "1", "--offline"), "http://127.0.0.1:9");
    expect(gone.stderr).toMatch(/offline: hf:\/\/datasets\/stepfun-ai\/GEdit-Bench is not in the cache/);
    expect(gone.code).toBe(2);
  });
});
