import path from "node:path";
import { describe, expect, it } from "vitest";
import { categoriesOf, parseBenchmark, readBenchmark, slugOf } from "../../src/eval/benchmark.js";
import { chooseMetric, resolveEvalOptions } from "../../src/eval/eval-options.js";
import { loopSettingsFor, parseModes, seedFor } from "../../src/eval/modes.js";
import { DEFAULT_LOOP_SETTINGS } from "../../src/loop/run-edit-loop.js";

const root = path.resolve(import.meta.dirname, "../..");

describe("benchmark files", () => {
  it("reads the sample benchmark: at least 12 items over at least 4 GEdit categories, on the real photographs", async () => {
    const items = await readBenchmark("fixtures/bench/sample.jsonl", root);
    expect(items.length).toBeGreaterThanOrEqual(12);
    expect(categoriesOf(items).length).toBeGreaterThanOrEqual(4);
    const images = new Set(items.map((item) => path.relative(root, item.image)));
    expect([...images].sort()).toEqual(["fixtures/chelsea.png", "fixtures/coffee.png", "fixtures/rocket.jpg"]);
  });

  it("accepts GEdit-Bench rows as they are (extra fields, instruction_language) and resolves images against the file", () => {
    const line = JSON.stringify({ key: 7, task_type: "color_alter", instruction: "make it red", input_image: "img/a.png", instruction_language: "en", Intersection_exist: true });
    const [item] = parseBenchmark(line, "/data/gedit", "gedit.jsonl");
    expect(item).toMatchObject({ key: "7", taskType: "color_alter", image: "/data/gedit/img/a.png", language: "en" });
  });

  it.each([
    ['{"key": "a", "task_type": "x", "instruction": "y"}', /line 1: input_image/],
    ["not json", /line 1 is not JSON/],
    ['{"key":"a","task_type":"x","instruction":"y","input_image":"a.png"}\n{"key":"a","task_type":"x","instruction":"y","input_image":"b.png"}', /key "a" repeats line 1/],
    ["\n\n", /has no items/],
  ])("rejects a bad benchmark with the line at fault: %s", (text, message) => {
    expect(() => parseBenchmark(text, "/data", "bench.jsonl")).toThrow(message);
  });

  it("gives every key a distinct, file-system-safe folder name", () => {
    expect(slugOf("abc_12-x")).toBe("abc_12-x");
    expect(slugOf("a/b")).toMatch(/^a-b-[0-9a-f]{8}$/);
    expect(slugOf("a/b")).not.toBe(slugOf("a?b"));
  });
});

describe("modes and seeds", () => {
  it("orders modes canonically and insists on loop when reroll is asked for", () => {
    expect(parseModes("loop, single")).toEqual(["single", "loop"]);
    expect(() => parseModes("reroll")).toThrow(/needs loop/);
    expect(() => parseModes("single,magic")).toThrow(/unknown eval mode: magic/);
  });

  it("derives a seed per item and mode that does not change between runs", () => {
    expect(seedFor(0, "item-1", "single")).toBe(seedFor(0, "item-1", "single"));
    expect(seedFor(0, "item-1", "single")).not.toBe(seedFor(0, "item-1", "think"));
    expect(seedFor(0, "item-1", "loop")).not.toBe(seedFor(1, "item-1", "loop"));
    expect(seedFor(2 ** 31 - 1, "x", "reroll")).toBeLessThan(2 ** 31);
  });

  it("turns thinking and reflection on and off per mode; only full keeps preserve and --candidates", () => {
    const base = { ...DEFAULT_LOOP_SETTINGS, rounds: 4, candidates: 3, preserve: true };
    expect(loopSettingsFor("single", base, 1)).toMatchObject({ think: false, reflect: false, rounds: 1, seed: 1, preserve: false, candidates: 1 });
    expect(loopSettingsFor("think", base, 2)).toMatchObject({ think: true, reflect: false, rounds: 1, preserve: false, candidates: 1 });
    expect(loopSettingsFor("loop", base, 3)).toMatchObject({ think: true, reflect: true, rounds: 4, preserve: false, ops: false, changeMap: false, candidates: 1 });
    expect(loopSettingsFor("reroll", base, 4)).toMatchObject({ think: false, reflect: false, rounds: 1, preserve: false, candidates: 1 });
    expect(loopSettingsFor("full", base, 5)).toMatchObject({ think: true, reflect: true, rounds: 4, preserve: true, ops: true, changeMap: true, candidates: 3 });
  });
});

describe("eval options", () => {
  it("defaults the judge to a model other than the reflection MLLM, and the out-dir to ./reasonedit-eval/<name>", () => {
    const options = resolveEvalOptions({}, {}, "fixtures/bench/sample.jsonl", "/work");
    expect(options.judge).toBe("Qwen/Qwen2.5-VL-72B-Instruct");
    expect(options.outDir).toBe("/work/reasonedit-eval/sample");
    expect(options.modes).toEqual(["single", "think", "loop", "reroll"]);
    expect(options.judgeRepeats).toBe(1);
  });

  it("lets flags outrank REASONEDIT_JUDGE_* and rejects a gate without the loop mode", () => {
    const env = { REASONEDIT_JUDGE: "env/judge", REASONEDIT_JUDGE_URL: "http://127.0.0.1:9/v1" };
    expect(resolveEvalOptions({ judge: "flag/judge" }, env, "b.jsonl", "/w")).toMatchObject({ judge: "flag/judge", judgeUrl: "http://127.0.0.1:9/v1" });
    expect(() => resolveEvalOptions({ modes: "single,think", minScore: "6" }, {}, "b.jsonl", "/w")).toThrow(/--min-score gates the loop mode/);
    expect(resolveEvalOptions({ modes: "single,full", minScore: "6" }, {}, "b.jsonl", "/w").modes).toEqual(["single", "full"]);
    expect(() => resolveEvalOptions({ judgeRepeats: "0" }, {}, "b.jsonl", "/w")).toThrow(/--judge-repeats/);
  });

  it("follows the benchmark's metric unless --metric says otherwise, and checks --min-score against its scale", () => {
    expect(chooseMetric({}, true)).toBe("kris");
    expect(chooseMetric({}, false)).toBe("viescore");
    expect(chooseMetric({ metric: "viescore" }, true)).toBe("viescore");
    expect(chooseMetric({ minScore: 60 }, true)).toBe("kris");
    expect(() => chooseMetric({ minScore: 60 }, false)).toThrow(/above VIEScore's 0–10 scale/);
    expect(() => resolveEvalOptions({ metric: "clip" }, {}, "b.jsonl", "/w")).toThrow(/invalid --metric \(from the command line\): must be one of viescore, kris/);
    expect(resolveEvalOptions({}, { REASONEDIT_JUDGE_IMAGES: "original" }, "b.jsonl", "/w").judgeImages).toBe("original");
    expect(resolveEvalOptions({}, {}, "b.jsonl", "/w")).toMatchObject({ judgeImages: "working" });
    expect(resolveEvalOptions({}, {}, "b.jsonl", "/w").metric).toBeUndefined();
  });

  it("reads GEdit's intersection mark under either name", () => {
    const rows = [
      { key: "a", task_type: "x", instruction: "y", input_image: "a.png", Intersection_exist: true },
      { key: "b", task_type: "x", instruction: "y", input_image: "a.png", intersection: false },
      { key: "c", task_type: "x", instruction: "y", input_image: "a.png" },
    ];
    const items = parseBenchmark(rows.map((row) => JSON.stringify(row)).join("\n"), "/d", "b.jsonl");
    expect(items.map((item) => item.intersection)).toEqual([true, false, undefined]);
  });
});
