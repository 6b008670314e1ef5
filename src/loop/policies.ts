// The loop's judgement rules: ReasonEdit's score caps, round value, and which round to keep.
import type { AssessReply, ScoreReply, Verdict } from "./replies.js";

/**
 * Caps the assessor's raw score with the rule of ReasonEdit's released evaluator, so a lenient model cannot pass a
 * flawed edit: no → ≤2, else partial → ≤5; ≥2 major conflicts → ≤5, else 1 → ≤8; any hallucination or omission → ≤7;
 * and < 9 (8.99) when anything at all is off. Minor conflicts never cap.
 *
 * One deliberate difference: the release rescales a raw score in [0, 1] by ×10, so a raw 1 becomes 10. Our assess
 * prompt asks for 0–10, where 1 is a poor score, so only fractions strictly between 0 and 1 are rescaled here.
 */
export function capAssessment(reply: AssessReply): number {
  const fraction = reply.raw_score > 0 && reply.raw_score < 1;
  const raw = Math.min(10, Math.max(0, fraction ? reply.raw_score * 10 : reply.raw_score));
  let cap = 10;
  if (reply.meets_instruction === "no") cap = 2;
  else if (reply.meets_instruction === "partial") cap = 5;
  if (reply.major_conflicts >= 2) cap = Math.min(cap, 5);
  else if (reply.major_conflicts === 1) cap = Math.min(cap, 8);
  if (reply.hallucinations > 0 || reply.omissions > 0) cap = Math.min(cap, 7);
  // Never binds after the caps above; kept so the rule reads as the release's.
  const anythingOff = reply.meets_instruction !== "yes" || reply.major_conflicts > 0 || reply.hallucinations > 0 || reply.omissions > 0;
  if (anythingOff) cap = Math.min(cap, 8.99);
  return Math.min(raw, cap);
}

/** VIEScore's per-sample product: min(SC)·min(PQ), 0–100. Null when either score is missing. */
export function roundValue(semantics: ScoreReply | undefined, quality: ScoreReply | undefined): number | null {
  if (!semantics || !quality) return null;
  return Math.min(...semantics.score) * Math.min(...quality.score);
}

export interface Selectable {
  value: number | null;
  verdict: Verdict | null;
}

/** Index of the best entry: highest value; ties → a success verdict → the later one. Missing values rank last. */
export function selectBest(entries: readonly Selectable[]): number {
  let best = -1;
  for (let i = 0; i < entries.length; i++) {
    if (best < 0 || ranksAtLeast(entries[i]!, entries[best]!)) best = i;
  }
  return best;
}

function ranksAtLeast(candidate: Selectable, incumbent: Selectable): boolean {
  const a = candidate.value ?? -1;
  const b = incumbent.value ?? -1;
  if (a !== b) return a > b;
  const aSuccess = candidate.verdict === "success";
  const bSuccess = incumbent.verdict === "success";
  if (aSuccess !== bSuccess) return aSuccess;
  return true;
}

/** Whether a refined instruction only repeats the previous one (case, spacing and end punctuation ignored). */
export function repeatsInstruction(previous: string, refined: string): boolean {
  const normalize = (text: string) => text.toLowerCase().replace(/[\s.,;:!?"'`]+/g, " ").trim();
  return normalize(previous) === normalize(refined);
}
