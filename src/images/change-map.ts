// Where a candidate differs from its base: real edits versus the diffuse drift hosted editors add everywhere.
import type { ChangeEvidence, Picture } from "../loop/types.js";
import { close, labelComponents, type BinaryMask } from "./mask.js";
import { decodeRgb, encodePng, fitWithin, readGrey, readRgb, resizeRgb, sharpOf, sharpOfGrey, type RgbImage, type Size } from "./rgb.js";

/**
 * Largest per-pixel channel difference (0–255) still counted as drift. A few percent of brightness or a
 * slight colour cast stays under it; painting, removing or recolouring an object goes well over.
 */
export const CHANGE_THRESHOLD = 24;
/** Analysis runs on a downscaled copy: averaging pixels suppresses noise and lost fine detail, and keeps it fast. */
export const ANALYSIS_LONG_SIDE = 256;
const ANALYSIS_BLUR_SIGMA = 1;
const HEATMAP_LONG_SIDE = 512;
const MAX_BOXES = 8;

export interface ChangeGrid {
  readonly width: number;
  readonly height: number;
  /** Per grid pixel, the largest absolute difference over R, G and B. */
  readonly difference: Uint8Array;
  /** Grid pixels whose difference exceeds CHANGE_THRESHOLD. */
  readonly changed: BinaryMask;
  readonly changedShare: number;
  readonly meanDifference: number;
}

type Box = ChangeEvidence["boxes"][number];

export async function changeMap(base: Picture, candidate: Picture): Promise<ChangeEvidence> {
  const viewSize = fitWithin(base, HEATMAP_LONG_SIDE);
  const [baseView, candidateView] = await Promise.all([decodeRgb(base.bytes, viewSize), decodeRgb(candidate.bytes, viewSize)]);
  const grid = await measureChange(baseView, candidateView);
  return {
    heatmap: await renderHeatmap(baseView, grid),
    changedShare: grid.changedShare,
    boxes: findChangedRegions(grid),
    meanDifference: grid.meanDifference,
  };
}

/** Compares base and candidate (any sizes; the candidate is stretched to the base's) on the analysis grid. */
export async function measureChange(base: RgbImage, candidate: RgbImage): Promise<ChangeGrid> {
  const size = fitWithin(base, ANALYSIS_LONG_SIDE);
  const [a, b] = await Promise.all([analysisView(base, size), analysisView(candidate, size)]);
  const pixels = size.width * size.height;
  const difference = new Uint8Array(pixels);
  const changed = new Uint8Array(pixels);
  let changedCount = 0;
  let total = 0;
  for (let i = 0; i < pixels; i++) {
    const o = i * 3;
    const d = Math.max(
      Math.abs(a.data[o]! - b.data[o]!),
      Math.abs(a.data[o + 1]! - b.data[o + 1]!),
      Math.abs(a.data[o + 2]! - b.data[o + 2]!),
    );
    difference[i] = d;
    total += d;
    if (d > CHANGE_THRESHOLD) {
      changed[i] = 1;
      changedCount++;
    }
  }
  return {
    ...size,
    difference,
    changed: { data: changed, ...size },
    changedShare: changedCount / pixels,
    meanDifference: total / pixels,
  };
}

/** A slight blur on top of the downscale, so lost fine detail and one-pixel shifts along edges read as drift. */
async function analysisView(image: RgbImage, size: Size): Promise<RgbImage> {
  return readRgb(sharpOf(await resizeRgb(image, size)).blur(ANALYSIS_BLUR_SIGMA));
}

/** Connected changed regions as fractions of the image, nearby fragments merged, largest first. */
export function findChangedRegions(grid: ChangeGrid): Box[] {
  const { labels, components } = labelComponents(close(grid.changed, 1));
  const changedPerComponent = countChangedPerLabel(grid.changed, labels, components.length);
  const candidates = components
    .map((component) => ({ ...component, changed: changedPerComponent[component.id]! }))
    .sort((a, b) => b.changed - a.changed)
    // Bounds the quadratic merge below on noisy maps; what is cut is specks.
    .slice(0, 64);
  const minArea = minRegionArea(grid);
  const gap = Math.max(2, Math.round(Math.max(grid.width, grid.height) * 0.02));
  return mergeNearby(candidates, gap)
    .filter((region) => region.area >= minArea)
    .sort((a, b) => b.changed - a.changed)
    .slice(0, MAX_BOXES)
    .map((region) => toFractions(region, grid));
}

/** Fewer changed grid pixels than this are specks, not edits. */
export function minRegionArea(grid: Size): number {
  return Math.max(4, grid.width * grid.height * 0.0005);
}

interface Region {
  left: number;
  top: number;
  right: number;
  bottom: number;
  area: number;
  changed: number;
}

function countChangedPerLabel(changed: BinaryMask, labels: Int32Array, count: number): Int32Array {
  const perLabel = new Int32Array(count);
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i]!;
    if (label >= 0 && changed.data[i] === 1) perLabel[label]!++;
  }
  return perLabel;
}

function mergeNearby(regions: readonly Region[], gap: number): Region[] {
  const merged = [...regions];
  for (let i = 0; i < merged.length; i++) {
    for (let j = i + 1; j < merged.length; j++) {
      if (!near(merged[i]!, merged[j]!, gap)) continue;
      merged[i] = union(merged[i]!, merged[j]!);
      merged.splice(j, 1);
      // The grown region may now reach ones already passed over.
      j = i;
    }
  }
  return merged;
}

function near(a: Region, b: Region, gap: number): boolean {
  return a.left - gap <= b.right && b.left - gap <= a.right && a.top - gap <= b.bottom && b.top - gap <= a.bottom;
}

function union(a: Region, b: Region): Region {
  return {
    left: Math.min(a.left, b.left),
    top: Math.min(a.top, b.top),
    right: Math.max(a.right, b.right),
    bottom: Math.max(a.bottom, b.bottom),
    area: a.area + b.area,
    changed: a.changed + b.changed,
  };
}

function toFractions(region: Region, size: Size): Box {
  return {
    left: region.left / size.width,
    top: region.top / size.height,
    width: (region.right - region.left + 1) / size.width,
    height: (region.bottom - region.top + 1) / size.height,
    share: region.changed / (size.width * size.height),
  };
}

/** The base dimmed to grey, with changed areas from red (just over the threshold) to yellow (large changes). */
async function renderHeatmap(baseView: RgbImage, grid: ChangeGrid): Promise<Picture> {
  const difference = await readGrey(sharpOfGrey(grid.difference, grid).resize(baseView.width, baseView.height, { fit: "fill", kernel: "linear" }));
  const out = Buffer.alloc(baseView.data.length);
  for (let i = 0; i < difference.length; i++) {
    const o = i * 3;
    const grey = 40 + 0.5 * (0.299 * baseView.data[o]! + 0.587 * baseView.data[o + 1]! + 0.114 * baseView.data[o + 2]!);
    const [r, g, b] = heatColour(difference[i]!);
    const alpha = heatOpacity(difference[i]!);
    out[o] = Math.round(grey + (r - grey) * alpha);
    out[o + 1] = Math.round(grey + (g - grey) * alpha);
    out[o + 2] = Math.round(grey + (b - grey) * alpha);
  }
  // Fast compression: the heatmap is re-encoded for the model anyway.
  return encodePng({ data: out, width: baseView.width, height: baseView.height });
}

function heatColour(difference: number): [number, number, number] {
  const intensity = Math.min(1, Math.max(0, (difference - CHANGE_THRESHOLD) / (128 - CHANGE_THRESHOLD)));
  return [255, Math.round(255 * intensity), 0];
}

/** Drift shows faintly, so a reader sees it exists without mistaking it for an edit. */
function heatOpacity(difference: number): number {
  if (difference > CHANGE_THRESHOLD) return 0.8;
  const half = CHANGE_THRESHOLD / 2;
  return difference > half ? (0.3 * (difference - half)) / half : 0;
}
