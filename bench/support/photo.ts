// A 12-megapixel "photo" for the payload measurement: fixtures/coffee.png upscaled to 4240×2832 with
// deterministic grain, so it compresses like a camera picture rather than like a smooth upscale.
import { writeFile } from "node:fs/promises";
import path from "node:path";
import sharp from "sharp";
import { FIXTURES } from "./paths.js";

export const PHOTO_WIDTH = 4240;
export const PHOTO_HEIGHT = 2832;

export interface Photo {
  format: "jpeg" | "png";
  path: string;
  bytes: number;
  width: number;
  height: number;
}

/** Writes photo.jpg (quality 92) and photo.png into `dir`. */
export async function makePhotos(dir: string): Promise<Photo[]> {
  const { data, info } = await sharp(path.join(FIXTURES, "coffee.png"))
    .removeAlpha()
    .resize(PHOTO_WIDTH, PHOTO_HEIGHT, { fit: "fill", kernel: "lanczos3" })
    .raw()
    .toBuffer({ resolveWithObject: true });
  addGrain(data, info.channels);
  const pixels = () => sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } });
  const jpeg = await pixels().jpeg({ quality: 92 }).toBuffer();
  const png = await pixels().png().toBuffer();
  const photos: Photo[] = [];
  for (const [format, bytes, name] of [["jpeg", jpeg, "photo.jpg"], ["png", png, "photo.png"]] as const) {
    const file = path.join(dir, name);
    await writeFile(file, bytes);
    photos.push({ format, path: file, bytes: bytes.length, width: info.width, height: info.height });
  }
  return photos;
}

/** Sensor-like grain: luminance noise shared by the channels plus a little colour noise (xorshift32, fixed seed). */
function addGrain(data: Buffer, channels: number): void {
  let state = 0x2545f491;
  const next = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return state >>> 0;
  };
  // Triangular noise in about ±(a + b): the sum of two uniform bytes, centred.
  const noise = (amplitude: number, r: number) => ((((r & 0xff) + ((r >>> 8) & 0xff)) - 255) / 255) * amplitude;
  for (let pixel = 0; pixel < data.length; pixel += channels) {
    const luma = noise(10, next());
    const colour = next();
    for (let c = 0; c < channels; c++) {
      const value = data[pixel + c]! + luma + noise(3, colour >>> (8 * c));
      data[pixel + c] = value < 0 ? 0 : value > 255 ? 255 : Math.round(value);
    }
  }
}
