// A chat responder for the fake providers that answers each ReasonEdit step like a well-behaved MLLM,
// following a script of verdicts. The step is recognised by the response_format schema name, or by the
// prompt text when the server had to drop response_format.

// conclude first: its prompt quotes the round's assessment, meets_instruction included.
const STEP_MARKERS = [
  ["conclude", /refined_instruction/],
  ["think", /edit-instruction rewriter/i],
  ["describe", /target_description/],
  ["assess", /meets_instruction/],
  ["score-sc", /over-edit|overedit/i],
  ["score-pq", /naturalness|artifacts/i],
];

export function stepOf(body) {
  const named = body?.response_format?.json_schema?.name;
  if (typeof named === "string") return named;
  const text = JSON.stringify(body?.messages ?? "");
  return STEP_MARKERS.find(([, pattern]) => pattern.test(text))?.[0] ?? "unknown";
}

export function instructionOf(body) {
  const text = JSON.stringify(body?.messages ?? "");
  const quoted = /\\"\\"\\"\\n(.*?)\\n\\"\\"\\"/.exec(text);
  return quoted ? quoted[1] : "";
}

/**
 * script.think: the think reply (object) or a function of the request body;
 * script.verdicts: conclude replies in order ("success" | "failed" | {refine: "text"} | raw object); the last repeats;
 * script.scores: [[sc1, sc2], [pq1, pq2]] per conclude call in order (default 8s); the last repeats;
 * script.raw: optional map step → raw text (e.g. prose-wrapped JSON) to answer instead.
 */
export function reasoningResponder(script = {}) {
  const counts = new Map();
  const next = (step) => {
    const n = counts.get(step) ?? 0;
    counts.set(step, n + 1);
    return n;
  };
  const pick = (list, n, fallback) => (list && list.length > 0 ? list[Math.min(n, list.length - 1)] : fallback);
  const responder = (body) => {
    const step = stepOf(body);
    const n = next(step);
    if (script.raw?.[step] !== undefined) return typeof script.raw[step] === "function" ? script.raw[step](n, body) : script.raw[step];
    switch (step) {
      case "think": {
        const think = typeof script.think === "function" ? script.think(body) : script.think;
        return JSON.stringify(think ?? { instruction: "make the cat's fur white as snow", changed: true, rationale: "snow", scope: "local", ops: [] });
      }
      case "describe":
        return JSON.stringify({ target_description: "the same cat, with snow-white fur" });
      case "assess":
        return JSON.stringify({ meets_instruction: "yes", major_conflicts: 0, minor_conflicts: 0, hallucinations: 0, omissions: 0, raw_score: 9, reason: "the fur is white" });
      case "conclude":
        return JSON.stringify(verdictReply(pick(script.verdicts, n, "success")));
      case "score-sc":
        return JSON.stringify({ score: pick(script.scores, n, [[8, 8], [8, 8]])[0], reasoning: "semantics" });
      case "score-pq":
        return JSON.stringify({ score: pick(script.scores, n, [[8, 8], [8, 8]])[1], reasoning: "quality" });
      default:
        return "I cannot tell which step this is.";
    }
  };
  responder.counts = counts;
  return responder;
}

function verdictReply(verdict) {
  if (verdict === "success") return { think: "done", verdict: "success", refined_instruction: null, unintended_changes: [] };
  if (verdict === "failed") return { think: "the background changed", verdict: "failed", refined_instruction: null, unintended_changes: ["background"] };
  if (typeof verdict === "object" && "refine" in verdict) return { think: "almost", verdict: "refine", refined_instruction: verdict.refine, unintended_changes: [] };
  return verdict;
}
