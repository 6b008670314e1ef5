// Undo the editor's drift outside a local edit: the base comes back bit for bit wherever nothing was meant to change.
import type { Picture } from "../loop/types.js";
import { measureChange, minRegionArea, type ChangeGrid } from "./change-map.js";
import { dilate, close, fillSmallHoles, removeSmallComponents, type BinaryMask } from "./mask.js";
import { decodeRgb, encodePng, readGrey, sharpOfGrey, type RgbImage } from "./rgb.js";

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
  const baseRgb = await decodeRgb(base.bytes);
  const candidateRgb = await decodeRgb(candidate.bytes, baseRgb);
  const grid = await measureChange(baseRgb, candidateRgb);
  if (grid.changedShare > GLOBAL_CHANGE_SHARE) return { image: candidate, preservedShare: 0 };
  const weights = await featheredMask(editedRegion(grid), baseRgb);
  const { image, preservedShare } = blend(baseRgb, candidateRgb, weights);
  if (preservedShare === 0) return { image: candidate, preservedShare: 0 };
  return { image: await encodePng(image), preservedShare };
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
  const upscaled = await readGrey(sharpOfGrey(region.data.map((v) => v * 255), region).resize(size.width, size.height, { fit: "fill", kernel: "nearest" }));
  const blurred = await readGrey(sharpOfGrey(upscaled, size).blur(sigma));
  const stretch = featherStretch();
  const weights = new Uint8Array(blurred.length);
  for (let i = 0; i < blurred.length; i++) weights[i] = stretch[blurred[i]!]!;
  return weights;
}

function featherStretch(): Uint8Array {
  const low = 255 * FEATHER_CLIP;
  const high = 255 * (1 - FEATHER_CLIP);
  return Uint8Array.from({ length: 256 }, (_, v) => Math.round(Math.min(1, Math.max(0, (v - low) / (high - low))) * 255));
}

function blend(base: RgbImage, candidate: RgbImage, weights: Uint8Array): { image: RgbImage; preservedShare: number } {
  const data = Buffer.alloc(base.data.length);
  let baseWeight = 0;
  for (let i = 0; i < weights.length; i++) {
    const w = weights[i]!;
    baseWeight += 255 - w;
    for (let c = i * 3; c < i * 3 + 3; c++) {
      const from = base.data[c]!;
      // w = 0 gives the base byte and w = 255 the candidate byte exactly.
      data[c] = from + Math.round(((candidate.data[c]! - from) * w) / 255);
    }
  }
  return { image: { data, width: base.width, height: base.height }, preservedShare: baseWeight / (255 * weights.length) };
}
