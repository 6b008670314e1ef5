// Exact ops from a model are bounded: no result past the pixel limit or far past the input's size.
import { describe, expect, it } from "vitest";
import { opsProblem, sizeAfterOps } from "../../src/loop/op-bounds.js";
import { ThinkReplySchema, type ExactOp } from "../../src/loop/replies.js";

const INPUT = { width: 256, height: 256, maxPixels: 100_000_000 };

describe("opsProblem", () => {
  it("accepts ordinary ops, a 4× upscale included", () => {
    const ops: ExactOp[] = [{ op: "rotate", degrees: 90 }, { op: "crop", left: 0, top: 0, width: 0.5, height: 1 }, { op: "resize", width: 512 }];
    expect(opsProblem(ops, INPUT)).toBeUndefined();
    expect(sizeAfterOps(INPUT, ops)).toEqual({ width: 512, height: 1024 });
  });

  it("refuses a resize past the pixel limit, saying the sizes and the limit", () => {
    const big = { width: 8000, height: 6000, maxPixels: 100_000_000 };
    expect(opsProblem([{ op: "resize", width: 16384, height: 16384 }], big)).toMatch(/ops\[0\]: resize would make the 8000×6000 image 16384×16384; a result may have at most 100,000,000 pixels/);
  });

  it("refuses an upscale beyond 4× the input's longest side, even under the pixel limit", () => {
    expect(opsProblem([{ op: "resize", width: 16384, height: 8192 }], INPUT)).toMatch(/4× the input's longest side \(1024 px\)/);
    expect(opsProblem([{ op: "resize", height: 2000 }], INPUT)).toMatch(/256×256 image 2000×2000/);
  });

  it("checks every step, so a crop after a huge resize does not hide it", () => {
    const ops: ExactOp[] = [{ op: "resize", width: 16384, height: 16384 }, { op: "crop", left: 0, top: 0, width: 0.01, height: 0.01 }];
    expect(opsProblem(ops, INPUT)).toMatch(/^ops\[0\]/);
  });
});

describe("the think reply schema", () => {
  it("allows a handful of ops and refuses thousands", () => {
    const flips = (n: number) => Array.from({ length: n }, () => ({ op: "flip", axis: "horizontal" }));
    expect(ThinkReplySchema.safeParse({ instruction: null, ops: flips(8) }).success).toBe(true);
    const refused = ThinkReplySchema.safeParse({ instruction: null, ops: flips(10_000) });
    expect(refused.success).toBe(false);
    expect(refused.error?.issues[0]?.message).toBe("at most 8 exact operations");
  });
});
