import { describe, expect, it } from "vitest";
import type { BenchmarkItem } from "../../src/eval/benchmark.js";
import type { ScoreRecord } from "../../src/eval/metric.js";
import type { EvalMode } from "../../src/eval/modes.js";
import { zeroCost, type ItemOutcome, type ModeOutcome } from "../../src/eval/outcome.js";
import { mulberry32, pairedDelta, quantile } from "../../src/eval/paired-delta.js";
import { buildReport, type ReportSettings } from "../../src/eval/report.js";
import { renderMarkdown } from "../../src/eval/report-markdown.js";

// Report-level tests on hand-made judged outcomes: no edits, so every number here is computed by hand.

/** A judged mode whose every score is `value` (SC = PQ = O), or a failed one (null), or one the judge left unscored. */
function judgedMode(mode: EvalMode, value: number | null | "unscored"): ModeOutcome {
  const failed = value === null;
  const repeats: ScoreRecord[] = failed ? [] : value === "unscored" ? [{ SC: null, PQ: 5, O: null }] : [{ SC: value, PQ: value, O: value }];
  return {
    mode,
    status: failed ? "error" : "ok",
    output: failed ? null : `items/x/${mode}.png`,
    runs: [],
    judged: failed ? null : { repeats, answers: [], calls: 2, tokens: 0 },
    scores: repeats[0] ?? {},
    cost: zeroCost(),
    judge_cost: { calls: failed ? 0 : 2, tokens: 0 },
    concrete_instruction: null,
    stop_reason: null,
    accepted: null,
    attempts: [],
    ...(failed ? { error: { code: "provider_unavailable", message: "503" } } : {}),
  };
}

interface Row {
  key: string;
  category: string;
  language?: string;
  intersection?: boolean;
  single: number | null | "unscored";
  loop: number | null | "unscored";
}

function outcomesOf(rows: readonly Row[]): ItemOutcome[] {
  return rows.map((row, index) => {
    const item: BenchmarkItem = {
      key: row.key,
      slug: row.key,
      taskType: row.category,
      instruction: `edit ${row.key}`,
      image: `/data/${row.key}.png`,
      ...(row.language ? { language: row.language } : {}),
      ...(row.intersection !== undefined ? { intersection: row.intersection } : {}),
      line: index + 1,
    };
    return { item, source: `items/${row.key}/source.png`, modes: { single: judgedMode("single", row.single), loop: judgedMode("loop", row.loop) } };
  });
}

const SETTINGS: ReportSettings = { benchmark: "t.jsonl", modes: ["single", "loop"], mllm: "m", editor: "e", judge: "j", judge_repeats: 1, rounds: 3, chain: "latest", candidates: 1, seed: 7 };

// Hand-computed paired table (O = SC = PQ per item):
//   A: a1 single 5, loop 6 (d +1) · a2 single 4, loop 7 (d +3) · a3 single unscored, loop 9 (not paired)
//   B: b1 single 6, loop 5 (d −1) · b2 single 8, loop failed (not paired)
//   paired Δ = mean over categories of the mean d = (2 + (−1)) / 2 = 0.5 on 3 items
//   unpaired: loop (7.333 + 5) / 2 = 6.1667 minus single (4.5 + 7) / 2 = 5.75 → 0.4167, which is not the paired delta
//   bootstrap within categories: B always −1; A's mean of two draws is 1, 2 or 3 (¼, ½, ¼) → Δ 0, 0.5 or 1 → ci95 [0, 1]
const PAIRED: Row[] = [
  { key: "a1", category: "A", single: 5, loop: 6 },
  { key: "a2", category: "A", single: 4, loop: 7 },
  { key: "a3", category: "A", single: "unscored", loop: 9 },
  { key: "b1", category: "B", single: 6, loop: 5 },
  { key: "b2", category: "B", single: 8, loop: null },
];

describe("paired deltas against single", () => {
  it("uses only the items both modes scored, per category as GEdit pools, with a seeded bootstrap interval", () => {
    const report = buildReport(outcomesOf(PAIRED), SETTINGS, "test");
    const loop = report.modes.loop!;
    expect(loop.overall!.O).toBeCloseTo((22 / 3 + 5) / 2, 9);
    expect(report.modes.single!.overall!.O).toBeCloseTo(5.75, 9);
    const delta = loop.delta_vs_single!.unspecified!;
    expect(delta.items).toBe(3);
    expect(delta.O).toBeCloseTo(0.5, 9);
    expect(delta.SC).toBeCloseTo(0.5, 9);
    expect(delta.PQ).toBeCloseTo(0.5, 9);
    expect(delta.ci95).toEqual([0, 1]);
    expect(report.modes.single!.delta_vs_single).toBeNull();
  });

  it("gives the same interval for the same seed, and an interval of one point when every pair moves alike", () => {
    const rows = PAIRED.map((row) => ({ ...row }));
    const first = buildReport(outcomesOf(rows), SETTINGS, "test").modes.loop!.delta_vs_single!.unspecified!;
    const again = buildReport(outcomesOf(rows), SETTINGS, "test").modes.loop!.delta_vs_single!.unspecified!;
    expect(again.ci95).toEqual(first.ci95);
    const even = outcomesOf([
      { key: "x", category: "A", single: 5, loop: 6 },
      { key: "y", category: "A", single: 3, loop: 4 },
      { key: "z", category: "B", single: 7, loop: 8 },
    ]);
    const delta = buildReport(even, SETTINGS, "test").modes.loop!.delta_vs_single!.unspecified!;
    expect(delta.O).toBeCloseTo(1, 9);
    expect(delta.ci95![0]).toBeCloseTo(1, 9);
    expect(delta.ci95![1]).toBeCloseTo(1, 9);
  });

  it("resamples over all items when the metric pools them (no strata), and reports no interval without pairs", () => {
    const pairs = [
      { category: "A", mode: 1, single: 0 },
      { category: "B", mode: 0, single: 0 },
    ];
    const mean = (items: readonly (typeof pairs)[number][], side: "mode" | "single") => items.reduce((sum, pair) => sum + pair[side], 0) / items.length;
    // Unstratified: two draws from {1, 0}: mean 0, 0.5 or 1 → [0, 1]; stratified it could only ever be 0.5.
    expect(pairedDelta(pairs, mean, { seed: 1, resamples: 2000, stratified: false }).ci95).toEqual([0, 1]);
    expect(pairedDelta(pairs, mean, { seed: 1, resamples: 2000, stratified: true }).ci95).toEqual([0.5, 0.5]);
    expect(pairedDelta([], mean, { seed: 1, resamples: 10, stratified: true })).toEqual({ value: null, ci95: null, items: 0 });
  });

  it("interpolates quantiles as numpy does and draws the same numbers from the same seed", () => {
    expect(quantile([0, 10], 0.025)).toBeCloseTo(0.25, 9);
    expect(quantile([1, 2, 3, 4, 5], 0.5)).toBe(3);
    const a = mulberry32(42);
    const b = mulberry32(42);
    expect([a(), a(), a()]).toEqual([b(), b(), b()]);
  });
});

// Two languages, each hand-scored: en A (6, 8) B (4) · cn A (2) B (9, 7)
const MIXED: Row[] = [
  { key: "en1", category: "A", language: "en", intersection: true, single: 5, loop: 6 },
  { key: "en2", category: "A", language: "en", intersection: false, single: 7, loop: 8 },
  { key: "en3", category: "B", language: "en", intersection: true, single: 3, loop: 4 },
  { key: "cn1", category: "A", language: "cn", intersection: true, single: 3, loop: 2 },
  { key: "cn2", category: "B", language: "cn", intersection: false, single: "unscored", loop: 9 },
  { key: "cn3", category: "B", language: "cn", intersection: true, single: 6, loop: 7 },
];

describe("per-language report", () => {
  const mixed = buildReport(outcomesOf(MIXED), SETTINGS, "test", { minScore: 5 });

  it("never pools languages: each block holds the same numbers as scoring that language alone", () => {
    expect(mixed.languages).toEqual(["cn", "en"]);
    for (const language of ["en", "cn"]) {
      const alone = buildReport(outcomesOf(MIXED.filter((row) => row.language === language)), SETTINGS, "test");
      for (const mode of ["single", "loop"] as const) {
        expect(mixed.modes[mode]!.languages[language]).toEqual(alone.modes[mode]!.languages[language]);
        expect(alone.modes[mode]!.overall).toEqual(alone.modes[mode]!.languages[language]!.overall);
      }
      expect(mixed.modes.loop!.delta_vs_single![language]).toEqual(alone.modes.loop!.delta_vs_single![language]);
    }
    expect(mixed.modes.loop!.overall).toBeUndefined(); // no number pooled over en and cn
    expect(mixed.modes.loop!.languages.en!.overall.O).toBeCloseTo((7 + 4) / 2, 9);
    expect(mixed.modes.loop!.languages.cn!.overall.O).toBeCloseTo((2 + 8) / 2, 9);
  });

  it("reports the intersection subset, categories and missing counts per language", () => {
    const cn = mixed.modes.single!.languages.cn!;
    expect(cn.categories).toEqual({ A: { SC: 3, PQ: 3, O: 3 }, B: { SC: 6, PQ: 5.5, O: 6 } });
    expect(cn.missing).toEqual({ SC: 1, PQ: 0, O: 1 });
    expect(cn.items).toEqual({ total: 3, scored: 2, errors: 0 });
    expect(cn.intersection).toMatchObject({ items: 2, overall: { O: (3 + 6) / 2 } });
    expect(mixed.modes.loop!.languages.en!.intersection).toMatchObject({ items: 2, overall: { O: (6 + 4) / 2 }, categories: { A: { O: 6 }, B: { O: 4 } } });
    expect(mixed.modes.loop!.delta_vs_single!.cn).toMatchObject({ items: 2, O: (-1 + 1) / 2 });
  });

  it("leaves the intersection out when the benchmark marks none", () => {
    expect(buildReport(outcomesOf(PAIRED), SETTINGS, "test").modes.loop!.languages.unspecified!.intersection).toBeNull();
  });

  it("gates the loop in every language: one language below the bar fails the gate", () => {
    expect(mixed.gate).toEqual({
      mode: "loop",
      min_score: 5,
      languages: { cn: { score: 5, passed: true }, en: { score: 5.5, passed: true } },
      passed: true,
    });
    const strict = buildReport(outcomesOf(MIXED), SETTINGS, "test", { minScore: 5.2 }).gate!;
    expect(strict.languages.cn!.passed).toBe(false);
    expect(strict.passed).toBe(false);
  });

  it("writes one section per language in report.md, with the paired delta and its interval", () => {
    const markdown = renderMarkdown(mixed);
    expect(markdown).toContain("## Language: cn (3 items)");
    expect(markdown).toContain("## Language: en (3 items)");
    expect(markdown).toMatch(/\| loop \| [\d.]+ \| [\d.]+ \| 5\.00 \| \+0\.00 \[[^\]]+\] \(n 2\) \|/);
    expect(markdown).toContain("### Intersection subset");
    expect(markdown).toContain("every language must pass: passed");
  });
});
