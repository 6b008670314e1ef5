// Shapes images for each model: ~1 MP PNG for the editor, small JPEG data URLs for the MLLM, and back from the editor.
import sharp from "sharp";
import { ReasonEditError } from "../errors.js";
import type { Picture } from "../loop/types.js";
import { openPixels, type InputImage } from "./input.js";
import { FAST_PNG } from "./rgb.js";

const EDITOR_AREA = 1024 * 1024;
const EDITOR_SIDE_STEP = 16;
const MLLM_LONG_SIDE = 1024;
const MLLM_JPEG_QUALITY = 85;
const WHITE = { r: 255, g: 255, b: 255 };

/** The editor's working size: about 1 megapixel, the input's aspect ratio, sides a multiple of 16. */
export function editorSize(width: number, height: number): { width: number; height: number } {
  const scale = Math.sqrt(EDITOR_AREA / (width * height));
  return { width: snapSide(width * scale), height: snapSide(height * scale) };
}

function snapSide(side: number): number {
  return Math.max(EDITOR_SIDE_STEP, Math.round(side / EDITOR_SIDE_STEP) * EDITOR_SIDE_STEP);
}

/**
 * The source picture the loop works on. Transparency is flattened onto white because the editors take RGB,
 * and dropping alpha instead would expose whatever colour hides under transparent pixels.
 */
export async function shapeForEditor(input: InputImage): Promise<Picture> {
  const size = editorSize(input.width, input.height);
  const bytes = await openPixels(input.pixels)
    .flatten({ background: WHITE })
    .resize(size.width, size.height, { fit: "fill" })
    .png(FAST_PNG)
    .toBuffer();
  return { bytes, mimeType: "image/png", ...size };
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
  const jpeg = await sharp(picture.bytes)
    .resize(MLLM_LONG_SIDE, MLLM_LONG_SIDE, { fit: "inside", withoutEnlargement: true })
    .flatten({ background: WHITE })
    .jpeg({ quality: MLLM_JPEG_QUALITY })
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
    const png = await sharp(bytes, { failOn: "error", autoOrient: true })
      .flatten({ background: WHITE })
      .toColourspace("srgb")
      .resize(target.width, target.height, { fit: "fill" })
      .png(FAST_PNG)
      .toBuffer();
    return { bytes: png, mimeType: "image/png", width: target.width, height: target.height };
  } catch (error) {
    throw new ReasonEditError(
      "provider_output",
      `the editor returned something that is not an image (${describeBytes(bytes, contentType)})`,
      { hint: "The editor may be misconfigured or overloaded; check the model and endpoint, then retry.", cause: error },
    );
  }
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
