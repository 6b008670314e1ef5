// Exact ops (docs/DESIGN.md §2): geometric and photometric edits done by sharp, never by the diffusion editor.
import type { Sharp } from "sharp";
import type { Picture } from "../loop/types.js";
import type { ExactOp } from "../loop/replies.js";
import { cropRegion } from "../loop/op-bounds.js";
import { encodePng, pixelsOf, readRgb, sharpOf, type RgbImage } from "./rgb.js";

export async function applyOps(image: Picture, ops: readonly ExactOp[]): Promise<Picture> {
  if (ops.length === 0) return image;
  let pixels = await pixelsOf(image.bytes);
  // One sharp call per op, on raw pixels: sharp reorders chained operations, and the ops must run in the given order.
  for (const op of ops) pixels = await applyOp(pixels, op);
  return encodePng(pixels);
}

export async function applyOp(image: RgbImage, op: ExactOp): Promise<RgbImage> {
  const input = sharpOf(image);
  switch (op.op) {
    case "rotate":
      return readRgb(input.rotate(op.degrees));
    case "flip":
      return readRgb(op.axis === "horizontal" ? input.flop() : input.flip());
    case "crop":
      return readRgb(input.extract(cropRegion(image, op)));
    case "resize":
      return readRgb(resize(input, op));
    case "grayscale":
      return widenGrey(await input.grayscale().raw().toBuffer({ resolveWithObject: true }));
    case "brightness":
      return readRgb(input.modulate({ brightness: op.factor }));
    case "saturation":
      return readRgb(input.modulate({ saturation: op.factor }));
    case "contrast":
      return readRgb(input.linear(op.factor, 128 * (1 - op.factor)));
    case "blur":
      return readRgb(input.blur(op.sigma));
    case "sharpen":
      return readRgb(input.sharpen({ sigma: op.sigma }));
  }
}

type ResizeOp = Extract<ExactOp, { op: "resize" }>;

function resize(input: Sharp, { width, height }: ResizeOp): Sharp {
  // Both sides given means exactly that size: sharp's default fit would crop to cover it.
  if (width !== undefined && height !== undefined) return input.resize(width, height, { fit: "fill" });
  return input.resize({ width, height });
}

/** Later steps expect three channels, so the single grey channel is copied into R, G and B. */
function widenGrey({ data, info }: { data: Buffer; info: { width: number; height: number; channels: number } }): RgbImage {
  const pixels = info.width * info.height;
  const rgb = Buffer.alloc(pixels * 3);
  for (let i = 0; i < pixels; i++) {
    const grey = data[i * info.channels] ?? 0;
    rgb[i * 3] = grey;
    rgb[i * 3 + 1] = grey;
    rgb[i * 3 + 2] = grey;
  }
  return { data: rgb, width: info.width, height: info.height };
}

export function describeOp(op: ExactOp): string {
  switch (op.op) {
    case "rotate":
      return `rotate ${op.degrees}°`;
    case "flip":
      return `flip ${op.axis}`;
    case "crop":
      return `crop left ${percent(op.left)}, top ${percent(op.top)}, width ${percent(op.width)}, height ${percent(op.height)}`;
    case "resize":
      return describeResize(op.width, op.height);
    case "grayscale":
      return "grayscale";
    case "brightness":
    case "contrast":
    case "saturation":
      return `${op.op} ×${op.factor}`;
    case "blur":
    case "sharpen":
      return `${op.op} σ${op.sigma}`;
  }
}

function describeResize(width: number | undefined, height: number | undefined): string {
  if (width !== undefined && height !== undefined) return `resize to ${width}×${height} px`;
  if (width !== undefined) return `resize to ${width} px wide`;
  return `resize to ${height ?? "?"} px high`;
}

function percent(fraction: number): string {
  return `${Number((fraction * 100).toFixed(1))}%`;
}
