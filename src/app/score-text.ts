// One way to write a round's scores for people, wherever they appear (edit's lines, show, the contact sheet):
// VIEScore pairs out of 10, and the round's value min(SC)·min(PQ) out of 100, so no number stands without its scale.

export interface ScoreParts {
  sc: readonly number[] | null;
  pq: readonly number[] | null;
  value: number | null;
}

/** `SC [8, 7]/10 · PQ [7, 9]/10 · value 49/100`; n/a where a score is missing. */
export function scoreText(scores: ScoreParts): string {
  const pair = (values: readonly number[] | null) => (values ? `[${values.map(trim).join(", ")}]/10` : "n/a");
  return `SC ${pair(scores.sc)} · PQ ${pair(scores.pq)} · value ${scores.value === null ? "n/a" : `${trim(scores.value)}/100`}`;
}

/** The assessment's capped score, out of 10. */
export function cappedText(capped: number | null | undefined): string {
  return capped === null || capped === undefined ? "assessed n/a" : `assessed ${trim(capped)}/10`;
}

/** An averaged 0–10 score (eval's O, SC, PQ), two decimals, with its scale. */
export function outOfTen(value: number | null | undefined): string {
  return value === null || value === undefined || Number.isNaN(value) ? "n/a" : `${value.toFixed(2)}/10`;
}

function trim(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}
