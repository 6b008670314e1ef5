// A compact set of the keys (ids, output paths) rows have claimed, each with the line that claimed it.
// 200,000 ids cost a few MB here instead of a Map of strings: keys are kept as 64-bit hashes in typed arrays.
import { createHash } from "node:crypto";

const EMPTY = 0; // line numbers start at 1, so 0 marks a free slot

export class SeenKeys {
  private hashes = new Uint32Array(2 * 1024);
  private lines = new Uint32Array(1024);
  private count = 0;

  /**
   * The line that first claimed `key`, or undefined (after which `key` is claimed by `line`).
   * Two distinct keys share a 64-bit hash with odds of about 1 in 10^9 at 200,000 rows.
   */
  claim(key: string, line: number): number | undefined {
    const [high, low] = hashOf(key);
    const slot = this.find(high, low);
    if (this.lines[slot] !== EMPTY) return this.lines[slot];
    this.hashes[2 * slot] = high;
    this.hashes[2 * slot + 1] = low;
    this.lines[slot] = Math.max(1, line);
    if (++this.count * 2 > this.lines.length) this.grow();
    return undefined;
  }

  /** The line that claimed `key`, if any, without claiming it. */
  lineOf(key: string): number | undefined {
    const [high, low] = hashOf(key);
    const line = this.lines[this.find(high, low)];
    return line === EMPTY ? undefined : line;
  }

  get size(): number {
    return this.count;
  }

  /** Open addressing with linear probing: the slot holding this hash, or the free slot where it belongs. */
  private find(high: number, low: number): number {
    const mask = this.lines.length - 1;
    for (let slot = low & mask; ; slot = (slot + 1) & mask) {
      if (this.lines[slot] === EMPTY || (this.hashes[2 * slot] === high && this.hashes[2 * slot + 1] === low)) return slot;
    }
  }

  private grow(): void {
    const { hashes, lines } = this;
    this.hashes = new Uint32Array(hashes.length * 2);
    this.lines = new Uint32Array(lines.length * 2);
    for (let old = 0; old < lines.length; old++) {
      if (lines[old] === EMPTY) continue;
      const slot = this.find(hashes[2 * old]!, hashes[2 * old + 1]!);
      this.hashes[2 * slot] = hashes[2 * old]!;
      this.hashes[2 * slot + 1] = hashes[2 * old + 1]!;
      this.lines[slot] = lines[old]!;
    }
  }
}

function hashOf(key: string): [number, number] {
  const digest = createHash("sha256").update(key).digest();
  return [digest.readUInt32LE(0), digest.readUInt32LE(4)];
}
