// GEdit-Bench's VIEScore metric: per sample O = sqrt(min SC · min PQ), mean per category, unweighted mean of categories.
import type { JudgeRepeat } from "./judge.js";
import { aggregateItems, countMissingScores, meanOf, meanOfCategories, repeatSpread, type Metric, type ScoreRecord, type Spread } from "./metric.js";

export { meanOf, type Spread } from "./metric.js";

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

const KEYS = ["SC", "PQ", "O"] as const;

export const VIESCORE: Metric = {
  name: "viescore",
  keys: KEYS,
  headline: "O",
  scale: "0–10",
  describe: "VIEScore 0–10 as GEdit-Bench computes it: per item O = √(min SC · min PQ), mean per category, then the unweighted mean of the categories.",
  aggregate: (items) => meanOfCategories(KEYS, items),
  stratified: true,
};

/** One repeat's scores: min SC, min PQ and their geometric mean. */
export function scoreRepeat(repeat: JudgeRepeat): Scores {
  const sc = repeat.sc ? Math.min(...repeat.sc) : null;
  const pq = repeat.pq ? Math.min(...repeat.pq) : null;
  return { SC: sc, PQ: pq, O: sc !== null && pq !== null ? Math.sqrt(sc * pq) : null };
}

/** A sample's scores: each repeat's min SC, min PQ and their geometric mean, averaged over the repeats that have them. */
export function scoreSample(repeats: readonly JudgeRepeat[]): Scores {
  const perRepeat = repeats.map(scoreRepeat);
  return { SC: meanOf(perRepeat.map((s) => s.SC)), PQ: meanOf(perRepeat.map((s) => s.PQ)), O: meanOf(perRepeat.map((s) => s.O)) };
}

/** Missing scores are left out of every mean, never guessed. */
export function aggregate(items: readonly JudgedItem[]): Aggregate {
  return aggregateItems(VIESCORE, scored(items)) as unknown as Aggregate;
}

export function countMissing(items: readonly JudgedItem[]): MissingCounts {
  return countMissingScores(VIESCORE, scored(items)) as unknown as MissingCounts;
}

/** How much the overall scores move between judge repeats: each repeat aggregated on its own. */
export function judgeSpread(items: readonly JudgedItem[], repeats: number): Record<keyof Scores, Spread> {
  return repeatSpread(VIESCORE, scored(items), repeats) as Record<keyof Scores, Spread>;
}

function scored(items: readonly JudgedItem[]): Array<{ category: string; repeats: ScoreRecord[] }> {
  return items.map((item) => ({ category: item.category, repeats: item.repeats.map((repeat) => ({ ...scoreRepeat(repeat) })) }));
}
