// Where a candidate differs from its base: real edits versus the diffuse drift hosted editors add everywhere.
import type { ChangeEvidence, Picture } from "../loop/types.js";
import { close, labelComponents, type BinaryMask } from "./mask.js";
import { memoize } from "./memo.js";
import { encodePng, fitWithin, pixelsOf, readRgb, sharpOf, type RgbImage, type Size } from "./rgb.js";

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
  const [baseView, candidateView] = await Promise.all([baseViewOf(base), pixelsOf(candidate.bytes, viewSize)]);
  const grid = await measureChange(baseView, candidateView);
  return {
    heatmap: await renderHeatmap(baseView, grid),
    changedShare: grid.changedShare,
    boxes: findChangedRegions(grid),
    meanDifference: grid.meanDifference,
  };
}

/** Bases at the heat map's size, kept with the picture: every candidate and round compared with a base reuses it. */
const baseViewOf = memoize((base: Picture) => pixelsOf(base.bytes, fitWithin(base, HEATMAP_LONG_SIDE)));

/** Compares base and candidate (any sizes; the candidate is stretched to the base's) on the analysis grid. */
export async function measureChange(base: RgbImage, candidate: RgbImage): Promise<ChangeGrid> {
  const size = fitWithin(base, ANALYSIS_LONG_SIDE);
  const [a, b] = await Promise.all([analysisView(base, size), analysisView(candidate, size)]);
  const pixels = size.width * size.height;
  const difference = new Uint8Array(pixels);
  const changed = new Uint8Array(pixels);
  const from = a.data;
  const to = b.data;
  let changedCount = 0;
  let total = 0;
  for (let i = 0, o = 0; i < pixels; i++, o += 3) {
    const dr = from[o]! - to[o]!;
    const dg = from[o + 1]! - to[o + 1]!;
    const db = from[o + 2]! - to[o + 2]!;
    let d = dr < 0 ? -dr : dr;
    if (dg > d) d = dg;
    else if (-dg > d) d = -dg;
    if (db > d) d = db;
    else if (-db > d) d = -db;
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
function analysisView(image: RgbImage, size: Size): Promise<RgbImage> {
  const own = fitWithin(image, ANALYSIS_LONG_SIDE);
  return own.width === size.width && own.height === size.height ? ownAnalysisView(image) : reduceForAnalysis(image, size);
}

/** A base compared with several candidates (or rounds) is reduced once; a candidate at the base's size is reduced once too. */
const ownAnalysisView = memoize((image: RgbImage) => reduceForAnalysis(image, fitWithin(image, ANALYSIS_LONG_SIDE)));

async function reduceForAnalysis(image: RgbImage, size: Size): Promise<RgbImage> {
  // One pipeline: sharp blurs after resizing, on 8-bit pixels, exactly as two separate calls would.
  const pipeline = sharpOf(image);
  if (image.width !== size.width || image.height !== size.height) pipeline.resize(size.width, size.height, { fit: "fill" });
  return readRgb(pipeline.blur(ANALYSIS_BLUR_SIGMA));
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
  const { width, height } = baseView;
  const base = baseView.data;
  const out = Buffer.allocUnsafe(base.length);
  const { low: leftCell, high: rightCell, fraction: rightWeight } = bilinearTaps(width, grid.width);
  const rows = bilinearTaps(height, grid.height);
  const cells = grid.difference;
  const gridWidth = grid.width;
  const green = HEAT_GREEN;
  const opacity = HEAT_OPACITY;
  // The grid's differences, bilinearly upsampled: first between two grid rows, then along the row per pixel.
  const between = new Float64Array(gridWidth);
  for (let y = 0, o = 0; y < height; y++) {
    const above = rows.low[y]! * gridWidth;
    const below = rows.high[y]! * gridWidth;
    const fy = rows.fraction[y]!;
    for (let x = 0; x < gridWidth; x++) between[x] = cells[above + x]! + (cells[below + x]! - cells[above + x]!) * fy;
    // Every value here is non-negative, so (v + 0.5) | 0 rounds as Math.round does, at a fraction of its cost.
    for (let x = 0; x < width; x++, o += 3) {
      const left = between[leftCell[x]!]!;
      const d = (left + (between[rightCell[x]!]! - left) * rightWeight[x]! + 0.5) | 0;
      const grey = 40 + 0.5 * (0.299 * base[o]! + 0.587 * base[o + 1]! + 0.114 * base[o + 2]!);
      const alpha = opacity[d]!;
      if (alpha === 0) {
        const dimmed = (grey + 0.5) | 0;
        out[o] = dimmed;
        out[o + 1] = dimmed;
        out[o + 2] = dimmed;
        continue;
      }
      out[o] = (grey + (255 - grey) * alpha + 0.5) | 0;
      out[o + 1] = (grey + (green[d]! - grey) * alpha + 0.5) | 0;
      out[o + 2] = (grey - grey * alpha + 0.5) | 0;
    }
  }
  // Fast compression: the heatmap is re-encoded for the model anyway.
  return encodePng({ data: out, width, height });
}

/**
 * For each of `size` output positions, the two grid cells to interpolate between and the weight of the second,
 * sampling as libvips's linear upsizing does (output x reads grid x × grid/size − 0.5), so the map matches sharp's.
 */
function bilinearTaps(size: number, gridSize: number): { low: Int32Array; high: Int32Array; fraction: Float64Array } {
  const low = new Int32Array(size);
  const high = new Int32Array(size);
  const fraction = new Float64Array(size);
  for (let i = 0; i < size; i++) {
    const at = Math.min(gridSize - 1, Math.max(0, (i * gridSize) / size - 0.5));
    const cell = Math.floor(at);
    low[i] = cell;
    high[i] = Math.min(cell + 1, gridSize - 1);
    fraction[i] = at - cell;
  }
  return { low, high, fraction };
}

/** The heat colour is [255, green, 0]: green rises with the difference, so red turns to yellow. */
function heatGreen(difference: number): number {
  const intensity = Math.min(1, Math.max(0, (difference - CHANGE_THRESHOLD) / (128 - CHANGE_THRESHOLD)));
  return Math.round(255 * intensity);
}

/** Drift shows faintly, so a reader sees it exists without mistaking it for an edit. */
function heatOpacity(difference: number): number {
  if (difference > CHANGE_THRESHOLD) return 0.8;
  const half = CHANGE_THRESHOLD / 2;
  return difference > half ? (0.3 * (difference - half)) / half : 0;
}

// Per difference value (0–255), looked up per pixel.
const HEAT_GREEN = Float64Array.from({ length: 256 }, (_, d) => heatGreen(d));
const HEAT_OPACITY = Float64Array.from({ length: 256 }, (_, d) => heatOpacity(d));
