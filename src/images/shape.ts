// Shapes images for each model: ~1 MP PNG for the editor, small JPEG data URLs for the MLLM, and back from the editor.
import sharp from "sharp";
import { ReasonEditError } from "../errors.js";
import type { Picture } from "../loop/types.js";
import { prepareChangeMap } from "./change-map.js";
import { prepareUpload } from "./editor-upload.js";
import { editorSize } from "./editor-size.js";
import { openPixels, type InputImage } from "./input.js";
import { encodePng, readRgb, recallPixels, rememberPixels, sharpOf } from "./rgb.js";

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
  // Raw first, then the PNG: its pixels are remembered, so the MLLM copy and the upload start from them.
  // The working copy is already at this size, so the resize is a no-op (kept for a caller-built InputImage).
  const pixels = await readRgb(openPixels(input.working).flatten({ background: WHITE }).resize(size.width, size.height, { fit: "fill" }));
  const source = await encodePng(pixels);
  // The first edit uploads the source and its change map compares against it, after think and the editor have
  // answered: by then its pixels are usually no longer kept, so what those steps need is made now.
  prepareUpload(source);
  prepareChangeMap(source);
  return source;
}

const dataUrlCache = new WeakMap<Picture, Promise<string>>();

/** A compact JPEG data URL, at most 1024 px on the long side; encoded once per Picture however many prompts send it. */
export function toMllmDataUrl(picture: Picture): Promise<string> {
  const cached = dataUrlCache.get(picture);
  if (cached) return cached;
  const encoding = encodeForMllm(picture);
  dataUrlCache.set(picture, encoding);
  encoding.catch(() => dataUrlCache.delete(picture));
  return encoding;
}

async function encodeForMllm(picture: Picture): Promise<string> {
  const known = recallPixels(picture.bytes);
  const jpeg = await (known ? sharpOf(known) : sharp(picture.bytes))
    .resize(MLLM_LONG_SIDE, MLLM_LONG_SIDE, { fit: "inside", withoutEnlargement: true })
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
