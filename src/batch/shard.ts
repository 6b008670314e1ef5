// Stable sharding by id, so n processes can split one manifest with no coordination.
import { createHash } from "node:crypto";
import { ReasonEditError } from "../errors.js";

export interface Shard {
  index: number;
  count: number;
}

/** Parses `i/n` with 0 ≤ i < n. */
export function parseShard(text: string): Shard {
  const match = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  const index = match ? Number(match[1]) : NaN;
  const count = match ? Number(match[2]) : NaN;
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(count) || count < 1 || index >= count) {
    throw new ReasonEditError("usage", `invalid --shard ${JSON.stringify(text)}: expected i/n with 0 ≤ i < n`, {
      hint: "e.g. --shard 0/4 … --shard 3/4 split a manifest four ways",
    });
  }
  return { index, count };
}

/** The first 32 bits of sha256(id), mod n: the same on every machine and Node version. */
export function shardOfId(id: string, count: number): number {
  return createHash("sha256").update(id, "utf8").digest().readUInt32BE(0) % count;
}

/**
 * Whether a manifest row belongs to this shard. A row without a usable id (unparsable line, missing id)
 * is reported by the shard its line number falls in, so every row is reported exactly once overall.
 */
export function isInShard(shard: Shard | undefined, id: string | undefined, line: number): boolean {
  if (!shard || shard.count === 1) return true;
  const owner = id !== undefined && id !== "" ? shardOfId(id, shard.count) : line % shard.count;
  return owner === shard.index;
}
