// The geometry of exact ops, and the bounds a think reply's ops must keep: the model is untrusted, and a
// resize or a long list of ops must not be able to exhaust memory or time.
import type { ExactOp } from "./replies.js";

export interface Size {
  width: number;
  height: number;
}

/** The image exact ops are applied to at the end (the full-resolution input) and the most pixels a result may have. */
export interface OpsBounds extends Size {
  maxPixels: number;
}

/** A result may be at most this many times the input's width or height: beyond that, upscaling only invents pixels. */
export const MAX_UPSCALE = 4;

type CropOp = Extract<ExactOp, { op: "crop" }>;

/** Fractions to whole pixels, kept inside the image and at least one pixel each way. */
export function cropRegion(size: Size, op: CropOp): { left: number; top: number; width: number; height: number } {
  const left = clamp(Math.round(op.left * size.width), 0, size.width - 1);
  const top = clamp(Math.round(op.top * size.height), 0, size.height - 1);
  const width = clamp(Math.round(op.width * size.width), 1, size.width - left);
  const height = clamp(Math.round(op.height * size.height), 1, size.height - top);
  return { left, top, width, height };
}

export function sizeAfterOps(size: Size, ops: readonly ExactOp[]): Size {
  let current = size;
  for (const op of ops) {
    if (op.op === "rotate" && op.degrees !== 180) current = { width: current.height, height: current.width };
    if (op.op === "crop") {
      const region = cropRegion(current, op);
      current = { width: region.width, height: region.height };
    }
    if (op.op === "resize") {
      const width = op.width ?? Math.max(1, Math.round((current.width * op.height!) / current.height));
      const height = op.height ?? Math.max(1, Math.round((current.height * op.width!) / current.width));
      current = { width, height };
    }
  }
  return current;
}

/** What is wrong with ops that would grow the image past the bounds at any step, or undefined when they fit. */
export function opsProblem(ops: readonly ExactOp[], bounds: OpsBounds): string | undefined {
  const longest = MAX_UPSCALE * Math.max(bounds.width, bounds.height);
  let current: Size = bounds;
  for (const [index, op] of ops.entries()) {
    current = sizeAfterOps(current, [op]);
    const pixels = current.width * current.height;
    if (pixels > bounds.maxPixels || Math.max(current.width, current.height) > longest) {
      return (
        `ops[${index}]: ${op.op} would make the ${bounds.width}×${bounds.height} image ${current.width}×${current.height}; ` +
        `a result may have at most ${bounds.maxPixels.toLocaleString("en-US")} pixels and ${MAX_UPSCALE}× the input's longest side (${longest} px)`
      );
    }
  }
  return undefined;
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}
