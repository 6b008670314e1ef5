import { readFile } from "node:fs/promises";
import sharp from "sharp";
import { beforeAll, describe, expect, it } from "vitest";
import type { Picture } from "../../src/loop/types.js";
import { preserve } from "../../src/images/preserve.js";
import { psnr } from "../../src/images/psnr.js";
import { decodeRgb, type RgbImage } from "../../src/images/rgb.js";
import { SharpWorkbench } from "../../src/images/workbench.js";

const rect = { left: 250, top: 60, width: 120, height: 90 };
/** Room for the kept margin and the feather around the edit (a few analysis-grid pixels at 451 px wide). */
const featherMargin = 16;

const insideRect = (x: number, y: number) => x >= rect.left && x < rect.left + rect.width && y >= rect.top && y < rect.top + rect.height;
const untouched = (x: number, y: number) =>
  x < rect.left - featherMargin || x >= rect.left + rect.width + featherMargin || y < rect.top - featherMargin || y >= rect.top + rect.height + featherMargin;

function picture(bytes: Uint8Array, width: number, height: number): Picture {
  return { bytes, mimeType: "image/png", width, height };
}

/** Reddish noise, seeded so every run paints the same rectangle. */
function noisePatch(width: number, height: number): Buffer {
  let state = 12345;
  const next = () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
  const data = Buffer.alloc(width * height * 3);
  for (let i = 0; i < data.length; i += 3) {
    data[i] = 170 + Math.floor(next() * 85);
    data[i + 1] = Math.floor(next() * 90);
    data[i + 2] = 90 + Math.floor(next() * 110);
  }
  return data;
}

/** What a hosted editor does to a local request: a slight colour drift everywhere, plus the edit itself. */
async function fakeEditorOutput(source: Buffer): Promise<Buffer> {
  return sharp(source)
    .modulate({ brightness: 1.04, hue: 4 })
    .linear([1, 1, 0.96], [0, 2, 4])
    .composite([{ input: noisePatch(rect.width, rect.height), raw: { width: rect.width, height: rect.height, channels: 3 }, ...rect }])
    .png()
    .toBuffer();
}

describe("preserve", () => {
  let source: Buffer;
  let sourcePixels: RgbImage;

  beforeAll(async () => {
    source = await readFile(new URL("../../fixtures/chelsea.png", import.meta.url));
    sourcePixels = await decodeRgb(source);
  });

  it("brings the untouched background back to the source (PSNR ≥ 45 dB) and keeps the edit exactly", async () => {
    const edited = await fakeEditorOutput(source);
    const editedPixels = await decodeRgb(edited);

    const result = await new SharpWorkbench().preserve(picture(source, 451, 300), picture(edited, 451, 300));
    const resultPixels = await decodeRgb(result.image.bytes);

    const withPreserve = psnr(resultPixels, sourcePixels, untouched);
    const withoutPreserve = psnr(editedPixels, sourcePixels, untouched);
    const editKept = psnr(resultPixels, editedPixels, insideRect);
    console.log(`untouched region vs source: ${withPreserve} dB with preserve, ${withoutPreserve.toFixed(1)} dB without; edit vs candidate: ${editKept} dB`);
    expect(withPreserve).toBeGreaterThanOrEqual(45);
    expect(withoutPreserve).toBeLessThan(40);
    expect(editKept).toBeGreaterThanOrEqual(45);
    expect([result.image.width, result.image.height]).toEqual([451, 300]);
    const rectShare = (rect.width * rect.height) / (451 * 300);
    expect(result.preservedShare).toBeGreaterThan(0.75);
    expect(result.preservedShare).toBeLessThan(1 - rectShare);
  });

  it("leaves the untouched background bit-exact, not merely close", async () => {
    const edited = await fakeEditorOutput(source);

    const result = await preserve(picture(source, 451, 300), picture(edited, 451, 300));

    expect(psnr(await decodeRgb(result.image.bytes), sourcePixels, untouched)).toBe(Number.POSITIVE_INFINITY);
  });

  it("returns a global edit unchanged", async () => {
    const tinted = await sharp(source).tint("#ff8800").png().toBuffer();
    const candidate = picture(tinted, 451, 300);

    const result = await preserve(picture(source, 451, 300), candidate);

    expect(result.image).toBe(candidate);
    expect(result.preservedShare).toBe(0);
  });

  it("turns a candidate that only drifted back into the source", async () => {
    const drifted = await sharp(source).modulate({ brightness: 1.03, hue: 3 }).png().toBuffer();

    const result = await preserve(picture(source, 451, 300), picture(drifted, 451, 300));

    expect(result.preservedShare).toBe(1);
    expect((await decodeRgb(result.image.bytes)).data.equals(sourcePixels.data)).toBe(true);
  });
});

describe("psnr", () => {
  const size = { width: 4, height: 2 };
  const image = (fill: (i: number) => number): RgbImage => ({ ...size, data: Buffer.from(Array.from({ length: 24 }, (_, i) => fill(i))) });

  it("is infinite for identical images", () => {
    expect(psnr(image(() => 100), image(() => 100))).toBe(Number.POSITIVE_INFINITY);
  });

  it("is about 48.13 dB when every channel is off by one", () => {
    expect(psnr(image(() => 100), image(() => 101))).toBeCloseTo(48.13, 2);
  });

  it("counts only the pixels a mask selects, as a buffer or a predicate", () => {
    const a = image(() => 100);
    const b = image((i) => (i < 12 ? 100 : 0));
    const topRow = Uint8Array.from([1, 1, 1, 1, 0, 0, 0, 0]);

    expect(psnr(a, b, topRow)).toBe(Number.POSITIVE_INFINITY);
    expect(psnr(a, b, (_x, y) => y === 1)).toBeCloseTo(10 * Math.log10((255 * 255) / (100 * 100)), 6);
  });
});
