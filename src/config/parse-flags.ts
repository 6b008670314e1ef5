// How a flag becomes a value, for every command: one zod schema, one wording for a bad value, one usage error.
import type { z } from "zod";
import { ReasonEditError } from "../errors.js";

export interface FlagContext {
  /** The command the flags belong to, for the hint ("see `reasonedit batch --help`"); any command when omitted. */
  command?: string;
  /** Where a key's value came from, e.g. " (from REASONEDIT_ROUNDS)"; empty when unknown. */
  origin?: (key: string) => string;
  /** A flag spelled otherwise than `--kebab-case` of its key. */
  flagNames?: Record<string, string>;
}

/** Parses already-collected values with the schema; the first problem becomes one usage error naming the flag. */
export function parseFlags<S extends z.ZodType>(schema: S, values: Record<string, unknown>, context: FlagContext): z.output<S> {
  const parsed = schema.safeParse(values);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const key = String(issue.path[0] ?? "");
  const flag = context.flagNames?.[key] ?? flagName(key);
  throw new ReasonEditError("usage", `invalid ${flag}${context.origin?.(key) ?? ""}: ${issue.message}`, {
    hint: context.command ? `see \`reasonedit ${context.command} --help\` for every flag and its default` : "run the command with --help to see every flag and its default",
  });
}

/** Where a value came from, as `--dry-run` reports it and a bad value's message says. */
export type SettingOrigin = { from: "flag" } | { from: "env"; name: string } | { from: "config"; path: string } | { from: "default" };

/** " (from the command line)", " (from REASONEDIT_ROUNDS)", " (from ./reasonedit.config.json)"; empty for a default. */
export function describeOrigin(origin: SettingOrigin | undefined): string {
  switch (origin?.from) {
    case "flag":
      return " (from the command line)";
    case "env":
      return ` (from ${origin.name})`;
    case "config":
      return ` (from ${origin.path})`;
    default:
      return "";
  }
}

/** `maxRetries` → `--max-retries`. */
export function flagName(key: string): string {
  return key ? `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}` : "settings";
}

/** `maxRetries` → `REASONEDIT_MAX_RETRIES`. */
export function envName(key: string): string {
  return `REASONEDIT_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
}

/** Drops keys whose value is undefined, so a later source only overrides what it actually sets. */
export function definedOnly(values: Record<string, unknown> | undefined): Record<string, unknown> {
  return Object.fromEntries(Object.entries(values ?? {}).filter(([, value]) => value !== undefined));
}

export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = current;
  }
  return previous[b.length]!;
}

/** The known name closest to a misspelt one, if it is close enough to be a typo. */
export function nearestName(key: string, known: readonly string[]): string | undefined {
  const lower = key.toLowerCase();
  return known.find((name) => name.toLowerCase() === lower) ?? known.find((name) => editDistance(name.toLowerCase(), lower) <= 2);
}
