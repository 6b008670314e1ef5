// A mode's score minus single's, on the items both scored, with a seeded bootstrap 95% interval over those items.

/** One item both modes scored: its category and the two sides' per-item scores under the same metric. */
export interface PairedItem<S> {
  category: string;
  mode: S;
  single: S;
}

export interface PairedDelta {
  /** The headline score's delta (O for VIEScore, the pooled score for KRIS). */
  value: number | null;
  /** 2.5th and 97.5th percentiles of the resampled deltas; null without paired items. */
  ci95: [number, number] | null;
  items: number;
}

export interface BootstrapOptions {
  seed: number;
  resamples: number;
  /** Resample within each category (GEdit: the overall is an unweighted mean of categories) or over all items (KRIS pools). */
  stratified: boolean;
}

export const DEFAULT_RESAMPLES = 2000;

/** `estimate(mode side) − estimate(single side)` on the pairs, and on each resample of them. */
export function pairedDelta<S>(pairs: readonly PairedItem<S>[], estimate: (items: readonly PairedItem<S>[], side: "mode" | "single") => number | null, options: BootstrapOptions): PairedDelta {
  const deltaOf = (items: readonly PairedItem<S>[]) => {
    const a = estimate(items, "mode");
    const b = estimate(items, "single");
    return a === null || b === null ? null : a - b;
  };
  if (pairs.length === 0) return { value: null, ci95: null, items: 0 };
  const value = deltaOf(pairs);
  if (value === null) return { value, ci95: null, items: pairs.length };
  const random = mulberry32(options.seed);
  const strata = options.stratified ? groupBy(pairs, (pair) => pair.category) : [pairs];
  const deltas: number[] = [];
  for (let r = 0; r < options.resamples; r++) {
    const sample = strata.flatMap((stratum) => Array.from({ length: stratum.length }, () => stratum[Math.floor(random() * stratum.length)]!));
    const delta = deltaOf(sample);
    if (delta !== null) deltas.push(delta);
  }
  deltas.sort((x, y) => x - y);
  return { value, ci95: [quantile(deltas, 0.025), quantile(deltas, 0.975)], items: pairs.length };
}

/** Linear interpolation between order statistics (numpy's default). */
export function quantile(sorted: readonly number[], q: number): number {
  const position = (sorted.length - 1) * q;
  const low = Math.floor(position);
  const high = Math.ceil(position);
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (position - low);
}

/** A small, well-known seeded PRNG, so the same --seed gives the same interval. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function groupBy<T>(list: readonly T[], keyOf: (entry: T) => string): T[][] {
  const groups = new Map<string, T[]>();
  for (const entry of list) {
    const key = keyOf(entry);
    groups.set(key, [...(groups.get(key) ?? []), entry]);
  }
  return [...groups.keys()].sort().map((key) => groups.get(key)!);
}
