// KRIS-Bench's own metric: four 1–5 criteria mapped to 0–100 by (s − 1)·25, pooled per category, meta-category and overall.
import { meanOf, type Metric, type MetricAggregate, type ScoreRecord } from "./metric.js";

/** Visual Consistency, Visual Quality, Instruction Following, Knowledge Plausibility. */
export const KRIS_CRITERIA = ["VC", "VQ", "IF", "KP"] as const;
export type KrisCriterion = (typeof KRIS_CRITERIA)[number];

/** The categories whose judge also sees the knowledge hint and scores Knowledge Plausibility. */
export const KRIS_KNOWLEDGE_CATEGORIES: ReadonlySet<string> = new Set([
  "abstract_reasoning",
  "rule-based_reasoning",
  "practical_knowledge",
  "humanities",
  "biology",
  "chemistry",
  "geography",
  "mathematics",
  "medicine",
  "physics",
]);

/** Where the instruction asks to fix what is implausible: its judge is shown the hint of what plausible looks like. */
export const KRIS_ANOMALY_CATEGORIES: ReadonlySet<string> = new Set(["anomaly_correction", "abnormality_correction"]);

/** KRIS-Bench's three knowledge types over its task folders. */
export const KRIS_META_CATEGORIES: Readonly<Record<string, readonly string[]>> = {
  factual: [
    "count_change",
    "color_change",
    "size_adjustment",
    "part_completion",
    "anomaly_correction",
    "abnormality_correction",
    "position_movement",
    "viewpoint_change",
    "temporal_prediction",
  ],
  conceptual: ["practical_knowledge", "humanities", "biology", "chemistry", "geography", "mathematics", "medicine", "physics"],
  procedural: ["abstract_reasoning", "rule-based_reasoning", "multi-instruction_execution", "multi-element_composition"],
};

const KNOWN_CATEGORIES = new Set(Object.values(KRIS_META_CATEGORIES).flat());

/** A benchmark is KRIS-shaped when every category is one of KRIS-Bench's task folders. */
export function looksLikeKris(categories: readonly string[]): boolean {
  return categories.length > 0 && categories.every((category) => KNOWN_CATEGORIES.has(category));
}

/** 1 → 0, 2 → 25, 3 → 50, 4 → 75, 5 → 100. */
export function normaliseKris(score: number): number {
  return (score - 1) * 25;
}

const KEYS = [...KRIS_CRITERIA, "score"] as const;

/** Each criterion's mean over the items that have it; `score` = the mean of every criterion score in the group, pooled. */
export function poolKris(list: readonly ScoreRecord[]): ScoreRecord {
  const pooled: ScoreRecord = {};
  for (const criterion of KRIS_CRITERIA) pooled[criterion] = meanOf(list.map((scores) => scores[criterion] ?? null));
  pooled.score = meanOf(list.flatMap((scores) => KRIS_CRITERIA.map((criterion) => scores[criterion] ?? null)));
  return pooled;
}

function aggregateKris(items: ReadonlyArray<{ category: string; scores: ScoreRecord }>): MetricAggregate {
  const group = (test: (category: string) => boolean) => poolKris(items.filter((item) => test(item.category)).map((item) => item.scores));
  const names = [...new Set(items.map((item) => item.category))].sort();
  const categories = Object.fromEntries(names.map((name) => [name, group((category) => category === name)]));
  const meta_categories: Record<string, ScoreRecord> = {};
  for (const [meta, members] of Object.entries(KRIS_META_CATEGORIES)) {
    if (items.some((item) => members.includes(item.category))) meta_categories[meta] = group((category) => members.includes(category));
  }
  return { overall: group(() => true), categories, meta_categories };
}

export const KRIS: Metric = {
  name: "kris",
  keys: KEYS,
  headline: "score",
  scale: "0–100",
  describe:
    "KRIS-Bench's metric: Visual Consistency (VC), Visual Quality (VQ), Instruction Following (IF) and, for knowledge categories, Knowledge Plausibility (KP), each 1–5 mapped to 0–100 by (s − 1)·25; score = the mean of every criterion score pooled over the category, meta-category or whole set.",
  aggregate: aggregateKris,
  stratified: false,
};
