// Peak signal-to-noise ratio over RGB, for judging how faithfully a region was kept.
import type { RgbImage } from "./rgb.js";

/** Which pixels count: a width × height buffer (non-zero = included) or a predicate on pixel coordinates. */
export type PixelMask = Uint8Array | ((x: number, y: number) => boolean);

/** PSNR in dB; Infinity when the (masked) pixels are identical, NaN when the mask selects nothing. */
export function psnr(a: RgbImage, b: RgbImage, mask?: PixelMask): number {
  if (a.width !== b.width || a.height !== b.height) {
    throw new Error(`psnr needs images of one size, got ${a.width}×${a.height} and ${b.width}×${b.height}`);
  }
  const included = toPredicate(mask, a.width);
  let squaredError = 0;
  let samples = 0;
  for (let y = 0; y < a.height; y++) {
    for (let x = 0; x < a.width; x++) {
      if (!included(x, y)) continue;
      const offset = (y * a.width + x) * 3;
      for (let c = 0; c < 3; c++) {
        const delta = (a.data[offset + c] ?? 0) - (b.data[offset + c] ?? 0);
        squaredError += delta * delta;
      }
      samples += 3;
    }
  }
  if (samples === 0) return Number.NaN;
  if (squaredError === 0) return Number.POSITIVE_INFINITY;
  return 10 * Math.log10((255 * 255 * samples) / squaredError);
}

function toPredicate(mask: PixelMask | undefined, width: number): (x: number, y: number) => boolean {
  if (mask === undefined) return () => true;
  if (typeof mask === "function") return mask;
  return (x, y) => (mask[y * width + x] ?? 0) !== 0;
}
