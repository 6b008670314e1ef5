// One PNG showing a run at a glance: the source and every round, captioned, in a grid (`reasonedit show --sheet`).
import sharp, { type OverlayOptions } from "sharp";
import type { Picture } from "../loop/types.js";
import { decodeRgb } from "./rgb.js";

export interface ContactSheetTile {
  picture: Picture;
  /** One or two lines ("\n" splits them); longer text is wrapped and cut to fit under the tile. */
  caption: string;
}

export interface ContactSheetOptions {
  tileHeight?: number;
  /** Tiles per row; defaults to all of them, up to 4. */
  columns?: number;
  gap?: number;
  fontSize?: number;
}

export interface ContactSheetLayout {
  width: number;
  height: number;
  cellWidth: number;
  tileHeight: number;
  captionHeight: number;
  /** Where each tile's cell starts (top-left), in tile order. */
  cells: Array<{ left: number; top: number }>;
}

const CAPTION_LINES = 2;
const BACKGROUND = "#f4f4f2";
const TEXT_COLOUR = "#1f1f1f";

export async function contactSheet(tiles: readonly ContactSheetTile[], options: ContactSheetOptions = {}): Promise<Buffer> {
  if (tiles.length === 0) throw new Error("a contact sheet needs at least one tile");
  const tileHeight = options.tileHeight ?? 256;
  const tileWidths = tiles.map(({ picture }) => Math.max(1, Math.round((picture.width * tileHeight) / picture.height)));
  const layout = layoutContactSheet(tileWidths, options);
  const fontSize = options.fontSize ?? 14;
  const overlays = await Promise.all(tiles.map((tile, i) => placeTile(tile.picture, tileWidths[i]!, layout, i)));
  const captions = captionSvg(tiles, layout, fontSize);
  return sharp({ create: { width: layout.width, height: layout.height, channels: 3, background: BACKGROUND } })
    .composite([...overlays, { input: Buffer.from(captions), left: 0, top: 0 }])
    .png()
    .toBuffer();
}

export function layoutContactSheet(tileWidths: readonly number[], options: ContactSheetOptions = {}): ContactSheetLayout {
  const tileHeight = options.tileHeight ?? 256;
  const gap = options.gap ?? 12;
  const fontSize = options.fontSize ?? 14;
  const columns = Math.max(1, Math.min(options.columns ?? 4, tileWidths.length));
  const rows = Math.ceil(tileWidths.length / columns);
  const cellWidth = Math.max(...tileWidths);
  const captionHeight = CAPTION_LINES * lineHeight(fontSize) + Math.ceil(gap / 2);
  const rowHeight = tileHeight + captionHeight;
  const cells = tileWidths.map((_, i) => ({
    left: gap + (i % columns) * (cellWidth + gap),
    top: gap + Math.floor(i / columns) * (rowHeight + gap),
  }));
  return {
    width: gap + columns * (cellWidth + gap),
    height: gap + rows * (rowHeight + gap),
    cellWidth,
    tileHeight,
    captionHeight,
    cells,
  };
}

async function placeTile(picture: Picture, tileWidth: number, layout: ContactSheetLayout, index: number): Promise<OverlayOptions> {
  const pixels = await decodeRgb(picture.bytes, { width: tileWidth, height: layout.tileHeight });
  const cell = layout.cells[index]!;
  return {
    input: pixels.data,
    raw: { width: pixels.width, height: pixels.height, channels: 3 },
    left: cell.left + Math.floor((layout.cellWidth - tileWidth) / 2),
    top: cell.top,
  };
}

function captionSvg(tiles: readonly ContactSheetTile[], layout: ContactSheetLayout, fontSize: number): string {
  // DejaVu Sans is about 0.6 em per character on average: enough to keep text inside its cell.
  const maxChars = Math.max(4, Math.floor(layout.cellWidth / (fontSize * 0.6)));
  const texts = tiles.flatMap((tile, i) => {
    const cell = layout.cells[i]!;
    const centre = cell.left + layout.cellWidth / 2;
    return captionLines(tile.caption, maxChars).map((line, row) => {
      const baseline = cell.top + layout.tileHeight + (row + 1) * lineHeight(fontSize);
      return `<text x="${centre}" y="${baseline}" text-anchor="middle">${escapeXml(line)}</text>`;
    });
  });
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${layout.width}" height="${layout.height}">`,
    `<g font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="${fontSize}" fill="${TEXT_COLOUR}">`,
    ...texts,
    "</g></svg>",
  ].join("");
}

export function captionLines(caption: string, maxChars: number): string[] {
  const explicit = caption.split(/\r?\n/).map((line) => line.trim()).filter((line) => line.length > 0);
  const lines = explicit.length === 1 ? wrapOnce(explicit[0]!, maxChars) : explicit;
  return lines.slice(0, CAPTION_LINES).map((line) => truncate(line, maxChars));
}

/** Splits a long line at the last space that fits, so a verdict and its score can share one caption. */
function wrapOnce(line: string, maxChars: number): string[] {
  if (line.length <= maxChars) return [line];
  const cut = line.lastIndexOf(" ", maxChars);
  if (cut <= 0) return [line];
  return [line.slice(0, cut), line.slice(cut + 1)];
}

function truncate(line: string, maxChars: number): string {
  return line.length <= maxChars ? line : `${line.slice(0, maxChars - 1)}…`;
}

function lineHeight(fontSize: number): number {
  return Math.round(fontSize * 1.4);
}

function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
