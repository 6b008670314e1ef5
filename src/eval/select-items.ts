// Which benchmark items an eval runs: --language, --categories, then --sample (seeded), then --limit.
import { sha256Hex } from "../cache/cache-key.js";
import { ReasonEditError } from "../errors.js";

export interface Selection {
  language?: string;
  categories?: string[];
  /** A seeded sample of this many items, spread evenly over the categories. */
  sample?: number;
  /** The first this many items (after sampling). */
  limit?: number;
  seed: number;
}

export interface Selectable {
  key: string;
  taskType: string;
  language?: string;
}

/** The selected items, in benchmark order. Filters that match nothing are errors that list what there is. */
export function selectItems<T extends Selectable>(items: readonly T[], selection: Selection, label: string): T[] {
  let chosen = filterByLanguage(items, selection.language, label);
  chosen = filterByCategories(chosen, selection.categories, label);
  if (selection.sample !== undefined) chosen = sampleSpread(chosen, selection.sample, selection.seed);
  if (selection.limit !== undefined) chosen = chosen.slice(0, selection.limit);
  return chosen;
}

function filterByLanguage<T extends Selectable>(items: readonly T[], language: string | undefined, label: string): T[] {
  if (language === undefined) return [...items];
  const wanted = language.toLowerCase();
  const chosen = items.filter((item) => item.language?.toLowerCase() === wanted);
  if (chosen.length > 0) return chosen;
  const present = [...new Set(items.flatMap((item) => (item.language ? [item.language] : [])))].sort();
  throw new ReasonEditError("usage", `${label} has no items in language "${language}"`, {
    hint: present.length > 0 ? `its languages: ${present.join(", ")}` : "the benchmark marks no language (a language or instruction_language field); drop --language",
  });
}

function filterByCategories<T extends Selectable>(items: readonly T[], categories: string[] | undefined, label: string): T[] {
  if (categories === undefined) return [...items];
  const present = new Set(items.map((item) => item.taskType));
  const unknown = categories.filter((category) => !present.has(category));
  if (unknown.length > 0) {
    throw new ReasonEditError("usage", `${label} has no category ${unknown.map((name) => `"${name}"`).join(", ")}`, {
      hint: `its categories: ${[...present].sort().join(", ")}`,
    });
  }
  const wanted = new Set(categories);
  return items.filter((item) => wanted.has(item.taskType));
}

/**
 * Ranks each category's items by a hash of (seed, language, key), then takes rank 0 of every category, rank 1, and so
 * on: the same seed always picks the same items, a larger sample contains a smaller one, and every category gets its
 * share, which matters because the overall score is the mean of the category means.
 */
export function sampleSpread<T extends Selectable>(items: readonly T[], size: number, seed: number): T[] {
  if (size >= items.length) return [...items];
  const rankOf = new Map<T, string>(items.map((item) => [item, sha256Hex(`${seed}\u0000${item.language ?? ""}\u0000${item.key}`)]));
  const byCategory = new Map<string, T[]>();
  for (const item of items) byCategory.set(item.taskType, [...(byCategory.get(item.taskType) ?? []), item]);
  const ranked = [...byCategory.values()].flatMap((group) =>
    [...group].sort((a, b) => compare(rankOf.get(a)!, rankOf.get(b)!)).map((item, position) => ({ item, position })),
  );
  ranked.sort((a, b) => a.position - b.position || compare(rankOf.get(a.item)!, rankOf.get(b.item)!));
  const picked = new Set(ranked.slice(0, size).map(({ item }) => item));
  return items.filter((item) => picked.has(item));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
