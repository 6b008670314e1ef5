import { describe, expect, it } from "vitest";
import { sampleSpread, selectItems } from "../../src/eval/select-items.js";

const items = ["a", "b", "c"].flatMap((taskType) => Array.from({ length: 10 }, (_, index) => ({ key: `${taskType}${index}`, taskType, language: index % 2 ? "cn" : "en" })));

describe("choosing benchmark items", () => {
  it("samples evenly over the categories, reproducibly, and a larger sample holds a smaller one", () => {
    const six = sampleSpread(items, 6, 42);
    expect(six.map((item) => item.taskType)).toEqual(["a", "a", "b", "b", "c", "c"]);
    expect(sampleSpread(items, 6, 42)).toEqual(six);
    const nine = sampleSpread(items, 9, 42);
    expect(six.every((item) => nine.includes(item))).toBe(true);
    expect(sampleSpread(items, 6, 43)).not.toEqual(six);
    expect(sampleSpread(items, 100, 1)).toEqual(items);
  });

  it("filters language and categories first, samples next, and limits last, keeping benchmark order", () => {
    const chosen = selectItems(items, { seed: 3, language: "EN", categories: ["b", "c"], sample: 4, limit: 3 }, "bench");
    expect(chosen).toHaveLength(3);
    expect(chosen.every((item) => item.language === "en" && item.taskType !== "a")).toBe(true);
    expect(chosen.map((item) => items.indexOf(item))).toEqual([...chosen.map((item) => items.indexOf(item))].sort((x, y) => x - y));
    expect(() => selectItems(items, { seed: 0, categories: ["a", "z"] }, "bench")).toThrow(/bench has no category "z"/);
    expect(() => selectItems([{ key: "k", taskType: "t" }], { seed: 0, language: "en" }, "bench")).toThrow(expect.objectContaining({ hint: expect.stringMatching(/marks no language/) }));
  });
});
