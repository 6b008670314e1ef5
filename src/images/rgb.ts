// Raw 8-bit sRGB pixels: the common currency of the workbench, so every step sees the same 3-channel layout.
import sharp, { type Sharp } from "sharp";
import type { Picture } from "../loop/types.js";
import { memoize, pictureNote } from "./memo.js";

export interface RgbImage {
  /** width × height × 3 bytes, row-major, no padding. */
  readonly data: Buffer;
  readonly width: number;
  readonly height: number;
}

export interface Size {
  width: number;
  height: number;
}

/** Decodes to 3-channel sRGB; transparency is flattened on white and grey inputs are widened to RGB. */
export async function decodeRgb(bytes: Uint8Array, resizeTo?: Size): Promise<RgbImage> {
  let pipeline = sharp(bytes).flatten({ background: "#ffffff" }).toColourspace("srgb");
  if (resizeTo) pipeline = pipeline.resize(resizeTo.width, resizeTo.height, { fit: "fill" });
  return readRgb(pipeline);
}

/**
 * The pixels of encoded bytes for the loop's own steps: those of a picture this process encoded moments ago when
 * they are still at hand (see rememberPixels), else decoded as decodeRgb does. The same pixels either way, since
 * the loop's pictures are lossless PNGs.
 */
export function pixelsOf(bytes: Uint8Array, resizeTo?: Size): Promise<RgbImage> {
  const known = recallPixels(bytes);
  if (known) return resizeTo ? resizeRgb(known, resizeTo) : Promise.resolve(known);
  if (resizeTo) return decodeRgb(bytes, resizeTo);
  return decodeOnce(bytes);
}

/** Two candidates of one round may ask for their shared base at once: one decode, then the recent-pixels cache. */
const decodeOnce = memoize(async (bytes: Uint8Array) => {
  const image = await decodeRgb(bytes);
  rememberPixels(bytes, image);
  return image;
}, "while-pending");

/**
 * Most pictures are read again within moments of being encoded (the MLLM's copy, the editor upload, the change map,
 * preserve), so the pixels they were encoded from are kept for a while, most recently used first. Bounded in bytes,
 * not tied to the picture's life: ~3 MB per 1 MP picture for a whole job would be hundreds of MB at -j 32.
 */
const RECENT_PIXELS_BUDGET = 24 * 1024 * 1024;
/** Insertion order is recency order: the first key is the least recently used. */
const recentPixels = new Map<Uint8Array, RgbImage>();
let recentPixelBytes = 0;

/** Remembers the pixels `bytes` encode (sRGB, 3 channels), so pixelsOf need not decode them. */
export function rememberPixels(bytes: Uint8Array, image: RgbImage): void {
  forgetPixels(bytes);
  // A picture too big to keep beside a few others would only push out what is about to be used.
  if (image.data.length > RECENT_PIXELS_BUDGET / 4) return;
  recentPixels.set(bytes, image);
  recentPixelBytes += image.data.length;
  for (const oldest of recentPixels.keys()) {
    if (recentPixelBytes <= RECENT_PIXELS_BUDGET) break;
    forgetPixels(oldest);
  }
}

/**
 * Ties `image` to `bytes` for as long as the bytes live, outside the budget: for pixels held elsewhere for the same
 * time anyway (the source's, which are its input's working copy), so keeping them costs nothing.
 */
export function pinPixels(bytes: Uint8Array, image: RgbImage): void {
  pinnedPixels.set(bytes, image);
}

const pinnedPixels = pictureNote<Uint8Array, RgbImage>();

/** The remembered pixels of `bytes`, if they are still kept. */
export function recallPixels(bytes: Uint8Array): RgbImage | undefined {
  const pinned = pinnedPixels.get(bytes);
  if (pinned) return pinned;
  const known = recentPixels.get(bytes);
  if (!known) return undefined;
  recentPixels.delete(bytes);
  recentPixels.set(bytes, known);
  return known;
}

function forgetPixels(bytes: Uint8Array): void {
  const known = recentPixels.get(bytes);
  if (!known) return;
  recentPixels.delete(bytes);
  recentPixelBytes -= known.data.length;
}

export function sharpOf(image: RgbImage): Sharp {
  return sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } });
}

export async function readRgb(pipeline: Sharp): Promise<RgbImage> {
  const { data, info } = await pipeline.raw({ depth: "uchar" }).toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new Error(`expected 3 channels, got ${info.channels}`);
  return { data, width: info.width, height: info.height };
}

export async function resizeRgb(image: RgbImage, size: Size): Promise<RgbImage> {
  if (image.width === size.width && image.height === size.height) return image;
  return readRgb(sharpOf(image).resize(size.width, size.height, { fit: "fill" }));
}

/**
 * PNG settings for pictures inside the loop: lossless and stored without compression. These pictures live in
 * memory for one job and are read back at once: level 1 (without filtering) saved only ~11% of a 1 MP photo's
 * bytes for 8× the encode (42 vs 5 ms) and 4× the decode (23 vs 5.5 ms).
 */
export const FAST_PNG = { compressionLevel: 0, adaptiveFiltering: false } as const;

/** A loop picture as a PNG; its pixels are remembered for the steps that read it next. */
export async function encodePng(image: RgbImage): Promise<Picture> {
  const bytes = await sharpOf(image).png(FAST_PNG).toBuffer();
  rememberPixels(bytes, image);
  return { bytes, mimeType: "image/png", width: image.width, height: image.height };
}

/** The size that fits `size` inside a square of `longSide`, never enlarging. */
export function fitWithin(size: Size, longSide: number): Size {
  const scale = Math.min(1, longSide / Math.max(size.width, size.height));
  return { width: Math.max(1, Math.round(size.width * scale)), height: Math.max(1, Math.round(size.height * scale)) };
}

/** Single-channel pixels (masks, difference maps). */
export function sharpOfGrey(data: Uint8Array, size: Size): Sharp {
  return sharp(data, { raw: { width: size.width, height: size.height, channels: 1 } });
}

/** sharp widens one-channel raw input to sRGB on output unless told otherwise. */
export async function readGrey(pipeline: Sharp): Promise<Buffer> {
  const { data, info } = await pipeline.toColourspace("b-w").raw({ depth: "uchar" }).toBuffer({ resolveWithObject: true });
  if (info.channels !== 1) throw new Error(`expected 1 channel, got ${info.channels}`);
  return data;
}
