// The batch benchmark's inputs: one file per item, each with its own bytes (a per-item patch of pixels), so no
// item can be served from another's decode or hash.
import { writeFile } from "node:fs/promises";
import path from "node:path";
import sharp from "sharp";
import { FIXTURES } from "./paths.js";

export const IMAGE_KINDS = {
  tiny: { width: 64, height: 48, format: "png", label: "64×48 PNG" },
  thumb: { width: 160, height: 120, format: "png", label: "160×120 PNG thumbnail" },
  photo: { width: 4032, height: 3024, format: "jpeg", label: "4032×3024 JPEG q90 phone photo" },
} as const;
export type ImageKind = keyof typeof IMAGE_KINDS;

const PATCH_SIDE = 8;

/** Writes `count` images of `kind` into `dir` and returns their file names. */
export async function writeItemImages(dir: string, count: number, kind: ImageKind): Promise<string[]> {
  const { width, height, format } = IMAGE_KINDS[kind];
  const base = await basePixels(kind);
  const names: string[] = [];
  for (let k = 0; k < count; k++) {
    const data = Buffer.from(base);
    stampPatch(data, width, k);
    const image = sharp(data, { raw: { width, height, channels: 3 } });
    const bytes = format === "jpeg" ? await image.jpeg({ quality: 90 }).toBuffer() : await image.png().toBuffer();
    const name = `${k}.${format === "jpeg" ? "jpg" : "png"}`;
    await writeFile(path.join(dir, name), bytes);
    names.push(name);
  }
  return names;
}

/** tiny: a flat colour (as before); thumb and photo: the coffee fixture at that size. */
async function basePixels(kind: ImageKind): Promise<Buffer> {
  const { width, height } = IMAGE_KINDS[kind];
  if (kind === "tiny") return sharp({ create: { width, height, channels: 3, background: { r: 90, g: 120, b: 150 } } }).raw().toBuffer();
  return sharp(path.join(FIXTURES, "coffee.png")).removeAlpha().resize(width, height, { fit: "fill" }).raw().toBuffer();
}

/** An 8×8 block in the top-left corner whose colour encodes the item number. */
function stampPatch(data: Buffer, width: number, k: number): void {
  const colour = [k % 256, (k >> 8) % 256, (k * 37) % 256];
  for (let y = 0; y < PATCH_SIDE; y++) {
    for (let x = 0; x < PATCH_SIDE; x++) {
      const at = (y * width + x) * 3;
      data[at] = colour[0]!;
      data[at + 1] = colour[1]!;
      data[at + 2] = colour[2]!;
    }
  }
}
