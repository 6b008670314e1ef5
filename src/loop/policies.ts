// The loop's judgement rules: ReasonEdit's score caps, round value, and which round to keep.
import type { AssessReply, ScoreReply, Verdict } from "./replies.js";

/** Caps the assessor's raw score the way ReasonEdit's released code does, so a lenient model cannot pass a flawed edit. */
export function capAssessment(reply: AssessReply): number {
  const raw = reply.raw_score > 0 && reply.raw_score < 1 ? reply.raw_score * 10 : reply.raw_score;
  let cap = 10;
  if (reply.meets_instruction === "no") cap = Math.min(cap, 2);
  if (reply.meets_instruction === "partial") cap = Math.min(cap, 5);
  if (reply.major_conflicts >= 2) cap = Math.min(cap, 5);
  if (reply.major_conflicts === 1) cap = Math.min(cap, 8);
  if (reply.hallucinations > 0 || reply.omissions > 0) cap = Math.min(cap, 7);
  const anyIssue = reply.major_conflicts + reply.minor_conflicts + reply.hallucinations + reply.omissions > 0;
  if (anyIssue) cap = Math.min(cap, 8.9);
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
