import { link, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ReasonEditError } from "../../src/errors.js";
import { decodeFullResolution, loadInput, type InputImage } from "../../src/images/input.js";
import { assertNotInput, defaultOutputPath, encodeOutput, outputFormatFor } from "../../src/images/output.js";
import { shapeForEditor } from "../../src/images/shape.js";
import type { Picture } from "../../src/loop/types.js";

const CHELSEA = path.resolve("fixtures/chelsea.png");

let dir: string;
let cat: InputImage;
let edited: Picture;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "reasonedit-output-"));
  cat = await loadInput(CHELSEA);
  edited = await shapeForEditor(cat);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function fakeInput(overrides: Partial<InputImage>): InputImage {
  return { ...cat, warnings: [], ...overrides };
}

function thrown(action: () => void): ReasonEditError {
  try {
    action();
  } catch (error) {
    if (ReasonEditError.is(error)) return error;
    throw error;
  }
  throw new Error("expected a ReasonEditError");
}

describe("encodeOutput", () => {
  it.each([
    ["png", "png"],
    ["jpeg", "jpeg"],
    ["webp", "webp"],
    ["avif", "heif"],
    ["tiff", "tiff"],
  ])("restores the input's exact size as %s", async (format, decoder) => {
    const bytes = await encodeOutput(edited, cat, format);
    const metadata = await sharp(bytes).metadata();
    expect([metadata.format, metadata.width, metadata.height]).toEqual([decoder, 451, 300]);
  });

  it("keeps the picture close to the source after the round trip through the editor size", async () => {
    const { data } = await sharp(await encodeOutput(edited, cat, "png")).raw().toBuffer({ resolveWithObject: true });
    const original = await decodeFullResolution(cat);
    let difference = 0;
    for (let i = 0; i < data.length; i++) difference += Math.abs(data[i]! - original.data[i]!);
    expect(difference / data.length).toBeLessThan(6);
  });

  it("uses the given size when exact ops changed the geometry", async () => {
    const metadata = await sharp(await encodeOutput(edited, cat, "jpeg", { width: 300, height: 451 })).metadata();
    expect([metadata.width, metadata.height]).toEqual([300, 451]);
  });

  it("gives back a transparent input's alpha in formats that have it, and drops it in JPEG", async () => {
    // Left half opaque grey, right half fully transparent.
    const rgba = Buffer.alloc(40 * 20 * 4);
    for (let i = 0; i < 40 * 20; i++) rgba.set(i % 40 < 20 ? [9, 9, 9, 255] : [0, 0, 0, 0], i * 4);
    const halfClear = await sharp(rgba, { raw: { width: 40, height: 20, channels: 4 } }).png().toBuffer();
    const file = path.join(dir, "logo.png");
    await writeFile(file, halfClear);
    const logo = await loadInput(file);
    const picture = await shapeForEditor(logo);

    const png = await sharp(await encodeOutput(picture, logo, "png")).raw().toBuffer({ resolveWithObject: true });
    expect(png.info.channels).toBe(4);
    expect([png.data[3], png.data[(10 * 40 + 30) * 4 + 3]]).toEqual([255, 0]);

    const jpeg = await sharp(await encodeOutput(picture, logo, "jpeg")).metadata();
    expect([jpeg.channels, jpeg.hasAlpha]).toEqual([3, false]);
  });

  it("rejects a format it cannot write", async () => {
    await expect(encodeOutput(edited, cat, "gif")).rejects.toMatchObject({ code: "usage" });
  });
});

describe("outputFormatFor", () => {
  it.each([
    ["out.png", "png"],
    ["out.JPG", "jpeg"],
    ["out.jpeg", "jpeg"],
    ["out.webp", "webp"],
    ["out.avif", "avif"],
    ["out.tif", "tiff"],
    ["out.tiff", "tiff"],
  ])("writes %s as %s", (file, format) => {
    expect(outputFormatFor(file, cat)).toBe(format);
  });

  it("writes stdout and unknown extensions in the input's format", () => {
    expect(outputFormatFor("-", fakeInput({ format: "jpeg" }))).toBe("jpeg");
    expect(outputFormatFor("result.out", fakeInput({ format: "webp" }))).toBe("webp");
  });

  it("falls back to PNG when the input's format cannot be written", () => {
    expect(outputFormatFor("-", fakeInput({ format: "gif" }))).toBe("png");
    expect(outputFormatFor("-", fakeInput({ format: "heif" }))).toBe("png");
  });
});

describe("defaultOutputPath", () => {
  it("puts the result beside a file input as <name>.edited<ext>", () => {
    expect(defaultOutputPath(fakeInput({ path: "/photos/cat.JPG", format: "jpeg" }), "/elsewhere")).toBe(
      "/photos/cat.edited.JPG",
    );
    expect(defaultOutputPath(cat, "/elsewhere")).toBe(path.join(path.dirname(CHELSEA), "chelsea.edited.png"));
  });

  it("uses a writable extension when the input's format cannot be written back", () => {
    expect(defaultOutputPath(fakeInput({ path: "/photos/dance.gif", format: "gif" }), "/x")).toBe("/photos/dance.edited.png");
    expect(defaultOutputPath(fakeInput({ path: "/photos/scan", format: "jpeg" }), "/x")).toBe("/photos/scan.edited.jpg");
  });

  it("names a URL input after the URL's file, in the working directory", () => {
    const input = fakeInput({ source: "url", label: "https://example.com/pets/my%20cat.jpg?size=large", path: undefined });
    expect(defaultOutputPath(input, "/work")).toBe("/work/my_cat.edited.png");
    const bare = fakeInput({ source: "url", label: "https://example.com/", path: undefined });
    expect(defaultOutputPath(bare, "/work")).toBe("/work/image.edited.png");
  });

  it("names a stdin input stdin.edited.png in the working directory", () => {
    expect(defaultOutputPath(fakeInput({ source: "stdin", label: "stdin", path: undefined }), "/work")).toBe(
      "/work/stdin.edited.png",
    );
  });
});

describe("assertNotInput", () => {
  it("refuses to overwrite the input, however the path is spelled", async () => {
    const file = path.join(dir, "cat.png");
    await writeFile(file, "x");
    const input = fakeInput({ path: file, label: file });
    const alias = path.join(dir, "alias.png");
    const hardLink = path.join(dir, "hard.png");
    await symlink(file, alias);
    await link(file, hardLink);
    for (const spelling of [file, path.join(dir, "sub", "..", "cat.png"), alias, hardLink]) {
      const error = thrown(() => assertNotInput(spelling, input));
      expect(error.code).toBe("output_unwritable");
      expect(error.message).toBe(`refusing to overwrite the input ${file}`);
    }
  });

  it("allows a new path, stdout, and any path for URL or stdin inputs", () => {
    const input = fakeInput({ path: CHELSEA });
    expect(() => assertNotInput(path.join(dir, "new.png"), input)).not.toThrow();
    expect(() => assertNotInput(path.join(dir, "missing-folder", "new.png"), input)).not.toThrow();
    expect(() => assertNotInput("-", input)).not.toThrow();
    expect(() => assertNotInput(CHELSEA, fakeInput({ source: "stdin", label: "stdin", path: undefined }))).not.toThrow();
  });
});
