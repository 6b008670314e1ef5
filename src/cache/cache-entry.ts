// The files of one cache entry: where they live and what a valid one contains.
import { join } from "node:path";
import { z } from "zod";
import { CACHE_FORMAT_VERSION } from "./cache-key.js";

export const MARKER_FILE = "CACHEDIR.TAG";

/** The Cache Directory Tagging signature (bford.info/cachedir), so backup tools skip the cache too. */
export const MARKER_TEXT =
  "Signature: 8a477f597d28d172789f06886806bc55\n" +
  "# This file is a cache directory tag created by reasonedit.\n" +
  "# `reasonedit cache clear` removes only the entries it wrote here, and only while this file exists.\n" +
  "# For information about cache directory tags, see https://bford.info/cachedir/\n";

export const SHARD_PATTERN = /^[0-9a-f]{2}$/;
export const ENTRY_FILE_PATTERN = /^[0-9a-f]{64}\.(json|bin)$/;
/** writeFileAtomic's temp file for an entry, left behind only by a process that died mid-write. */
export const ENTRY_TEMP_PATTERN = /^\.[0-9a-f]{64}\.(json|bin)\.[0-9a-f]{16}\.tmp$/;

const TokenUsageSchema = z.object({
  prompt: z.number().int().nonnegative(),
  completion: z.number().int().nonnegative(),
  total: z.number().int().nonnegative(),
});

const entryBase = {
  format: z.literal(CACHE_FORMAT_VERSION),
  createdAt: z.string(),
  /** The full key, kept so an entry can be inspected by hand; lookups go by file name. */
  key: z.unknown(),
};

export const ChatEntrySchema = z.object({
  ...entryBase,
  kind: z.literal("chat"),
  value: z.object({ text: z.string(), usage: TokenUsageSchema, finishReason: z.string().optional() }),
});
export type ChatEntry = z.infer<typeof ChatEntrySchema>;

export const EditEntrySchema = z.object({
  ...entryBase,
  kind: z.literal("edit"),
  value: z.object({
    mimeType: z.string().min(1),
    width: z.number().int().positive(),
    height: z.number().int().positive(),
    ms: z.number().nonnegative(),
    /** Describes the .bin beside this file; a mismatch means the pair is torn or damaged. */
    bytes: z.object({ sha256: z.string().regex(/^[0-9a-f]{64}$/), length: z.number().int().nonnegative() }),
  }),
});
export type EditEntry = z.infer<typeof EditEntrySchema>;

/** Enough of any entry to count it, whatever its kind. */
export const EntryHeadSchema = z.object({ kind: z.enum(["chat", "edit"]) });

export interface EntryPaths {
  json: string;
  bin: string;
}

/** Sharded by the first two hex digits so no folder grows past a few thousand files. */
export function entryPaths(dir: string, hash: string): EntryPaths {
  const shard = join(dir, hash.slice(0, 2));
  return { json: join(shard, `${hash}.json`), bin: join(shard, `${hash}.bin`) };
}

export function isOurMarker(text: string | undefined): boolean {
  return text !== undefined && text.startsWith("Signature: 8a477f597d28d172789f06886806bc55") && text.includes("reasonedit");
}
