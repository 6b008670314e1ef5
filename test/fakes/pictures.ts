// Small real images and a sharp-based decode for editor tests.
import sharp from "sharp";
import type { Picture } from "../../src/loop/types.js";

export async function solidPicture(width = 32, height = 24, color = "#6080a0"): Promise<Picture> {
  const bytes = await sharp({ create: { width, height, channels: 3, background: color } }).png().toBuffer();
  return { bytes: new Uint8Array(bytes), mimeType: "image/png", width, height };
}

/** Decodes what the provider sent (throws when it is not an image) and reports it at the target size. */
export async function decodeWithSharp(bytes: Uint8Array, target: { width: number; height: number }): Promise<Picture> {
  const meta = await sharp(bytes).metadata();
  return { bytes, mimeType: `image/${meta.format}`, width: target.width, height: target.height };
}

export async function meanColor(bytes: Uint8Array): Promise<{ r: number; g: number; b: number }> {
  const { channels } = await sharp(bytes).stats();
  const [r, g, b] = channels.map((channel) => Math.round(channel.mean));
  return { r: r ?? 0, g: g ?? 0, b: b ?? 0 };
}

/**
 * A 16×16 JPEG whose frame header was rewritten to claim `width`×`height`: a few hundred bytes that a lenient
 * decoder turns into a huge flat grey picture.
 */
export async function lyingJpeg(width = 10_000, height = 10_000): Promise<Buffer> {
  const honest = await sharp({ create: { width: 16, height: 16, channels: 3, background: "#808080" } }).jpeg({ optimiseCoding: true }).toBuffer();
  const bytes = Buffer.from(honest);
  const frame = bytes.findIndex((byte, i) => byte === 0xff && bytes[i + 1] === 0xc0);
  bytes.writeUInt16BE(height, frame + 5);
  bytes.writeUInt16BE(width, frame + 7);
  return bytes;
}
