import { describe, expect, it } from "vitest";
import { isInShard, parseShard, shardOfId } from "../../src/batch/shard.js";

describe("--shard i/n", () => {
  it("parses i/n and refuses anything else", () => {
    expect(parseShard("2/5")).toEqual({ index: 2, count: 5 });
    for (const bad of ["5/5", "1", "-1/3", "a/b", "0/0", "1/2/3"]) expect(() => parseShard(bad), bad).toThrow(/--shard/);
  });

  it("assigns each id to one shard, the same on every machine, in roughly equal parts", () => {
    expect(shardOfId("photo-001", 4)).toBe(shardOfId("photo-001", 4));
    expect(shardOfId("a", 1000)).toBe(0xca978112 % 1000); // first 32 bits of sha256("a")
    const sizes = [0, 0, 0];
    for (let k = 0; k < 3000; k++) {
      const owners = [0, 1, 2].filter((index) => isInShard({ index, count: 3 }, `id-${k}`, k + 1));
      expect(owners).toHaveLength(1);
      sizes[owners[0]!]!++;
    }
    expect(Math.min(...sizes)).toBeGreaterThan(900);
  });

  it("gives a row without an id to the shard of its line number", () => {
    expect([0, 1, 2].filter((index) => isInShard({ index, count: 3 }, undefined, 7))).toEqual([1]);
  });
});
