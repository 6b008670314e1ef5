// What a benchmark metric is to the report: named scores per judged image, and the benchmark's own way of pooling them.

/** A judged image's scores under one metric; null = the judge's reply stayed unusable. A key that does not apply is absent. */
export type ScoreRecord = Record<string, number | null>;

export interface Spread {
  mean: number | null;
  /** Sample standard deviation over the repeats' overall scores; 0 with one repeat. */
  std: number | null;
  min: number | null;
  max: number | null;
  per_repeat: Array<number | null>;
}

export function meanOf(values: ReadonlyArray<number | null>): number | null {
  const present = values.filter((value): value is number => value !== null);
  return present.length === 0 ? null : present.reduce((sum, value) => sum + value, 0) / present.length;
}

export interface ScoredItem {
  category: string;
  /** Per judge repeat; empty when the mode failed on the item. */
  repeats: readonly ScoreRecord[];
}

export interface MetricAggregate {
  overall: ScoreRecord;
  categories: Record<string, ScoreRecord>;
  /** KRIS-Bench's factual / conceptual / procedural; absent for metrics without them. */
  meta_categories?: Record<string, ScoreRecord>;
}

export interface Metric {
  name: "viescore" | "kris";
  /** Every score key, in the order tables show them; the headline last. */
  keys: readonly string[];
  headline: string;
  scale: string;
  /** One line on how the numbers are made, for report.md and report.html. */
  describe: string;
  /** Per item (already averaged over repeats) → per category, meta-category and overall, as the benchmark pools them. */
  aggregate(items: ReadonlyArray<{ category: string; scores: ScoreRecord }>): MetricAggregate;
  /** Whether a bootstrap should resample within categories (the overall weighs categories equally) or over all items. */
  stratified: boolean;
}

export interface MissingRecord {
  /** Per key: judge replies (item × repeat) that stayed unusable; for the headline: items without one, failed items included. */
  [key: string]: number;
}

/** An item's scores: each key's mean over the repeats that have it. */
export function itemScores(repeats: readonly ScoreRecord[]): ScoreRecord {
  const keys = [...new Set(repeats.flatMap((repeat) => Object.keys(repeat)))];
  return Object.fromEntries(keys.map((key) => [key, meanOf(repeats.map((repeat) => repeat[key] ?? null))]));
}

export function aggregateItems(metric: Metric, items: readonly ScoredItem[]): MetricAggregate {
  return metric.aggregate(items.map((item) => ({ category: item.category, scores: itemScores(item.repeats) })));
}

export function countMissingScores(metric: Metric, items: readonly ScoredItem[]): MissingRecord {
  const missing: MissingRecord = Object.fromEntries(metric.keys.map((key) => [key, 0]));
  for (const item of items) {
    for (const key of metric.keys) {
      if (key === metric.headline) continue;
      missing[key]! += item.repeats.filter((repeat) => key in repeat && repeat[key] === null).length;
    }
    if ((itemScores(item.repeats)[metric.headline] ?? null) === null) missing[metric.headline]! += 1;
  }
  return missing;
}

/** How much the overall scores move between judge repeats: each repeat aggregated on its own. */
export function repeatSpread(metric: Metric, items: readonly ScoredItem[], repeats: number): Record<string, Spread> {
  const overalls = Array.from({ length: repeats }, (_, r) =>
    aggregateItems(metric, items.map((item) => ({ category: item.category, repeats: item.repeats.slice(r, r + 1) }))).overall,
  );
  return Object.fromEntries(metric.keys.map((key) => [key, spreadOf(overalls.map((scores) => scores[key] ?? null))]));
}

/** GEdit-Bench's pooling: the mean per category, then the unweighted mean of the categories. */
export function meanOfCategories(keys: readonly string[], items: ReadonlyArray<{ category: string; scores: ScoreRecord }>): MetricAggregate {
  const byCategory = new Map<string, ScoreRecord[]>();
  for (const item of items) byCategory.set(item.category, [...(byCategory.get(item.category) ?? []), item.scores]);
  const categories: Record<string, ScoreRecord> = {};
  for (const name of [...byCategory.keys()].sort()) categories[name] = meanPerKey(keys, byCategory.get(name)!);
  return { overall: meanPerKey(keys, Object.values(categories)), categories };
}

export function meanPerKey(keys: readonly string[], list: readonly ScoreRecord[]): ScoreRecord {
  return Object.fromEntries(keys.map((key) => [key, meanOf(list.map((scores) => scores[key] ?? null))]));
}

function spreadOf(values: Array<number | null>): Spread {
  const present = values.filter((value): value is number => value !== null);
  const mean = meanOf(present);
  if (mean === null) return { mean: null, std: null, min: null, max: null, per_repeat: values };
  const variance = present.length < 2 ? 0 : present.reduce((sum, value) => sum + (value - mean) ** 2, 0) / (present.length - 1);
  return { mean, std: Math.sqrt(variance), min: Math.min(...present), max: Math.max(...present), per_repeat: values };
}
