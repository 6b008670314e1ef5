// GEdit-Bench's aggregation: per sample O = sqrt(min SC · min PQ), mean per category, unweighted mean of categories.
import type { JudgeRepeat } from "./judge.js";

export interface Scores {
  SC: number | null;
  PQ: number | null;
  O: number | null;
}

/** One item's judgements in one mode; no repeats when the mode failed on the item. */
export interface JudgedItem {
  category: string;
  repeats: readonly JudgeRepeat[];
}

export interface Aggregate {
  overall: Scores;
  categories: Record<string, Scores>;
}

export interface MissingCounts {
  /** Judge replies that stayed unparseable after the re-ask, counted per item and repeat. */
  SC: number;
  PQ: number;
  /** Items without any O (no repeat had both SC and PQ), failed items included. */
  O: number;
}

export interface Spread {
  mean: number | null;
  /** Sample standard deviation over the repeats' overall scores; 0 with one repeat. */
  std: number | null;
  min: number | null;
  max: number | null;
  per_repeat: Array<number | null>;
}

const KEYS = ["SC", "PQ", "O"] as const;

/** A sample's scores: each repeat's min SC, min PQ and their geometric mean, averaged over the repeats that have them. */
export function scoreSample(repeats: readonly JudgeRepeat[]): Scores {
  const perRepeat = repeats.map(scoreRepeat);
  return { SC: meanOf(perRepeat.map((s) => s.SC)), PQ: meanOf(perRepeat.map((s) => s.PQ)), O: meanOf(perRepeat.map((s) => s.O)) };
}

function scoreRepeat(repeat: JudgeRepeat): Scores {
  const sc = repeat.sc ? Math.min(...repeat.sc) : null;
  const pq = repeat.pq ? Math.min(...repeat.pq) : null;
  return { SC: sc, PQ: pq, O: sc !== null && pq !== null ? Math.sqrt(sc * pq) : null };
}

/** Missing scores are left out of every mean, never guessed. */
export function aggregate(items: readonly JudgedItem[]): Aggregate {
  const byCategory = new Map<string, Scores[]>();
  for (const item of items) {
    const list = byCategory.get(item.category) ?? [];
    list.push(scoreSample(item.repeats));
    byCategory.set(item.category, list);
  }
  const categories: Record<string, Scores> = {};
  for (const name of [...byCategory.keys()].sort()) categories[name] = meanScores(byCategory.get(name)!);
  return { overall: meanScores(Object.values(categories)), categories };
}

export function countMissing(items: readonly JudgedItem[]): MissingCounts {
  const missing: MissingCounts = { SC: 0, PQ: 0, O: 0 };
  for (const item of items) {
    missing.SC += item.repeats.filter((repeat) => repeat.sc === null).length;
    missing.PQ += item.repeats.filter((repeat) => repeat.pq === null).length;
    if (scoreSample(item.repeats).O === null) missing.O += 1;
  }
  return missing;
}

/** How much the overall scores move between judge repeats: each repeat aggregated on its own. */
export function judgeSpread(items: readonly JudgedItem[], repeats: number): Record<keyof Scores, Spread> {
  const overalls = Array.from({ length: repeats }, (_, r) =>
    aggregate(items.map((item) => ({ category: item.category, repeats: item.repeats.slice(r, r + 1) }))).overall,
  );
  return Object.fromEntries(KEYS.map((key) => [key, spreadOf(overalls.map((scores) => scores[key]))])) as Record<keyof Scores, Spread>;
}

/** `a − b` per score, null when either side is missing. */
export function difference(a: Scores, b: Scores): Scores {
  const minus = (x: number | null, y: number | null) => (x === null || y === null ? null : x - y);
  return { SC: minus(a.SC, b.SC), PQ: minus(a.PQ, b.PQ), O: minus(a.O, b.O) };
}

function meanScores(list: readonly Scores[]): Scores {
  return { SC: meanOf(list.map((s) => s.SC)), PQ: meanOf(list.map((s) => s.PQ)), O: meanOf(list.map((s) => s.O)) };
}

export function meanOf(values: ReadonlyArray<number | null>): number | null {
  const present = values.filter((value): value is number => value !== null);
  return present.length === 0 ? null : present.reduce((sum, value) => sum + value, 0) / present.length;
}

function spreadOf(values: Array<number | null>): Spread {
  const present = values.filter((value): value is number => value !== null);
  const mean = meanOf(present);
  if (mean === null) return { mean: null, std: null, min: null, max: null, per_repeat: values };
  const variance = present.length < 2 ? 0 : present.reduce((sum, value) => sum + (value - mean) ** 2, 0) / (present.length - 1);
  return { mean, std: Math.sqrt(variance), min: Math.min(...present), max: Math.max(...present), per_repeat: values };
}
