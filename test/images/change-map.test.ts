import { readFile } from "node:fs/promises";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import type { ChangeEvidence, Picture } from "../../src/loop/types.js";
import { changeMap } from "../../src/images/change-map.js";
import { SharpWorkbench } from "../../src/images/workbench.js";

interface Rect {
  left: number;
  top: number;
  width: number;
  height: number;
}

async function fixtureBytes(name: string): Promise<Buffer> {
  return readFile(new URL(`../../fixtures/${name}`, import.meta.url));
}

async function picture(bytes: Buffer): Promise<Picture> {
  const { width = 0, height = 0 } = await sharp(bytes).metadata();
  return { bytes, mimeType: "image/png", width, height };
}

function paint(rect: Rect, colour: [number, number, number]) {
  const data = Buffer.alloc(rect.width * rect.height * 3);
  for (let i = 0; i < data.length; i += 3) data.set(colour, i);
  return { input: data, raw: { width: rect.width, height: rect.height, channels: 3 as const }, left: rect.left, top: rect.top };
}

function intersectionOverUnion(box: ChangeEvidence["boxes"][number], rect: Rect, size: { width: number; height: number }): number {
  const a = { left: box.left, top: box.top, right: box.left + box.width, bottom: box.top + box.height };
  const b = {
    left: rect.left / size.width,
    top: rect.top / size.height,
    right: (rect.left + rect.width) / size.width,
    bottom: (rect.top + rect.height) / size.height,
  };
  const overlap = Math.max(0, Math.min(a.right, b.right) - Math.max(a.left, b.left)) * Math.max(0, Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top));
  const area = (r: typeof a) => (r.right - r.left) * (r.bottom - r.top);
  return overlap / (area(a) + area(b) - overlap);
}

describe("change map", () => {
  it("finds a painted rectangle under a slight global brightness drift", async () => {
    const coffee = await fixtureBytes("coffee.png");
    const rect = { left: 300, top: 100, width: 180, height: 150 };
    const edited = await sharp(coffee).modulate({ brightness: 1.03 }).composite([paint(rect, [230, 30, 200])]).png().toBuffer();

    const evidence = await new SharpWorkbench().changeMap(await picture(coffee), await picture(edited));

    const rectShare = (rect.width * rect.height) / (600 * 400);
    expect(evidence.boxes).toHaveLength(1);
    expect(intersectionOverUnion(evidence.boxes[0]!, rect, { width: 600, height: 400 })).toBeGreaterThan(0.7);
    expect(evidence.changedShare).toBeGreaterThan(rectShare * 0.85);
    expect(evidence.changedShare).toBeLessThan(rectShare * 1.15);
    expect(evidence.boxes[0]!.share).toBeCloseTo(evidence.changedShare, 2);
    expect(evidence.meanDifference).toBeGreaterThan(0);
  });

  it("gives a heatmap that decodes as a PNG no larger than 1024 px", async () => {
    const coffee = await fixtureBytes("coffee.png");
    const edited = await sharp(coffee).composite([paint({ left: 50, top: 50, width: 100, height: 100 }, [0, 0, 255])]).png().toBuffer();

    const { heatmap } = await changeMap(await picture(coffee), await picture(edited));
    const decoded = await sharp(heatmap.bytes).metadata();

    expect(heatmap.mimeType).toBe("image/png");
    expect(decoded.format).toBe("png");
    expect([decoded.width, decoded.height]).toEqual([heatmap.width, heatmap.height]);
    expect(Math.max(heatmap.width, heatmap.height)).toBeLessThanOrEqual(1024);
    expect(heatmap.width / heatmap.height).toBeCloseTo(1.5, 1);
  });

  it("reports no change and no boxes for identical images", async () => {
    const chelsea = await picture(await fixtureBytes("chelsea.png"));

    const evidence = await changeMap(chelsea, chelsea);

    expect(evidence.changedShare).toBe(0);
    expect(evidence.boxes).toEqual([]);
    expect(evidence.meanDifference).toBe(0);
  });

  it("lists separate edits as separate boxes, largest first", async () => {
    const coffee = await fixtureBytes("coffee.png");
    const small = { left: 40, top: 280, width: 60, height: 60 };
    const large = { left: 350, top: 40, width: 200, height: 120 };
    const edited = await sharp(coffee).composite([paint(small, [0, 255, 0]), paint(large, [255, 0, 255])]).png().toBuffer();

    const { boxes } = await changeMap(await picture(coffee), await picture(edited));

    expect(boxes).toHaveLength(2);
    expect(intersectionOverUnion(boxes[0]!, large, { width: 600, height: 400 })).toBeGreaterThan(0.7);
    expect(intersectionOverUnion(boxes[1]!, small, { width: 600, height: 400 })).toBeGreaterThan(0.7);
    expect(boxes[0]!.share).toBeGreaterThan(boxes[1]!.share);
  });

  it("compares a candidate returned at another size after bringing it to the base's size", async () => {
    const coffee = await fixtureBytes("coffee.png");
    const halfSize = await sharp(coffee).resize(300, 200).png().toBuffer();

    const evidence = await changeMap(await picture(coffee), await picture(halfSize));

    expect(evidence.changedShare).toBeLessThan(0.02);
    expect(evidence.heatmap.width).toBe(512);
  });

  it("maps a 1-megapixel pair in well under a second", async () => {
    const chelsea = await fixtureBytes("chelsea.png");
    const base = await sharp(chelsea).resize(1232, 816).png().toBuffer();
    const edited = await sharp(base).modulate({ brightness: 1.03 }).composite([paint({ left: 600, top: 200, width: 300, height: 250 }, [20, 200, 40])]).png().toBuffer();
    const [basePicture, editedPicture] = [await picture(base), await picture(edited)];
    await changeMap(basePicture, editedPicture);

    const runs = 5;
    const started = performance.now();
    for (let i = 0; i < runs; i++) await changeMap(basePicture, editedPicture);
    const ms = (performance.now() - started) / runs;

    console.log(`changeMap on 1232×816: ${ms.toFixed(1)} ms per pair`);
    expect(ms).toBeLessThan(500);
  });
});
