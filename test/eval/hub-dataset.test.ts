import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadBenchmark, type LoadBenchmarkOptions } from "../../src/eval/load-benchmark.js";
import { parseHubSpec } from "../../src/eval/hub-dataset.js";
import { startFakeHub, type FakeHub } from "../fakes/fake-hub.mjs";
import { FIXTURES } from "./eval-doubles.js";
import { GEDIT_ROWS, geditParquet, krisFiles } from "./hub-fixtures.js";

const GEDIT = "hf://datasets/stepfun-ai/GEdit-Bench";
const PARQUET = "data/train-00000-of-00001.parquet";

let hub: FakeHub;
let home: string;

beforeAll(async () => {
  hub = await startFakeHub({ pageSize: 2 });
  hub.addDataset("stepfun-ai/GEdit-Bench", { "README.md": "---\nlicense: apache-2.0\n---\n# GEdit-Bench\n", ".gitattributes": "*.parquet filter=lfs", [PARQUET]: await geditParquet(GEDIT_ROWS, { rowGroupSize: 4 }) });
  hub.addDataset("someone/kris", { "README.md": "# KRIS", ...(await krisFiles("KRIS_Bench")) });
  hub.addDataset("someone/no-instructions", { "data/train.parquet": await geditParquet(GEDIT_ROWS, { omit: "instruction" }) });
  hub.addDataset("someone/splits", { "data/train-00000-of-00001.parquet": await geditParquet(GEDIT_ROWS.slice(0, 2)), "data/test-00000-of-00001.parquet": await geditParquet(GEDIT_ROWS.slice(2)) });
  hub.addDataset("someone/converted", { "README.md": "# images and a CSV the Hub converted" });
  hub.addDataset("someone/converted", { "default/train/0000.parquet": await geditParquet(GEDIT_ROWS.slice(4)) }, { branch: "refs/convert/parquet" });
  hub.addDataset("someone/private", { [PARQUET]: await geditParquet() }, { private: true });
  home = await mkdtemp(path.join(tmpdir(), "reasonedit-hub-"));
});

afterAll(async () => {
  await hub?.close();
  if (home) await rm(home, { recursive: true, force: true });
});

function options(cacheDir: string, extra: Partial<LoadBenchmarkOptions> = {}): LoadBenchmarkOptions {
  return { cwd: home, cacheDir: path.join(home, cacheDir), offline: false, hubUrl: hub.url, selection: { seed: 0 }, retryBaseDelayMs: 0, ...extra };
}

async function digestOf(file: string): Promise<string> {
  return createHash("sha256").update(await readFile(file)).digest("hex");
}

function downloads(): number {
  return hub.requestsOf("resolve").length + hub.requestsOf("bridge").length;
}

describe("benchmarks from the Hub", () => {
  it("downloads GEdit-Bench's parquet once and reads every row, images embedded, languages and intersection kept", async () => {
    const lines: string[] = [];
    const first = await loadBenchmark(GEDIT, options("c1", { say: (line) => lines.push(line) }));
    expect(first.shape).toBe("gedit");
    expect(first.items.map((item) => [item.key, item.language, item.taskType, item.intersection])).toEqual(
      GEDIT_ROWS.map((row) => [row.key, row.instruction_language, row.task_type, row.Intersection_exist]),
    );
    for (const [index, item] of first.items.entries()) {
      expect(await digestOf(item.image)).toBe(await digestOf(path.join(FIXTURES, GEDIT_ROWS[index]!.image)));
    }
    expect(new Set(first.items.map((item) => item.slug)).size).toBe(6); // a1's EN and CN rows get folders of their own
    expect(first.items[1]!.slug).toBe("a1-cn");
    expect(lines).toEqual([expect.stringMatching(/downloading data\/train-00000-of-00001\.parquet \([\d.]+ [KM]iB\)/)]);
    expect(hub.requestsOf("bridge")).toHaveLength(1);

    const before = { downloads: downloads(), tree: hub.requestsOf("tree").length, info: hub.requestsOf("info").length };
    const second = await loadBenchmark(GEDIT, options("c1"));
    expect(second.items.map((item) => item.image)).toEqual(first.items.map((item) => item.image));
    expect(downloads()).toBe(before.downloads);
    expect(hub.requestsOf("tree")).toHaveLength(before.tree);
    expect(hub.requestsOf("info")).toHaveLength(before.info + 1); // main may have moved: one look-up, nothing else

    const requests = hub.requests.length;
    const offline = await loadBenchmark(GEDIT, options("c1", { offline: true, hubUrl: "http://127.0.0.1:9" }));
    expect(offline.items).toHaveLength(6);
    expect(hub.requests).toHaveLength(requests);
  });

  it("speaks the Hub's real routes: revision look-up, paginated recursive tree at the commit, resolve then the CDN", () => {
    const info = hub.requestsOf("info")[0]!;
    expect(info.path).toMatch(/^\/api\/datasets\/stepfun-ai\/GEdit-Bench\/revision\/main\?.*expand=sha/);
    const trees = hub.requestsOf("tree");
    expect(trees[0]!.path).toMatch(/^\/api\/datasets\/stepfun-ai\/GEdit-Bench\/tree\/[0-9a-f]{40}\?recursive=true/);
    expect(trees.length).toBeGreaterThan(1); // followed the Link: rel="next" pages
    expect(hub.requestsOf("resolve")[0]!.path).toMatch(/\/datasets\/stepfun-ai\/GEdit-Bench\/resolve\/[0-9a-f]{40}\/data\/train-00000-of-00001\.parquet$/);
    expect(hub.requests.some((request) => request.headers.authorization)).toBe(false);
  });

  it("filters by --language and --categories before writing images, and --limit takes the first items", async () => {
    const loaded = await loadBenchmark(GEDIT, options("c2", { selection: { seed: 0, language: "cn", categories: ["color_alter"] } }));
    expect(loaded.items.map((item) => `${item.key}/${item.language}`)).toEqual(["a1/cn", "b2/cn"]);
    expect(loaded.total).toBe(6);
    const images = await readdir(path.dirname(loaded.items[0]!.image));
    expect(images.sort()).toEqual(["row-1.png", "row-3.png"]);
    const limited = await loadBenchmark(GEDIT, options("c2", { selection: { seed: 0, limit: 2 } }));
    expect(limited.items.map((item) => `${item.key}/${item.language}`)).toEqual(["a1/en", "a1/cn"]);
  });

  it("samples with the seed: the same seed picks the same items, spread over the categories", async () => {
    const pick = async (seed: number) => (await loadBenchmark(GEDIT, options("c3", { selection: { seed, sample: 2 } }))).items.map((item) => `${item.key}/${item.language}`);
    const once = await pick(7);
    expect(await pick(7)).toEqual(once);
    const categories = (await loadBenchmark(GEDIT, options("c3", { selection: { seed: 7, sample: 2 } }))).items.map((item) => item.taskType);
    expect(new Set(categories)).toEqual(new Set(["color_alter", "style_change"]));
    const seeds = await Promise.all([1, 2, 3, 4, 5, 6].map(pick));
    expect(new Set(seeds.map((keys) => keys.join(","))).size).toBeGreaterThan(1);
  });

  it("reads KRIS-Bench's category folders from the Hub, downloading only the images it runs", async () => {
    const before = hub.requestsOf("resolve").length;
    const loaded = await loadBenchmark("hf://datasets/someone/kris", options("c4", { selection: { seed: 0, categories: ["count_change"], limit: 1 } }));
    expect(loaded.shape).toBe("kris");
    expect(loaded.items).toEqual([
      expect.objectContaining({ key: "count_change/1", taskType: "count_change", instruction: "add one more cup [1 round]", language: "en", knowledgeHint: "two cups in the end" }),
    ]);
    expect(await digestOf(loaded.items[0]!.image)).toBe(await digestOf(path.join(FIXTURES, "coffee.png")));
    expect(loaded.total).toBe(3);
    expect(loaded.skipped).toEqual([{ where: "multi-element_composition/annotation.json id 1", reason: "2 input images (reasonedit edits one image)" }]);
    const fetched = new Set(hub.requestsOf("resolve").slice(before).map((request) => decodeURIComponent(request.path.split("/").slice(6).join("/"))));
    expect([...fetched].filter((file) => !file.endsWith("annotation.json"))).toEqual(["KRIS_Bench/count_change/1.png"]);
  });

  it("says what to do when the dataset is missing, private, unreadable, or not cached for --offline", async () => {
    await expect(loadBenchmark("hf://datasets/nobody/missing", options("c5"))).rejects.toMatchObject({ code: "input_missing", message: expect.stringMatching(/dataset nobody\/missing not found .*HTTP 401/) });
    await expect(loadBenchmark("hf://datasets/someone/private", options("c5"))).rejects.toMatchObject({ code: "input_missing", hint: expect.stringMatching(/private dataset needs HF_TOKEN/) });
    await expect(loadBenchmark(`${GEDIT}@v9`, options("c5"))).rejects.toMatchObject({ code: "input_missing", message: expect.stringMatching(/no revision "v9"/) });
    await expect(loadBenchmark("hf://datasets/someone/no-instructions", options("c5"))).rejects.toMatchObject({
      code: "manifest",
      message: expect.stringMatching(/data\/train\.parquet has no instruction \(its columns: task_type, key, instruction_language, input_image, Intersection_exist\)/),
    });
    await expect(loadBenchmark(GEDIT, options("c6", { offline: true }))).rejects.toMatchObject({ code: "cache_miss", hint: expect.stringMatching(/without --offline/) });
    await expect(loadBenchmark(GEDIT, options("c6", { hubUrl: "http://127.0.0.1:9" }))).rejects.toMatchObject({ code: "provider_network", message: expect.stringMatching(/could not look up main of .* from http:\/\/127\.0\.0\.1:9/) });
  });

  it("retries what passes (5xx, 429, a download cut short) and says so when the retries run out", async () => {
    hub.fail("info", 502);
    hub.fail("tree", 429);
    hub.fail("bridge", "truncate", 503);
    const before = hub.requestsOf("bridge").length;
    const loaded = await loadBenchmark(GEDIT, options("c9"));
    expect(loaded.items).toHaveLength(6);
    expect(hub.requestsOf("bridge").length - before).toBe(3);
    expect(await readdir(path.join(home, "c9", "datasets", "stepfun-ai", "GEdit-Bench", "snapshots", (await readdir(path.join(home, "c9", "datasets", "stepfun-ai", "GEdit-Bench", "snapshots")))[0]!, "data"))).toEqual(["train-00000-of-00001.parquet"]); // no partial file left

    hub.fail("info", 503, 503);
    const infos = hub.requestsOf("info").length;
    await expect(loadBenchmark(GEDIT, options("c10", { maxRetries: 1 }))).rejects.toMatchObject({ code: "provider_unavailable", message: expect.stringMatching(/the Hub answered HTTP 503 to look up main/) });
    expect(hub.requestsOf("info").length - infos).toBe(2);
  });

  it("never mixes splits: several are an error naming them, and /<split> picks one", async () => {
    await expect(loadBenchmark("hf://datasets/someone/splits", options("c11"))).rejects.toMatchObject({
      code: "usage",
      message: "hf://datasets/someone/splits has 2 splits: data/test, data/train",
      hint: "name the one to run after the dataset, e.g. hf://datasets/someone/splits/data/test",
    });
    const test = await loadBenchmark("hf://datasets/someone/splits/data/test", options("c11"));
    expect(test.items.map((item) => item.key)).toEqual(["b2", "b2", "c3", "c3"]);
  });

  it("falls back to the Hub's own parquet conversion when main has no parquet file", async () => {
    const loaded = await loadBenchmark("hf://datasets/someone/converted", options("c12"));
    expect(loaded.items.map((item) => `${item.key}/${item.language}`)).toEqual(["c3/en", "c3/cn"]);
    expect(hub.requestsOf("info").at(-1)!.path).toMatch(/\/revision\/refs%2Fconvert%2Fparquet\?/);
  });

  it("parses hf:// specs with a revision and a folder", () => {
    expect(parseHubSpec("hf://datasets/o/n")).toEqual({ repo: "o/n", revision: "main", path: "", explicitRevision: false });
    expect(parseHubSpec("hf://datasets/o/n@refs%2Fconvert%2Fparquet/default/train/")).toEqual({ repo: "o/n", revision: "refs/convert/parquet", path: "default/train", explicitRevision: true });
    expect(() => parseHubSpec("hf://models/o/n")).toThrow(/not a Hub dataset/);
  });
});

describe("local benchmark folders and files", () => {
  it("reads a KRIS-Bench folder as released, skipping multi-image items", async () => {
    const root = path.join(home, "KRIS_Bench");
    for (const [file, content] of Object.entries(await krisFiles())) {
      await mkdir(path.dirname(path.join(root, file)), { recursive: true });
      await writeFile(path.join(root, file), content);
    }
    const loaded = await loadBenchmark("KRIS_Bench", options("c7"));
    expect(loaded.shape).toBe("kris");
    expect(loaded.items.map((item) => [item.key, item.image])).toEqual([
      ["chemistry/7", path.join(root, "chemistry/7.png")],
      ["count_change/1", path.join(root, "count_change/1.png")],
      ["count_change/2", path.join(root, "count_change/2.png")],
    ]);
    expect(loaded.items[2]!.knowledgeHint).toBeUndefined();
    expect(loaded.skipped).toHaveLength(1);
  });

  it("reads a local parquet file, writing its images into the cache rather than beside it", async () => {
    await writeFile(path.join(home, "gedit.parquet"), await geditParquet());
    const loaded = await loadBenchmark("gedit.parquet", options("c8", { selection: { seed: 0, language: "en" } }));
    expect(loaded.items.map((item) => item.key)).toEqual(["a1", "b2", "c3"]);
    expect(loaded.items[0]!.image.startsWith(path.join(home, "c8", "datasets", "local"))).toBe(true);
    expect(await readFile(path.join(home, "c8", "CACHEDIR.TAG"), "utf8")).toMatch(/^Signature: 8a477f597d28d172789f06886806bc55/);
  });

  it("rejects a filter that matches nothing, listing what there is", async () => {
    await expect(loadBenchmark(GEDIT, options("c1", { selection: { seed: 0, language: "de" } }))).rejects.toThrow(/no items in language "de"/);
    await expect(loadBenchmark(GEDIT, options("c1", { selection: { seed: 0, categories: ["colour"] } }))).rejects.toMatchObject({ hint: "its categories: color_alter, style_change" });
  });
});
