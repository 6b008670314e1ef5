// Lenient reading of model replies: find the JSON object wherever the model put it, then validate it strictly.
import type { z } from "zod";

export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: string };

const VIESCORE_DELIMITER = "||V^=^V||";
const FENCE = /```[a-zA-Z]*[ \t]*\n?([\s\S]*?)```/g;

/** Where to look, most specific first: between VIEScore delimiters, inside code fences, then the whole reply. */
function candidateTexts(reply: string): string[] {
  const delimited = reply.split(VIESCORE_DELIMITER).filter((_, i, parts) => i % 2 === 1 && i < parts.length - 1);
  const fenced = [...reply.matchAll(FENCE)].map((match) => match[1] ?? "");
  return [...delimited, ...fenced, reply];
}

/** End index (exclusive) of the balanced object opening at `start`, skipping braces inside strings. */
function balancedEnd(text: string, start: number): number | undefined {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const char = text[i];
    if (inString) {
      if (char === "\\") i++;
      else if (char === '"') inString = false;
    } else if (char === '"') inString = true;
    else if (char === "{") depth++;
    else if (char === "}" && --depth === 0) return i + 1;
  }
  return undefined;
}

/** Drops commas that directly precede a closing brace or bracket, outside strings. */
export function removeTrailingCommas(json: string): string {
  let out = "";
  let inString = false;
  for (let i = 0; i < json.length; i++) {
    const char = json[i] ?? "";
    if (inString) {
      if (char === "\\") {
        out += char + (json[i + 1] ?? "");
        i++;
        continue;
      }
      if (char === '"') inString = false;
    } else if (char === '"') inString = true;
    else if (char === "," && /^\s*[}\]]/.test(json.slice(i + 1))) continue;
    out += char;
  }
  return out;
}

function parseObject(text: string): Record<string, unknown> | undefined {
  for (const attempt of [text, removeTrailingCommas(text)]) {
    try {
      const value: unknown = JSON.parse(attempt);
      if (typeof value === "object" && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
    } catch {
      // try the repaired text next
    }
  }
  return undefined;
}

function firstObjectIn(text: string): Record<string, unknown> | undefined {
  let start = text.indexOf("{");
  while (start !== -1) {
    const end = balancedEnd(text, start);
    const value = end === undefined ? undefined : parseObject(text.slice(start, end));
    if (value !== undefined) return value;
    // An object that failed to parse is skipped whole, so none of its inner objects is mistaken for the reply.
    start = text.indexOf("{", end ?? start + 1);
  }
  return undefined;
}

/** The first JSON object in a model's reply, wherever it sits, or undefined. */
export function extractJsonObject(reply: string): Record<string, unknown> | undefined {
  for (const text of candidateTexts(reply)) {
    const value = firstObjectIn(text);
    if (value !== undefined) return value;
  }
  return undefined;
}

function describeIssue(issue: z.core.$ZodIssue, value: Record<string, unknown>): string {
  const where = issue.path.length === 0 ? "reply" : issue.path.map(String).join(".");
  const top = issue.path[0];
  const missing = issue.path.length === 1 && typeof top === "string" && !(top in value);
  return `${where}: ${missing ? "missing" : issue.message}`;
}

function snippet(reply: string): string {
  const flat = reply.replace(/\s+/g, " ").trim();
  return flat.length > 120 ? `${flat.slice(0, 120)}…` : flat;
}

/** Finds the JSON object in `reply` and validates it; the error reads well enough to quote back to the model. */
export function parseReply<S extends z.ZodType>(reply: string, schema: S): ParseResult<z.output<S>> {
  const value = extractJsonObject(reply);
  if (value === undefined) {
    return { ok: false, error: reply.trim() === "" ? "the reply was empty" : `the reply held no JSON object (it began: "${snippet(reply)}")` };
  }
  const result = schema.safeParse(value);
  if (result.success) return { ok: true, value: result.data };
  return { ok: false, error: result.error.issues.map((issue) => describeIssue(issue, value)).join("; ") };
}
