import path from "node:path";
import { Readable } from "node:stream";
import sharp, { type Sharp } from "sharp";
import { beforeAll, describe, expect, it } from "vitest";
import { loadInput, type InputImage } from "../../src/images/input.js";
import { decodeEditorOutput, editorSize, shapeForEditor, toMllmDataUrl } from "../../src/images/shape.js";
import type { Picture } from "../../src/loop/types.js";
import { rejection } from "../support/assertions.js";

const CHELSEA = path.resolve("fixtures/chelsea.png");
const MEGAPIXEL = 1024 * 1024;

function expectEditorFriendly(size: { width: number; height: number }): void {
  expect(size.width % 16).toBe(0);
  expect(size.height % 16).toBe(0);
  expect(size.width).toBeGreaterThanOrEqual(16);
  expect(size.height).toBeGreaterThanOrEqual(16);
}

async function pngPicture(image: Sharp): Promise<Picture> {
  const { data, info } = await image.png().toBuffer({ resolveWithObject: true });
  return { bytes: data, mimeType: "image/png", width: info.width, height: info.height };
}

function decodeDataUrl(url: string): Buffer {
  expect(url.startsWith("data:image/jpeg;base64,")).toBe(true);
  return Buffer.from(url.slice("data:image/jpeg;base64,".length), "base64");
}

describe("editorSize", () => {
  it.each([
    [4000, 3000],
    [3000, 4000],
    [1920, 1080],
    [451, 300],
    [40, 30],
    [1024, 1024],
  ])("gives %i×%i about one megapixel with sides a multiple of 16", (width, height) => {
    const size = editorSize(width, height);
    expectEditorFriendly(size);
    expect(Math.abs(size.width * size.height - MEGAPIXEL) / MEGAPIXEL).toBeLessThan(0.1);
    expect(Math.abs(size.width / size.height - width / height) / (width / height)).toBeLessThan(0.03);
  });

  it("keeps a square at exactly 1024×1024", () => {
    expect(editorSize(3000, 3000)).toEqual({ width: 1024, height: 1024 });
  });

  it("keeps both sides at least 16 for an extreme panorama", () => {
    expectEditorFriendly(editorSize(100_000, 20));
  });
});

describe("shapeForEditor", () => {
  let photo: InputImage;
  beforeAll(async () => {
    const bytes = await sharp(CHELSEA).resize(4000, 3000).jpeg().toBuffer();
    photo = await loadInput("-", { stdin: Readable.from([bytes]) });
  });

  it("shapes a 4000×3000 photo into a ~1 MP PNG with sides a multiple of 16", async () => {
    const picture = await shapeForEditor(photo);
    const metadata = await sharp(picture.bytes).metadata();
    expect(picture.mimeType).toBe("image/png");
    expect([metadata.format, metadata.width, metadata.height]).toEqual(["png", picture.width, picture.height]);
    expect({ width: picture.width, height: picture.height }).toEqual(editorSize(4000, 3000));
    expectEditorFriendly(picture);
    expect(Math.abs(picture.width * picture.height - MEGAPIXEL) / MEGAPIXEL).toBeLessThan(0.1);
  });

  it("upscales a small photo to the editor's working size", async () => {
    const picture = await shapeForEditor(await loadInput(CHELSEA));
    expect({ width: picture.width, height: picture.height }).toEqual(editorSize(451, 300));
    expect(picture.width).toBeGreaterThan(451);
  });

  it("flattens transparency onto white, since the editors take RGB", async () => {
    const clear = await sharp({ create: { width: 64, height: 64, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } })
      .png()
      .toBuffer();
    const input = await loadInput("-", { stdin: Readable.from([clear]) });
    const { data, info } = await sharp((await shapeForEditor(input)).bytes).raw().toBuffer({ resolveWithObject: true });
    expect(info.channels).toBe(3);
    expect([...data.subarray(0, 3)]).toEqual([255, 255, 255]);
  });
});

describe("toMllmDataUrl", () => {
  let twelveMegapixels: Picture;
  beforeAll(async () => {
    twelveMegapixels = await pngPicture(sharp(CHELSEA).resize(4000, 3000));
  });

  it("sends a 12 MP picture as a JPEG at most 1024 px, over 20× smaller than the PNG", async () => {
    const url = await toMllmDataUrl(twelveMegapixels);
    const metadata = await sharp(decodeDataUrl(url)).metadata();
    expect([metadata.format, metadata.width, metadata.height]).toEqual(["jpeg", 1024, 768]);
    expect(url.length * 20).toBeLessThan(twelveMegapixels.bytes.length);
  });

  it("never upscales a small picture", async () => {
    const small = await pngPicture(sharp(CHELSEA).resize(300, 200));
    const metadata = await sharp(decodeDataUrl(await toMllmDataUrl(small))).metadata();
    expect([metadata.width, metadata.height]).toEqual([300, 200]);
  });

  it("encodes the same picture once however many prompts send it", async () => {
    const picture = await pngPicture(sharp(CHELSEA));
    const sends = Array.from({ length: 5 }, () => toMllmDataUrl(picture));
    expect(new Set(sends).size).toBe(1);
    expect(new Set(await Promise.all(sends)).size).toBe(1);
  });

  it("encodes a different picture with the same pixels separately", async () => {
    const picture = await pngPicture(sharp(CHELSEA));
    const copy = { ...picture };
    expect(toMllmDataUrl(copy)).not.toBe(toMllmDataUrl(picture));
  });
});

describe("decodeEditorOutput", () => {
  it("brings an editor's JPEG to exactly the working size as an 8-bit sRGB PNG", async () => {
    const bytes = await sharp(CHELSEA).resize(1000, 1000, { fit: "fill" }).jpeg().toBuffer();
    const picture = await decodeEditorOutput(bytes, { width: 1248, height: 832 });
    expect(picture).toMatchObject({ mimeType: "image/png", width: 1248, height: 832 });
    const metadata = await sharp(picture.bytes).metadata();
    expect([metadata.format, metadata.width, metadata.height, metadata.depth, metadata.channels]).toEqual([
      "png",
      1248,
      832,
      "uchar",
      3,
    ]);
  });

  it("rejects an HTML error page, quoting its start", async () => {
    const html = Buffer.from("<!DOCTYPE html>\n<html><body>502 Bad Gateway</body></html>");
    const error = await rejection(decodeEditorOutput(html, { width: 1024, height: 1024 }, "text/html"));
    expect(error.code).toBe("provider_output");
    expect(error.message).toMatch(/^the editor returned something that is not an image \(/);
    expect(error.message).toContain("content type text/html");
    expect(error.message).toContain('starting "<!DOCTYPE html> <html><body>502 Bad Gateway');
    expect(error.exitCode).toBe(4);
  });

  it("rejects a JSON reply", async () => {
    const json = new TextEncoder().encode(JSON.stringify({ error: "Model is loading", estimated_time: 20 }));
    const error = await rejection(decodeEditorOutput(json, { width: 1024, height: 1024 }));
    expect(error.code).toBe("provider_output");
    expect(error.message).toContain('{"error":"Model is loading"');
  });

  it("rejects an empty body and binary garbage", async () => {
    expect((await rejection(decodeEditorOutput(new Uint8Array(), { width: 16, height: 16 }))).message).toContain(
      "an empty body",
    );
    const garbage = new Uint8Array([0, 1, 2, 3, 250, 251, 252, 253]);
    expect((await rejection(decodeEditorOutput(garbage, { width: 16, height: 16 }))).message).toContain(
      "8 bytes, starting 0x00010203fafbfcfd",
    );
  });
});
