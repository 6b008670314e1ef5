// Raw 8-bit sRGB pixels: the common currency of the workbench, so every step sees the same 3-channel layout.
import sharp, { type Sharp } from "sharp";
import type { Picture } from "../loop/types.js";

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
export function decodeRgb(bytes: Uint8Array, resizeTo?: Size): Promise<RgbImage> {
  if (resizeTo) return decodeUncached(bytes, resizeTo);
  // preserve and the change map decode the same two pictures each round; decode each once.
  let decoded = decodedPictures.get(bytes);
  if (!decoded) {
    decoded = decodeUncached(bytes);
    decodedPictures.set(bytes, decoded);
    decoded.catch(() => decodedPictures.delete(bytes));
  }
  return decoded;
}

const decodedPictures = new WeakMap<Uint8Array, Promise<RgbImage>>();

async function decodeUncached(bytes: Uint8Array, resizeTo?: Size): Promise<RgbImage> {
  let pipeline = sharp(bytes).flatten({ background: "#ffffff" }).toColourspace("srgb");
  if (resizeTo) pipeline = pipeline.resize(resizeTo.width, resizeTo.height, { fit: "fill" });
  return readRgb(pipeline);
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
 * PNG settings for pictures inside the loop: lossless, about 3× faster to write than sharp's default (level 6 with
 * adaptive filtering) for ~12% more bytes — these pictures are written once per round and read back at once.
 */
export const FAST_PNG = { compressionLevel: 1, adaptiveFiltering: false } as const;

export async function encodePng(image: RgbImage): Promise<Picture> {
  const bytes = await sharpOf(image).png(FAST_PNG).toBuffer();
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
