// Writes the result: restores the input's size, picks the output format and path, and guards the input file.
import { realpathSync, statSync } from "node:fs";
import path from "node:path";
import sharp, { type Sharp } from "sharp";
import { ReasonEditError } from "../errors.js";
import type { Picture } from "../loop/types.js";
import { openFullResolution, openPixels, type InputImage, type RawPixels } from "./input.js";
import { recallPixels, sharpOf, type RgbImage } from "./rgb.js";

export const OUTPUT_FORMATS = ["png", "jpeg", "webp", "avif", "tiff"] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** The one table of written formats: each extension and the format it picks; a format's first extension is its default. */
const EXTENSION_FORMATS: ReadonlyArray<readonly [extension: string, format: OutputFormat]> = [
  [".png", "png"],
  [".jpg", "jpeg"],
  [".jpeg", "jpeg"],
  [".webp", "webp"],
  [".avif", "avif"],
  [".tiff", "tiff"],
  [".tif", "tiff"],
];
const FORMAT_BY_EXTENSION = new Map(EXTENSION_FORMATS);
const EXTENSION_BY_FORMAT = new Map<OutputFormat, string>();
for (const [extension, format] of EXTENSION_FORMATS) if (!EXTENSION_BY_FORMAT.has(format)) EXTENSION_BY_FORMAT.set(format, extension);

/** The format an extension such as ".JPG" asks for; undefined for one reasonedit cannot write. */
export function formatOfExtension(extension: string): OutputFormat | undefined {
  return FORMAT_BY_EXTENSION.get(extension.toLowerCase());
}

/** The extension written for a format, e.g. ".jpg" for jpeg. */
export function extensionOf(format: OutputFormat): string {
  return EXTENSION_BY_FORMAT.get(format)!;
}

/** The extensions reasonedit writes, for messages: ".png, .jpg, …". */
export function writableExtensions(): string {
  return [...EXTENSION_BY_FORMAT.values()].join(", ");
}

const FORMATS_WITH_ALPHA = new Set<OutputFormat>(["png", "webp", "avif", "tiff"]);
const WHITE = { r: 255, g: 255, b: 255 };

export function isOutputFormat(format: string): format is OutputFormat {
  return (OUTPUT_FORMATS as readonly string[]).includes(format);
}

/**
 * The final image bytes at the input's size, or at `size` when exact ops changed the geometry.
 * The input's transparency comes back only when the geometry is the input's, since only then does it line up.
 */
export async function encodeOutput(
  picture: Picture,
  input: InputImage,
  format: string,
  size?: { width: number; height: number },
): Promise<Buffer> {
  const known = recallPixels(picture.bytes);
  return encodeFrom(known ? sharpOf(known) : sharp(picture.bytes), input, format, size);
}

/** encodeOutput for a result held as pixels (preserve redone at full size), so it is never encoded only to be decoded. */
export function encodePixelsOutput(pixels: RgbImage, input: InputImage, format: string, size?: { width: number; height: number }): Promise<Buffer> {
  return encodeFrom(sharpOf(pixels), input, format, size);
}

async function encodeFrom(image: Sharp, input: InputImage, format: string, size: { width: number; height: number } | undefined): Promise<Buffer> {
  const outputFormat = parseOutputFormat(format);
  const target = size ?? { width: input.width, height: input.height };
  const restored = await resizeExactly(image, target);
  const withAlpha = await withAlphaFor(outputFormat, restored, input, size === undefined);
  return encodeAs(outputFormat, withAlpha).toBuffer();
}

function parseOutputFormat(format: string): OutputFormat {
  if (isOutputFormat(format)) return format;
  throw new ReasonEditError("usage", `cannot write ${format} images`, {
    hint: `Write one of: ${OUTPUT_FORMATS.join(", ")} (choose with the file extension: ${writableExtensions()}).`,
  });
}

/** Raw at the final size first, so the input's alpha channel can be joined pixel for pixel. */
async function resizeExactly(image: Sharp, target: { width: number; height: number }): Promise<RawPixels> {
  const { data, info } = await image
    .resize(target.width, target.height, { fit: "fill" })
    .toColourspace("srgb")
    .raw({ depth: "uchar" })
    .toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: info.channels === 4 ? 4 : 3 };
}

async function withAlphaFor(
  format: OutputFormat,
  restored: RawPixels,
  input: InputImage,
  sameGeometry: boolean,
): Promise<Sharp> {
  if (!FORMATS_WITH_ALPHA.has(format)) return openPixels(restored).flatten({ background: WHITE });
  if (!sameGeometry || !input.hasAlpha || restored.channels === 4) return openPixels(restored);
  const { width, height } = input;
  const alpha = await openFullResolution(input).extractChannel(3).raw().toBuffer();
  return openPixels(restored).joinChannel(alpha, { raw: { width, height, channels: 1 } });
}

function encodeAs(format: OutputFormat, image: Sharp): Sharp {
  switch (format) {
    case "jpeg":
      return image.jpeg({ quality: 92 });
    case "webp":
      return image.webp({ quality: 90 });
    case "avif":
      return image.avif({ quality: 60 });
    case "tiff":
      return image.tiff({ compression: "lzw" });
    case "png":
      return image.png();
  }
}

/** The format the -o path asks for by its extension; for stdout or an unknown extension, the input's own format when sharp can write it. */
export function outputFormatFor(outputPath: string, input: InputImage): OutputFormat {
  const byExtension = outputPath === "-" ? undefined : formatOfExtension(path.extname(outputPath));
  if (byExtension) return byExtension;
  return isOutputFormat(input.format) ? input.format : "png";
}

/** `<dir>/<name>.edited<ext>` beside a file input; `<cwd>/<name>.edited<ext>` for a URL or stdin, in the input's own format. */
export function defaultOutputPath(input: InputImage, cwd: string): string {
  const ownExtension = extensionOf(outputFormatFor("-", input));
  if (!input.path) return path.join(cwd, `${remoteBaseName(input)}.edited${ownExtension}`);
  const { dir, name, ext } = path.parse(input.path);
  return path.join(dir, `${name}.edited${formatOfExtension(ext) ? ext : ownExtension}`);
}

/** Re-encodes an image (say, a PNG contact sheet) in `format`, onto white where the format has no alpha. */
export async function convertImage(bytes: Uint8Array, format: OutputFormat): Promise<Buffer> {
  const image = sharp(bytes);
  return encodeAs(format, FORMATS_WITH_ALPHA.has(format) ? image : image.flatten({ background: WHITE })).toBuffer();
}

function remoteBaseName(input: InputImage): string {
  if (input.source !== "url") return "stdin";
  let segment = "";
  try {
    segment = decodeURIComponent(new URL(input.label).pathname.split("/").pop() ?? "");
  } catch {
    // An undecodable path still gets a usable default name.
  }
  const name = path.parse(segment).name.replace(/[^\p{L}\p{N}._-]+/gu, "_").replace(/^\.+/, "");
  return name || "image";
}

/** Refuses an output path that is the input file itself, through symlinks, hard links or `..` alike. */
export function assertNotInput(outputPath: string, input: InputImage): void {
  if (outputPath === "-" || !input.path) return;
  if (!isSameFile(path.resolve(outputPath), input.path)) return;
  throw new ReasonEditError("output_unwritable", `refusing to overwrite the input ${input.label}`, {
    hint: "Choose another -o path; reasonedit never overwrites its input.",
  });
}

function isSameFile(outputPath: string, inputPath: string): boolean {
  const output = statIfExists(outputPath);
  const original = statIfExists(inputPath);
  if (output && original) return output.dev === original.dev && output.ino === original.ino;
  return realPathOf(outputPath) === realPathOf(inputPath);
}

function statIfExists(file: string): { dev: number; ino: number } | undefined {
  try {
    return statSync(file);
  } catch {
    return undefined;
  }
}

/** The real path, resolving the parent folder when the file itself does not exist yet. */
function realPathOf(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    try {
      return path.join(realpathSync(path.dirname(file)), path.basename(file));
    } catch {
      return file;
    }
  }
}
