// Undo the editor's drift outside a local edit: the base comes back bit for bit wherever nothing was meant to change.
import type { Picture } from "../loop/types.js";
import { measureChange, minRegionArea, type ChangeGrid } from "./change-map.js";
import { dilate, close, fillSmallHoles, removeSmallComponents, type BinaryMask } from "./mask.js";
import { encodePng, pixelsOf, readGrey, sharpOfGrey, type RgbImage } from "./rgb.js";

/** Above this changed share the edit looks global, and compositing the base back would undo it. */
export const GLOBAL_CHANGE_SHARE = 0.6;
/** How far (in analysis-grid pixels) the kept region reaches past the detected change; the feather is centred on its edge. */
const MARGIN_GRID_PX = 3;
/** Where a Gaussian edge reaches 2.3% / 97.7%: values beyond are snapped to 0 / 255 so both sides stay exact. */
const FEATHER_CLIP = 0.023;

export interface Preserved {
  image: Picture;
  /** Share of pixels taken from the base (feathered pixels count by their weight), 0–1. */
  preservedShare: number;
}

export async function preserve(base: Picture, candidate: Picture): Promise<Preserved> {
  const baseRgb = await pixelsOf(base.bytes);
  const candidateRgb = await pixelsOf(candidate.bytes, baseRgb);
  const kept = await preservePixels(baseRgb, candidateRgb);
  if (!kept) return { image: candidate, preservedShare: 0 };
  return { image: await encodePng(kept.image), preservedShare: kept.preservedShare };
}

/**
 * preserve on pixels already decoded (the candidate at the base's size), for callers that hold them: the blended
 * pixels, or undefined when none of the base comes back (a global edit, or nothing that only drifted).
 */
export async function preservePixels(base: RgbImage, candidate: RgbImage): Promise<{ image: RgbImage; preservedShare: number } | undefined> {
  const grid = await measureChange(base, candidate);
  if (grid.changedShare > GLOBAL_CHANGE_SHARE) return undefined;
  const weights = await featheredMask(editedRegion(grid), base);
  const blended = blend(base, candidate, weights);
  return blended.preservedShare === 0 ? undefined : blended;
}

/** The changed grid pixels as whole regions: fragments joined, specks dropped, small holes filled, then widened. */
export function editedRegion(grid: ChangeGrid): BinaryMask {
  const pixels = grid.width * grid.height;
  const joined = close(grid.changed, 1);
  const solid = fillSmallHoles(removeSmallComponents(joined, minRegionArea(grid)), pixels * 0.05);
  return dilate(solid, MARGIN_GRID_PX);
}

/** Per full-size pixel, 255 = candidate, 0 = base, a soft ramp across the region's edge. */
async function featheredMask(region: BinaryMask, size: { width: number; height: number }): Promise<Uint8Array> {
  const scale = size.width / region.width;
  const sigma = Math.max(0.5, (MARGIN_GRID_PX * scale) / 4);
  const levels = new Uint8Array(region.data.length);
  for (let i = 0; i < levels.length; i++) levels[i] = region.data[i]! * 255;
  // One pipeline: sharp blurs after resizing, on 8-bit pixels, exactly as two separate calls would.
  const blurred = await readGrey(sharpOfGrey(levels, region).resize(size.width, size.height, { fit: "fill", kernel: "nearest" }).blur(sigma));
  for (let i = 0; i < blurred.length; i++) blurred[i] = FEATHER_STRETCH[blurred[i]!]!;
  return blurred;
}

/** Maps the blurred mask so the Gaussian's far tails become exactly 0 and 255. */
const FEATHER_STRETCH = (() => {
  const low = 255 * FEATHER_CLIP;
  const high = 255 * (1 - FEATHER_CLIP);
  return Uint8Array.from({ length: 256 }, (_, v) => Math.round(Math.min(1, Math.max(0, (v - low) / (high - low))) * 255));
})();

function blend(base: RgbImage, candidate: RgbImage, weights: Uint8Array): { image: RgbImage; preservedShare: number } {
  const from = base.data;
  const to = candidate.data;
  const data = Buffer.allocUnsafe(from.length);
  let baseWeight = 0;
  for (let i = 0, c = 0; i < weights.length; i++, c += 3) {
    const w = weights[i]!;
    baseWeight += 255 - w;
    // w = 0 gives the base byte and w = 255 the candidate byte exactly; most pixels are one or the other.
    const source = w === 0 ? from : w === 255 ? to : undefined;
    if (source) {
      data[c] = source[c]!;
      data[c + 1] = source[c + 1]!;
      data[c + 2] = source[c + 2]!;
      continue;
    }
    for (let k = c; k < c + 3; k++) data[k] = from[k]! + Math.round(((to[k]! - from[k]!) * w) / 255);
  }
  return { image: { data, width: base.width, height: base.height }, preservedShare: baseWeight / (255 * weights.length) };
}
