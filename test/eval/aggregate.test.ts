import { describe, expect, it } from "vitest";
import { aggregate, countMissing, judgeSpread, scoreSample, type JudgedItem } from "../../src/eval/aggregate.js";

// Hand-computed (GEdit-Bench's rule: per item O = √(min SC · min PQ); mean per category; unweighted mean of categories):
//   A1: SC [8,6] PQ [7,9]  → SC 6, PQ 7, O √42 = 6.480741
//   A2: SC [4,9] PQ [9,9]  → SC 4, PQ 9, O √36 = 6
//   B1: SC [10,8] PQ missing → SC 8, PQ –, O –
//   B2: SC [5,5] PQ [5,8]  → SC 5, PQ 5, O 5
//   A: SC 5, PQ 8, O 6.240370     B: SC 6.5, PQ 5, O 5
//   overall: SC 5.75, PQ 6.5, O 5.620185 (not √(5.75·6.5) = 6.11, and not the item mean 5.83)
const table: JudgedItem[] = [
  { category: "A", repeats: [{ sc: [8, 6], pq: [7, 9] }] },
  { category: "A", repeats: [{ sc: [4, 9], pq: [9, 9] }] },
  { category: "B", repeats: [{ sc: [10, 8], pq: null }] },
  { category: "B", repeats: [{ sc: [5, 5], pq: [5, 8] }] },
];

describe("GEdit-style aggregation", () => {
  it("averages per-item O within each category, then the categories without weighting, leaving a missing score out", () => {
    const result = aggregate(table);
    expect(result.categories.A!.SC).toBeCloseTo(5, 6);
    expect(result.categories.A!.PQ).toBeCloseTo(8, 6);
    expect(result.categories.A!.O).toBeCloseTo((Math.sqrt(42) + 6) / 2, 6);
    expect(result.categories.B!.SC).toBeCloseTo(6.5, 6);
    expect(result.categories.B!.PQ).toBeCloseTo(5, 6);
    expect(result.categories.B!.O).toBeCloseTo(5, 6);
    expect(result.overall.SC).toBeCloseTo(5.75, 6);
    expect(result.overall.PQ).toBeCloseTo(6.5, 6);
    expect(result.overall.O).toBeCloseTo(5.620185, 5);
  });

  it("counts the unparseable judge reply as missing rather than guessing it", () => {
    expect(countMissing(table)).toEqual({ SC: 0, PQ: 1, O: 1 });
    expect(scoreSample([{ sc: [10, 8], pq: null }])).toEqual({ SC: 8, PQ: null, O: null });
  });

  it("counts an item whose mode failed (no judgements at all) as missing O without touching the means", () => {
    const withFailure = [...table, { category: "B", repeats: [] }];
    expect(aggregate(withFailure)).toEqual(aggregate(table));
    expect(countMissing(withFailure).O).toBe(2);
  });

  it("gives null scores when a category has nothing scored, and leaves it out of the overall mean", () => {
    const result = aggregate([...table, { category: "C", repeats: [{ sc: null, pq: null }] }]);
    expect(result.categories.C).toEqual({ SC: null, PQ: null, O: null });
    expect(result.overall.O).toBeCloseTo(5.620185, 5);
  });

  it("averages judge repeats per item and reports how the overall O spreads between repeats", () => {
    const repeated: JudgedItem[] = [
      { category: "A", repeats: [{ sc: [8, 8], pq: [8, 8] }, { sc: [6, 6], pq: [6, 6] }] },
      { category: "B", repeats: [{ sc: [4, 4], pq: [9, 9] }, { sc: null, pq: [9, 9] }] },
    ];
    expect(scoreSample(repeated[0]!.repeats)).toEqual({ SC: 7, PQ: 7, O: 7 });
    expect(scoreSample(repeated[1]!.repeats)).toEqual({ SC: 4, PQ: 9, O: 6 });
    const spread = judgeSpread(repeated, 2).O;
    expect(spread.per_repeat).toEqual([7, 6]); // repeat 1: (8 + 6) / 2; repeat 2: only A has an O
    expect(spread.mean).toBe(6.5);
    expect(spread.std).toBeCloseTo(Math.SQRT1_2, 6);
    expect([spread.min, spread.max]).toEqual([6, 7]);
    expect(judgeSpread(table, 1).O.std).toBe(0);
  });
});
