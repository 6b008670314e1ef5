// Loads the image to edit: reads it once, validates it, and decodes a ~1 MP working copy (8-bit sRGB, oriented)
// with shrink-on-load. Full resolution is decoded again from the kept bytes only when the output is written.
import { createHash } from "node:crypto";
import { availableParallelism } from "node:os";
import pLimit from "p-limit";
import sharp, { type Metadata, type SharpOptions, type Sharp } from "sharp";
import { ReasonEditError } from "../errors.js";
import { editorSize } from "./editor-size.js";
import { readSource, type SourceBytes, type SourceKind } from "./read-source.js";

export interface LoadOptions {
  /** Largest accepted width × height (default 100 megapixels). */
  maxPixels?: number;
  /** Largest accepted download or stdin size in bytes (default 50 MiB). */
  maxDownloadBytes?: number;
  downloadTimeoutMs?: number;
  /** Read for the "-" spec; defaults to process.stdin. */
  stdin?: NodeJS.ReadableStream;
  fetch?: typeof fetch;
  signal?: AbortSignal;
}

/** Decoded 8-bit sRGB pixels, interleaved, 3 channels or 4 with alpha. */
export interface RawPixels {
  data: Buffer;
  width: number;
  height: number;
  channels: 3 | 4;
}

export interface InputImage {
  /** The path as given, the URL (without credentials) or "stdin". */
  label: string;
  source: SourceKind;
  /** Absolute path, for file inputs. */
  path?: string;
  /** sharp's name of the decoder: jpeg, png, webp, gif, tiff, avif, heif… */
  format: string;
  /** After EXIF orientation. */
  width: number;
  height: number;
  hasAlpha: boolean;
  warnings: string[];
  /** Hex sha256 of the encoded bytes. */
  sha256: string;
  /**
   * The input at the editor's working size (about 1 MP, see editorSize), alpha kept. A 12 MP JPEG is decoded
   * straight to it at 1/2, 1/4 or 1/8 scale, so its 36 MB of full-size pixels are never held while the loop runs.
   */
  working: RawPixels;
  /** The encoded bytes, for a full-resolution decode at the end (openFullResolution). */
  readonly bytes: Buffer;
  readonly decodeOptions: SharpOptions;
}

export const DEFAULT_MAX_PIXELS = 100_000_000;
export const DEFAULT_MAX_DOWNLOAD_BYTES = 50 * 1024 * 1024;
export const DEFAULT_DOWNLOAD_TIMEOUT_MS = 30_000;

export async function loadInput(spec: string, options: LoadOptions = {}): Promise<InputImage> {
  const source = await readSource(spec, {
    maxDownloadBytes: options.maxDownloadBytes ?? DEFAULT_MAX_DOWNLOAD_BYTES,
    downloadTimeoutMs: options.downloadTimeoutMs ?? DEFAULT_DOWNLOAD_TIMEOUT_MS,
    ...(options.stdin ? { stdin: options.stdin } : {}),
    fetch: options.fetch ?? globalThis.fetch,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  return decodeInput(source, options.maxPixels ?? DEFAULT_MAX_PIXELS);
}

/** A sharp pipeline over already-decoded pixels. */
export function openPixels(pixels: RawPixels): Sharp {
  const { width, height, channels } = pixels;
  return sharp(pixels.data, { raw: { width, height, channels } });
}

/** The input at full resolution, oriented, in sRGB: a new pipeline over the kept bytes each time. */
export function openFullResolution(input: InputImage): Sharp {
  return sharp(input.bytes, input.decodeOptions).toColourspace("srgb");
}

/** The input's full-resolution pixels, decoded from the kept bytes (call it inside withFullResolution). */
export async function decodeFullResolution(input: InputImage): Promise<RawPixels> {
  const { data, info } = await openFullResolution(input).raw({ depth: "uchar" }).toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: info.channels === 4 ? 4 : 3 };
}

/** Full-resolution work runs this many at a time whatever -j is: each holds tens of MB and keeps a core busy. */
const fullResolutionLimit = pLimit(Math.max(1, availableParallelism()));

/** Runs `work` (which decodes or encodes at full resolution) under a core-bound limit shared by the process. Never nest. */
export function withFullResolution<T>(work: () => Promise<T>): Promise<T> {
  return fullResolutionLimit(work);
}

async function decodeInput(source: SourceBytes, maxPixels: number): Promise<InputImage> {
  const metadata = await readMetadata(source);
  assertWithinPixelLimit(source.label, metadata, maxPixels);
  await assertDataPlausible(source, metadata);
  const decodeOptions: SharpOptions = {
    failOn: "error",
    autoOrient: true,
    limitInputPixels: maxPixels,
    // HEIF files may hold several images; the primary one is the photo.
    ...(metadata.format === "heif" && metadata.pagePrimary ? { page: metadata.pagePrimary } : {}),
  };
  const { width, height } = orientedSize(metadata);
  const working = await decodeWorking(source, decodeOptions, editorSize(width, height));
  return {
    label: source.label,
    source: source.kind,
    ...(source.path ? { path: source.path } : {}),
    format: formatName(metadata),
    width,
    height,
    hasAlpha: working.channels === 4,
    warnings: frameWarnings(source.label, metadata),
    sha256: createHash("sha256").update(source.bytes).digest("hex"),
    working,
    bytes: source.bytes,
    decodeOptions,
  };
}

/** EXIF orientations 5–8 turn the picture a quarter, which autoOrient applies. */
function orientedSize(metadata: Metadata): { width: number; height: number } {
  const quarterTurn = (metadata.orientation ?? 1) >= 5;
  return quarterTurn ? { width: metadata.height, height: metadata.width } : { width: metadata.width, height: metadata.height };
}

async function readMetadata(source: SourceBytes): Promise<Metadata> {
  try {
    // Our own limit check follows and says more than sharp's "exceeds pixel limit".
    return await sharp(source.bytes, { failOn: "error", limitInputPixels: false }).metadata();
  } catch (error) {
    throw notAnImage(source, error);
  }
}

/** Decoding every byte (failOn: "error") also validates the file; resize in the same pipeline lets libjpeg shrink on load. */
async function decodeWorking(source: SourceBytes, decodeOptions: SharpOptions, size: { width: number; height: number }): Promise<RawPixels> {
  try {
    const { data, info } = await sharp(source.bytes, decodeOptions)
      .toColourspace("srgb")
      .resize(size.width, size.height, { fit: "fill" })
      .raw({ depth: "uchar" })
      .toBuffer({ resolveWithObject: true });
    return { data, width: info.width, height: info.height, channels: info.channels === 4 ? 4 : 3 };
  } catch (error) {
    throw notAnImage(source, error);
  }
}

function assertWithinPixelLimit(label: string, metadata: Metadata, maxPixels: number): void {
  const pixels = metadata.width * metadata.height;
  if (pixels <= maxPixels) return;
  throw new ReasonEditError(
    "input_too_large",
    `${label} is ${metadata.width}×${metadata.height} (${megapixels(pixels)}), over the ${megapixels(maxPixels)} limit`,
    { hint: "Downscale the image first; the editor works at about 1 megapixel anyway." },
  );
}

/**
 * Below this many bytes per pixel a file is suspicious: photos take 0.1–0.5, flat pictures less, and a header
 * can claim any size over a few hundred bytes of data, which a lenient decoder then pads out with grey.
 */
const SUSPICIOUS_BYTES_PER_PIXEL = 1 / 64;
const CHECK_WIDTH = 256;

/**
 * A file much smaller than its declared size is decoded strictly (any decoder warning fails) at a small size
 * (JPEG shrinks on load; others stream), so a lying header is refused before the full-size buffer is allocated.
 * Only suspicious files get this pass: strictness on every file would refuse benign warnings in ordinary photos.
 */
async function assertDataPlausible(source: SourceBytes, metadata: Metadata): Promise<void> {
  const pixels = metadata.width * metadata.height;
  if (source.bytes.length >= pixels * SUSPICIOUS_BYTES_PER_PIXEL) return;
  try {
    await sharp(source.bytes, { failOn: "warning", limitInputPixels: false })
      .resize({ width: Math.min(CHECK_WIDTH, metadata.width), withoutEnlargement: true })
      .raw()
      .toBuffer();
  } catch (error) {
    throw new ReasonEditError(
      "input_corrupt",
      `${source.label} is corrupt: its header says ${metadata.width}×${metadata.height} (${megapixels(pixels)}) but its ${source.bytes.length.toLocaleString("en-US")} bytes do not hold that picture (${reasonOf(error)})`,
      { hint: "Copy or export the image again from its original; a file cut short or with a damaged header cannot be edited.", cause: error },
    );
  }
}

function reasonOf(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split("\n")[0]!.trim();
}

function notAnImage(source: SourceBytes, error: unknown): ReasonEditError {
  const reason = error instanceof Error ? error.message : String(error);
  const served = source.contentType && !source.contentType.startsWith("image/") ? `; the server sent ${source.contentType}` : "";
  return new ReasonEditError(
    "input_not_image",
    `${source.label} is not an image sharp can decode (${reason}${served})`,
    {
      hint: "Use a JPEG, PNG, WebP, GIF, TIFF, AVIF or HEIF image; a file that was cut short must be copied or exported again.",
      cause: error,
    },
  );
}

function formatName(metadata: Metadata): string {
  // libvips reads AVIF with its HEIF loader; users know the file as AVIF, and AVIF can be written back.
  return metadata.format === "heif" && metadata.compression === "av1" ? "avif" : metadata.format;
}

function frameWarnings(label: string, metadata: Metadata): string[] {
  const pages = metadata.pages ?? 1;
  if (pages <= 1 || metadata.format === "heif") return [];
  const animated = metadata.format === "gif" || metadata.format === "webp" || metadata.delay !== undefined;
  return animated
    ? [`${label} is animated (${pages} frames); only the first frame is edited`]
    : [`${label} has ${pages} pages; only the first page is edited`];
}

function megapixels(pixels: number): string {
  if (pixels < 1_000_000) return `${pixels.toLocaleString("en-US")} pixels`;
  return `${Number((pixels / 1_000_000).toFixed(1))} MP`;
}
