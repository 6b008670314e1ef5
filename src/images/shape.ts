// Shapes images for each model: ~1 MP PNG for the editor, small JPEG data URLs for the MLLM, and back from the editor.
import sharp from "sharp";
import { ReasonEditError } from "../errors.js";
import type { Picture, Reasoner } from "../loop/types.js";
import { editorSize } from "./editor-size.js";
import { memoize, pictureNote } from "./memo.js";
import { openPixels, type InputImage } from "./input.js";
import { encodePng, pinPixels, readRgb, recallPixels, rememberPixels, sharpOf } from "./rgb.js";

const MLLM_LONG_SIDE = 1024;
const MLLM_JPEG_QUALITY = 85;
const WHITE = { r: 255, g: 255, b: 255 };

export { editorSize } from "./editor-size.js";

/**
 * The source picture the loop works on. Transparency is flattened onto white because the editors take RGB,
 * and dropping alpha instead would expose whatever colour hides under transparent pixels.
 */
export async function shapeForEditor(input: InputImage): Promise<Picture> {
  const size = editorSize(input.width, input.height);
  const { working } = input;
  // The working copy is already at this size; the resize is for a caller-built InputImage.
  const opaque = working.channels === 3 && working.width === size.width && working.height === size.height;
  const pixels = opaque
    ? { data: working.data, width: working.width, height: working.height }
    : await readRgb(openPixels(working).flatten({ background: WHITE }).resize(size.width, size.height, { fit: "fill" }));
  const source = await encodePng(pixels);
  // The input holds these pixels for the whole job anyway: the MLLM copy, the upload and the change maps of every
  // round that edits the source start from them, however late, and never decode the PNG.
  if (opaque) pinPixels(source.bytes, pixels);
  return source;
}

/** The long side a picture's MLLM copy may have, when its job's input is smaller than the working size. */
const mllmLongSides = pictureNote<Picture, number>();

/**
 * The reasoner one job uses: the MLLM sees each picture at most at the input's own size. The working size is about
 * 1 MP whatever the input, so without this a 160×120 thumbnail would reach every chat call as a 1024×761 JPEG,
 * about 40× the image tokens for no detail the input ever had.
 */
export function reasonerForInput(reasoner: Reasoner, input: { width: number; height: number }): Reasoner {
  const longSide = mllmLongSideFor(input);
  if (longSide >= MLLM_LONG_SIDE) return reasoner;
  // The change map's heat-map is a small diagram of its own (≤ 512 px), not the input's detail: it is left as is.
  const cap = <T extends { source?: Picture; edited?: Picture }>(stepInput: T): T => {
    for (const picture of [stepInput.source, stepInput.edited]) if (picture) limitMllmCopy(picture, longSide);
    return stepInput;
  };
  return {
    think: (input, signal) => reasoner.think(cap(input), signal),
    describe: (input, signal) => reasoner.describe(cap(input), signal),
    assess: (input, signal) => reasoner.assess(cap(input), signal),
    conclude: (input, signal) => reasoner.conclude(cap(input), signal),
    scoreSemantics: (input, signal) => reasoner.scoreSemantics(cap(input), signal),
    scoreQuality: (input, signal) => reasoner.scoreQuality(cap(input), signal),
  };
}

/** The long side of the MLLM's copies for one input: 1024, or the input's own when it is smaller. */
export function mllmLongSideFor(input: { width: number; height: number }): number {
  return Math.min(MLLM_LONG_SIDE, Math.max(input.width, input.height));
}

/** Caps the long side of `picture`'s MLLM copy (a picture belongs to one job, so one cap per picture). */
export function limitMllmCopy(picture: Picture, longSide: number): void {
  // Read when the copy is first encoded; a picture belongs to one job, so the cap never changes after that.
  mllmLongSides.set(picture, Math.min(longSide, mllmLongSides.get(picture) ?? MLLM_LONG_SIDE));
}

/** A compact JPEG data URL, at most 1024 px on the long side; encoded once per Picture however many prompts send it. */
export const toMllmDataUrl: (picture: Picture) => Promise<string> = memoize((picture: Picture) =>
  encodeForMllm(picture, mllmLongSides.get(picture) ?? MLLM_LONG_SIDE),
);

/**
 * The JPEG the MLLM gets for a picture, as bytes: run records keep these as their evidence images, so they show
 * exactly what reflection judged, at a few percent of a 1 MP PNG, for no extra encoding.
 */
export async function mllmJpeg(picture: Picture): Promise<Buffer> {
  const url = await toMllmDataUrl(picture);
  return Buffer.from(url.slice(url.indexOf(",") + 1), "base64");
}

async function encodeForMllm(picture: Picture, longSide: number): Promise<string> {
  const known = recallPixels(picture.bytes);
  const jpeg = await (known ? sharpOf(known) : sharp(picture.bytes))
    .resize(longSide, longSide, { fit: "inside", withoutEnlargement: true })
    .flatten({ background: WHITE })
    // No Huffman optimisation: it costs over half the encode for ~2% fewer bytes on photos; the pixels are the same.
    .jpeg({ quality: MLLM_JPEG_QUALITY, optimiseCoding: false })
    .toBuffer();
  return `data:image/jpeg;base64,${jpeg.toString("base64")}`;
}

/**
 * Validates what an editor returned and brings it to `target` (stretching: the editor may round the aspect a
 * little differently), as an 8-bit sRGB PNG without alpha, like every other picture in the loop.
 */
export async function decodeEditorOutput(
  bytes: Uint8Array,
  target: { width: number; height: number },
  contentType?: string,
): Promise<Picture> {
  try {
    if (await isLoopReadyPng(bytes, target)) {
      // Decoding in full still validates every byte; re-encoding would only rewrite the same pixels.
      const pixels = await readRgb(sharp(bytes, { failOn: "error" }));
      rememberPixels(bytes, pixels);
      return { bytes, mimeType: "image/png", width: target.width, height: target.height };
    }
    const pixels = await readRgb(
      sharp(bytes, { failOn: "error", autoOrient: true })
        .flatten({ background: WHITE })
        .toColourspace("srgb")
        .resize(target.width, target.height, { fit: "fill" }),
    );
    return await encodePng(pixels);
  } catch (error) {
    throw new ReasonEditError(
      "provider_output",
      `the editor returned something that is not an image (${describeBytes(bytes, contentType)})`,
      { hint: "The editor may be misconfigured or overloaded; check the model and endpoint, then retry.", cause: error },
    );
  }
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** Already what the loop keeps: a plain 8-bit RGB PNG at the working size, without alpha, palette, profile or rotation. */
async function isLoopReadyPng(bytes: Uint8Array, target: { width: number; height: number }): Promise<boolean> {
  if (bytes.length < PNG_SIGNATURE.length || PNG_SIGNATURE.some((byte, i) => bytes[i] !== byte)) return false;
  const metadata = await sharp(bytes).metadata();
  return (
    metadata.format === "png" &&
    metadata.width === target.width &&
    metadata.height === target.height &&
    metadata.channels === 3 &&
    metadata.depth === "uchar" &&
    metadata.space === "srgb" &&
    !metadata.hasAlpha &&
    !metadata.isPalette &&
    !metadata.icc &&
    (metadata.orientation ?? 1) === 1
  );
}

function describeBytes(bytes: Uint8Array, contentType: string | undefined): string {
  const served = contentType ? `, content type ${contentType}` : "";
  if (bytes.length === 0) return `an empty body${served}`;
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, 80));
  const looksLikeText = head.every((byte) => byte >= 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d);
  const start = looksLikeText
    ? `"${head.toString("utf8").replace(/\s+/g, " ").trim()}${bytes.length > head.length ? "…" : ""}"`
    : `0x${head.subarray(0, 12).toString("hex")}`;
  return `${bytes.length} bytes${served}, starting ${start}`;
}
