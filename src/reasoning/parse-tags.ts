// Reading the released ReasonEdit reasoner's own reply formats (--reply-format tags): think answers the rewritten
// instruction and describe the target image as plain text; conclude answers `<#Think> … ` and exactly one of <#Success>, <#Reflection> <new
// instruction>, <#Failed> (<#Others> counts as success). The rules are the release's validation, which is
// case-sensitive; a thinking model's <think> block is dropped first, as on the JSON path.
import type { ConcludeReply } from "../loop/replies.js";
import { snippet, stripReasoning, type ParseResult } from "./parse-reply.js";

export const THINK_TAG = "<#Think>";
export const VERDICT_TAGS = ["<#Success>", "<#Reflection>", "<#Failed>", "<#Others>"] as const;
export type VerdictTag = (typeof VERDICT_TAGS)[number];

/**
 * What each tag means to the loop. <#Failed> is the release's "cannot be fixed from this result": it re-edits the
 * source with the concrete instruction and a new seed, which is what the loop's "failed" verdict does.
 */
const VERDICT_OF: Record<VerdictTag, ConcludeReply["verdict"]> = {
  "<#Success>": "success",
  "<#Others>": "success",
  "<#Reflection>": "refine",
  "<#Failed>": "failed",
};

/** The conclude reply as the loop's fields; still to be validated with ConcludeReplySchema (lengths, refine text). */
export interface TaggedConclusion {
  verdict: ConcludeReply["verdict"];
  think: string;
  refined_instruction: string | null;
  tag: VerdictTag;
}

function occurrences(text: string, tag: string): number {
  let count = 0;
  for (let at = text.indexOf(tag); at !== -1; at = text.indexOf(tag, at + tag.length)) count++;
  return count;
}

/** Empty replies and replies that were all reasoning, worded as the JSON path words them. */
function emptyAnswer(reply: string, answer: string): string | undefined {
  if (reply.trim() === "") return "the reply was empty";
  if (answer.trim() === "") return "the reply held only reasoning (a <think> block) and no answer after it";
  return undefined;
}

/** A tag written in another case ("<#success>") does not count, as in the release; say so, since it looks right. */
function caseNote(text: string, tags: readonly string[]): string {
  const lower = text.toLowerCase();
  const near = tags.find((tag) => !text.includes(tag) && lower.includes(tag.toLowerCase()));
  return near === undefined ? "" : ` (tags are case-sensitive: write ${near} exactly)`;
}

/** The reflection's instruction without the closing code fence a model copies from the format example. */
function reflectionText(after: string): string {
  return after.trim().replace(/\s*```\s*$/, "").trim();
}

/** Parses a tagged conclude reply with the release's rules: one <#Think>, then exactly one verdict tag, once. */
export function readTaggedConclusion(reply: string): ParseResult<TaggedConclusion> {
  const text = stripReasoning(reply);
  const empty = emptyAnswer(reply, text);
  if (empty !== undefined) return { ok: false, error: empty };
  const thinkAt = text.indexOf(THINK_TAG);
  if (thinkAt === -1) return { ok: false, error: `the reply has no ${THINK_TAG} tag${caseNote(text, [THINK_TAG])} (it began: "${snippet(text)}")` };
  const thinks = occurrences(text, THINK_TAG);
  if (thinks > 1) return { ok: false, error: `${THINK_TAG} appears ${thinks} times; write it once, at the start` };
  const present = VERDICT_TAGS.filter((tag) => text.includes(tag));
  if (present.length === 0) {
    return { ok: false, error: `the reply has no verdict tag${caseNote(text, VERDICT_TAGS)}: after ${THINK_TAG} and the reasoning, write exactly one of <#Success>, <#Reflection> followed by the new instruction, or <#Failed>` };
  }
  if (present.length > 1) return { ok: false, error: `the reply has ${present.length} verdict tags (${present.join(", ")}); write exactly one` };
  const tag = present[0]!;
  const repeats = occurrences(text, tag);
  if (repeats > 1) return { ok: false, error: `${tag} appears ${repeats} times; write it once` };
  const tagAt = text.indexOf(tag);
  if (tagAt < thinkAt) return { ok: false, error: `${tag} must come after ${THINK_TAG} and the reasoning` };
  const think = text.slice(thinkAt + THINK_TAG.length, tagAt).trim();
  const verdict = VERDICT_OF[tag];
  if (verdict !== "refine") return { ok: true, value: { verdict, think, refined_instruction: null, tag } };
  const refined = reflectionText(text.slice(tagAt + tag.length));
  if (refined === "") return { ok: false, error: "<#Reflection> is followed by no instruction: write the second edit instruction after it" };
  return { ok: true, value: { verdict, think, refined_instruction: refined, tag } };
}

/** A plain-text reply (think's instruction, describe's description): reasoning blocks dropped, trimmed, never empty. */
export function readPlainText(reply: string): ParseResult<string> {
  const text = stripReasoning(reply).trim();
  const empty = emptyAnswer(reply, text);
  if (empty !== undefined) return { ok: false, error: empty };
  return { ok: true, value: text };
}
