import { readFile } from "node:fs/promises";
import sharp from "sharp";
import { beforeAll, describe, expect, it } from "vitest";
import type { Picture } from "../../src/loop/types.js";
import { captionLines, contactSheet, type ContactSheetTile } from "../../src/images/contact-sheet.js";

async function fixture(name: string): Promise<Picture> {
  const bytes = await readFile(new URL(`../../fixtures/${name}`, import.meta.url));
  const { width = 0, height = 0 } = await sharp(bytes).metadata();
  return { bytes, mimeType: name.endsWith(".png") ? "image/png" : "image/jpeg", width, height };
}

/** Pixels clearly darker than the light background: text, where there should be text. */
async function darkPixels(png: Buffer, region: { left: number; top: number; width: number; height: number }): Promise<number> {
  const grey = await sharp(png).extract(region).grayscale().raw().toBuffer();
  return grey.filter((v) => v < 128).length;
}

describe("contact sheet", () => {
  let tiles: ContactSheetTile[];

  beforeAll(async () => {
    const [chelsea, coffee, rocket] = await Promise.all([fixture("chelsea.png"), fixture("coffee.png"), fixture("rocket.jpg")]);
    tiles = [
      { picture: chelsea, caption: "source" },
      { picture: coffee, caption: "round 1 · refine\nscore 5.5" },
      { picture: rocket, caption: "round 2 · failed <too much> & more\nscore 3" },
      { picture: chelsea, caption: "round 3 · success · score 8.5 (kept)" },
    ];
  });

  it("lays four tiles out in a grid whose size follows from the tile height, columns and gap", async () => {
    const sheet = await contactSheet(tiles, { tileHeight: 128, columns: 2, gap: 10, fontSize: 14 });
    const { width, height, format } = await sharp(sheet).metadata();

    // Every fixture is 192 px wide at 128 px high; a caption is two 20 px lines plus half a gap.
    const cellWidth = 192;
    const rowHeight = 128 + 2 * 20 + 5;
    expect(format).toBe("png");
    expect(width).toBe(10 + 2 * (cellWidth + 10));
    expect(height).toBe(10 + 2 * (rowHeight + 10));
  });

  it("puts all tiles in one row by default, at 256 px high", async () => {
    const { width, height } = await sharp(await contactSheet(tiles)).metadata();

    expect(height).toBeGreaterThan(256);
    expect(height).toBeLessThan(256 + 100);
    expect(width).toBeGreaterThan(4 * 384);
  });

  it("writes readable captions under each tile, even with characters XML would choke on", async () => {
    const sheet = await contactSheet(tiles, { tileHeight: 128, columns: 2, gap: 10, fontSize: 14 });

    const captionAreas = [
      { left: 10, top: 138, width: 192, height: 45 },
      { left: 212, top: 138, width: 192, height: 45 },
      { left: 10, top: 331, width: 192, height: 45 },
      { left: 212, top: 331, width: 192, height: 45 },
    ];
    for (const area of captionAreas) expect(await darkPixels(sheet, area)).toBeGreaterThan(40);
    const gapBetweenRows = { left: 10, top: 184, width: 394, height: 8 };
    expect(await darkPixels(sheet, gapBetweenRows)).toBe(0);
  });

  it("wraps a long caption onto two lines and cuts what still does not fit", () => {
    expect(captionLines("round 3 · success · score 8.5", 20)).toEqual(["round 3 · success ·", "score 8.5"]);
    expect(captionLines("first\nsecond\nthird", 20)).toEqual(["first", "second"]);
    expect(captionLines("abcdefghijklmnopqrstuvwxyz", 10)).toEqual(["abcdefghi…"]);
  });
});
