// Lenient reading of model replies: drop a thinking model's reasoning, find every JSON object wherever the model
// put it, and keep the last one the step's schema accepts. Linear in the reply's length, whatever it holds.
import type { z } from "zod";

export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: string };

/** Only the last few objects are validated: the answer comes last, and a reply of 60,000 "{}" must stay cheap. */
const MAX_CANDIDATES = 64;
const REASONING_TAGS = ["think", "thinking"] as const;

/**
 * The reply without its reasoning: every `<think>…</think>` block, everything up to a closing `</think>` whose
 * opening the chat template wrote (Qwen3), and an unclosed `<think>` to the end (the budget ran out while thinking).
 */
export function stripReasoning(reply: string): string {
  let text = reply;
  for (const tag of REASONING_TAGS) text = stripTag(text, tag);
  return text;
}

function stripTag(reply: string, tag: string): string {
  const open = `<${tag}>`;
  const close = `</${tag}>`;
  const lower = reply.toLowerCase();
  const firstOpen = lower.indexOf(open);
  const firstClose = lower.indexOf(close);
  if (firstOpen === -1 && firstClose === -1) return reply;
  let out = "";
  let at = 0;
  // A closing tag before any opening one: the template opened the block, so the reasoning starts the reply.
  if (firstClose !== -1 && (firstOpen === -1 || firstClose < firstOpen)) at = firstClose + close.length;
  for (;;) {
    const start = lower.indexOf(open, at);
    if (start === -1) return out + reply.slice(at);
    out += reply.slice(at, start);
    const end = lower.indexOf(close, start + open.length);
    if (end === -1) return out; // thinking never ended: no answer follows
    at = end + close.length;
  }
}

/**
 * Start and end (exclusive) of every outermost balanced `{…}` in `text`, in order, found in one pass. Quotes count
 * only inside braces (prose may hold a stray `"`), and the objects inside an outermost one are not listed, so an inner
 * object of a broken outer one is never mistaken for the reply. An opening brace that never closes is passed over.
 */
export function objectSpans(text: string): Array<[number, number]> {
  const spans: Array<[number, number]> = [];
  const open: number[] = [];
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const char = text.charCodeAt(i);
    if (inString) {
      if (char === 0x5c /* \ */) i++;
      else if (char === 0x22 /* " */) inString = false;
    } else if (char === 0x7b /* { */) open.push(i);
    else if (open.length === 0) continue;
    else if (char === 0x22) inString = true;
    else if (char === 0x7d /* } */) {
      const start = open.pop()!;
      while (spans.length > 0 && spans[spans.length - 1]![0] > start) spans.pop(); // inside this one
      spans.push([start, i + 1]);
    }
  }
  return spans;
}

/** Drops commas that directly precede a closing brace or bracket, outside strings. */
export function removeTrailingCommas(json: string): string {
  const kept: string[] = [];
  let from = 0;
  let inString = false;
  for (let i = 0; i < json.length; i++) {
    const char = json.charCodeAt(i);
    if (inString) {
      if (char === 0x5c /* \ */) i++;
      else if (char === 0x22 /* " */) inString = false;
    } else if (char === 0x22) inString = true;
    else if (char === 0x2c /* , */ && closesNext(json, i + 1)) {
      kept.push(json.slice(from, i));
      from = i + 1;
    }
  }
  kept.push(json.slice(from));
  return kept.join("");
}

function closesNext(json: string, from: number): boolean {
  let i = from;
  while (i < json.length && /\s/.test(json[i]!)) i++;
  return json[i] === "}" || json[i] === "]";
}

function parseObject(text: string): Record<string, unknown> | undefined {
  const value = parseJson(text) ?? parseJson(removeTrailingCommas(text));
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** The JSON objects of a reply after its reasoning, last ones first, at most MAX_CANDIDATES. */
function candidateObjects(reply: string): Array<Record<string, unknown>> {
  const text = stripReasoning(reply);
  const objects: Array<Record<string, unknown>> = [];
  const spans = objectSpans(text);
  for (let i = spans.length - 1; i >= 0 && objects.length < MAX_CANDIDATES; i--) {
    const [start, end] = spans[i]!;
    const value = parseObject(text.slice(start, end));
    if (value !== undefined) objects.push(value);
  }
  return objects;
}

/** The last JSON object in a model's reply (after any reasoning block), or undefined. */
export function extractJsonObject(reply: string): Record<string, unknown> | undefined {
  return candidateObjects(reply)[0];
}

function describeIssue(issue: z.core.$ZodIssue, value: Record<string, unknown>): string {
  const where = issue.path.length === 0 ? "reply" : issue.path.map(String).join(".");
  const top = issue.path[0];
  const missing = issue.path.length === 1 && typeof top === "string" && !(top in value);
  return `${where}: ${missing ? "missing" : issue.message}`;
}

/** The start of a reply on one line, for messages that quote it. */
export function snippet(reply: string): string {
  const flat = reply.slice(0, 400).replace(/\s+/g, " ").trim();
  return flat.length > 120 ? `${flat.slice(0, 120)}…` : flat;
}

function noObjectError(reply: string): string {
  if (reply.trim() === "") return "the reply was empty";
  const answer = stripReasoning(reply);
  if (answer.trim() === "") return "the reply held only reasoning (a <think> block) and no answer after it";
  return `the reply held no JSON object (it began: "${snippet(answer)}")`;
}

/**
 * Validates every JSON object in `reply` against `schema` (and `check`, for rules that depend on the input) and
 * returns the last valid one: a thinking model may write drafts before its answer. When none is valid, the error
 * is the last object's, worded well enough to quote back to the model.
 */
export function parseReply<S extends z.ZodType>(
  reply: string,
  schema: S,
  check?: (value: z.output<S>) => string | undefined,
): ParseResult<z.output<S>> {
  const objects = candidateObjects(reply);
  if (objects.length === 0) return { ok: false, error: noObjectError(reply) };
  let firstError: string | undefined;
  for (const value of objects) {
    const result = validateReply(value, schema, check);
    if (result.ok) return result;
    firstError ??= result.error;
  }
  return { ok: false, error: firstError ?? "no valid reply" };
}

/** One value read from a reply, checked with the step's schema and `check`, its problems worded to quote back to the model. */
export function validateReply<S extends z.ZodType>(
  value: Record<string, unknown>,
  schema: S,
  check?: (value: z.output<S>) => string | undefined,
): ParseResult<z.output<S>> {
  const result = schema.safeParse(value);
  if (!result.success) return { ok: false, error: result.error.issues.map((issue) => describeIssue(issue, value)).join("; ") };
  const problem = check?.(result.data);
  return problem === undefined ? { ok: true, value: result.data } : { ok: false, error: problem };
}
