import { readFile } from "node:fs/promises";
import sharp, { type Sharp } from "sharp";
import { describe, expect, it } from "vitest";
import type { ExactOp } from "../../src/loop/replies.js";
import type { Picture } from "../../src/loop/types.js";
import { applyOps, describeOp } from "../../src/images/ops.js";
import { SharpWorkbench } from "../../src/images/workbench.js";

async function fixture(name: string): Promise<Picture> {
  const bytes = await readFile(new URL(`../../fixtures/${name}`, import.meta.url));
  const { width = 0, height = 0 } = await sharp(bytes).metadata();
  return { bytes, mimeType: name.endsWith(".png") ? "image/png" : "image/jpeg", width, height };
}

async function rawPixels(bytes: Uint8Array) {
  return sharp(bytes).raw().toBuffer({ resolveWithObject: true });
}

/** What sharp itself gives for one operation on the image's raw pixels. */
async function sharpAlone(picture: Picture, operation: (image: Sharp) => Sharp) {
  const source = await rawPixels(picture.bytes);
  const image = sharp(source.data, { raw: { width: source.info.width, height: source.info.height, channels: 3 } });
  return operation(image).raw().toBuffer({ resolveWithObject: true });
}

const cases: Array<[ExactOp, (image: Sharp) => Sharp]> = [
  [{ op: "rotate", degrees: 90 }, (s) => s.rotate(90)],
  [{ op: "rotate", degrees: 180 }, (s) => s.rotate(180)],
  [{ op: "rotate", degrees: 270 }, (s) => s.rotate(270)],
  [{ op: "flip", axis: "horizontal" }, (s) => s.flop()],
  [{ op: "flip", axis: "vertical" }, (s) => s.flip()],
  [{ op: "crop", left: 0.5, top: 0.25, width: 0.5, height: 0.5 }, (s) => s.extract({ left: 226, top: 75, width: 225, height: 150 })],
  [{ op: "resize", width: 200 }, (s) => s.resize({ width: 200 })],
  [{ op: "resize", height: 120 }, (s) => s.resize({ height: 120 })],
  [{ op: "resize", width: 300, height: 300 }, (s) => s.resize(300, 300, { fit: "fill" })],
  [{ op: "brightness", factor: 1.3 }, (s) => s.modulate({ brightness: 1.3 })],
  [{ op: "saturation", factor: 0.4 }, (s) => s.modulate({ saturation: 0.4 })],
  [{ op: "contrast", factor: 1.5 }, (s) => s.linear(1.5, 128 * (1 - 1.5))],
  [{ op: "contrast", factor: 0.7 }, (s) => s.linear(0.7, 128 * (1 - 0.7))],
  [{ op: "blur", sigma: 2.5 }, (s) => s.blur(2.5)],
  [{ op: "sharpen", sigma: 1.2 }, (s) => s.sharpen({ sigma: 1.2 })],
];

describe("exact ops", () => {
  it.each(cases)("%j gives exactly sharp's own result, pixel for pixel", async (op, operation) => {
    const chelsea = await fixture("chelsea.png");
    const expected = await sharpAlone(chelsea, operation);

    const result = await applyOps(chelsea, [op]);
    const actual = await rawPixels(result.bytes);

    expect(result.mimeType).toBe("image/png");
    expect([result.width, result.height]).toEqual([expected.info.width, expected.info.height]);
    expect([actual.info.width, actual.info.height, actual.info.channels]).toEqual([expected.info.width, expected.info.height, 3]);
    expect(actual.data.equals(expected.data)).toBe(true);
  });

  it("grayscale gives sharp's grey in all three channels", async () => {
    const coffee = await fixture("coffee.png");
    const grey = await sharpAlone(coffee, (s) => s.grayscale());

    const actual = await rawPixels((await applyOps(coffee, [{ op: "grayscale" }])).bytes);

    expect(actual.info.channels).toBe(3);
    const pixels = actual.info.width * actual.info.height;
    const widened = Buffer.alloc(pixels * 3);
    for (let i = 0; i < pixels; i++) widened.fill(grey.data[i]!, i * 3, i * 3 + 3);
    expect(actual.data.equals(widened)).toBe(true);
  });

  it("a chain runs in order: crop then rotate gives the rotated crop's size", async () => {
    const rocket = await fixture("rocket.jpg");
    const crop: ExactOp = { op: "crop", left: 0.1, top: 0.2, width: 0.5, height: 0.25 };

    const result = await applyOps(rocket, [crop, { op: "rotate", degrees: 90 }]);

    const cropWidth = Math.round(0.5 * rocket.width);
    const cropHeight = Math.round(0.25 * rocket.height);
    expect([result.width, result.height]).toEqual([cropHeight, cropWidth]);
    const expected = await sharpAlone(rocket, (s) => s.extract({ left: Math.round(0.1 * rocket.width), top: Math.round(0.2 * rocket.height), width: cropWidth, height: cropHeight }));
    const rotated = await sharp(expected.data, { raw: { width: cropWidth, height: cropHeight, channels: 3 } }).rotate(90).raw().toBuffer();
    expect((await rawPixels(result.bytes)).data.equals(rotated)).toBe(true);
  });

  it("a crop reaching past the edge is kept inside the image, and a tiny one keeps at least a pixel", async () => {
    const chelsea = await fixture("chelsea.png");

    const pastEdge = await applyOps(chelsea, [{ op: "crop", left: 0.9, top: 0.9, width: 0.5, height: 0.5 }]);
    const tiny = await applyOps(chelsea, [{ op: "crop", left: 1, top: 1, width: 0.0001, height: 0.0001 }]);

    expect([pastEdge.width, pastEdge.height]).toEqual([451 - 406, 300 - 270]);
    expect([tiny.width, tiny.height]).toEqual([1, 1]);
  });

  it("no ops hands back the same picture", async () => {
    const chelsea = await fixture("chelsea.png");
    await expect(new SharpWorkbench().applyOps(chelsea, [])).resolves.toBe(chelsea);
  });

  it("describes each op for people", () => {
    expect(describeOp({ op: "rotate", degrees: 90 })).toBe("rotate 90°");
    expect(describeOp({ op: "flip", axis: "horizontal" })).toBe("flip horizontal");
    expect(describeOp({ op: "crop", left: 0.5, top: 0, width: 0.5, height: 1 })).toBe("crop left 50%, top 0%, width 50%, height 100%");
    expect(describeOp({ op: "resize", width: 512 })).toBe("resize to 512 px wide");
    expect(describeOp({ op: "resize", width: 640, height: 480 })).toBe("resize to 640×480 px");
    expect(describeOp({ op: "grayscale" })).toBe("grayscale");
    expect(describeOp({ op: "contrast", factor: 1.2 })).toBe("contrast ×1.2");
    expect(describeOp({ op: "blur", sigma: 2 })).toBe("blur σ2");
  });
});
