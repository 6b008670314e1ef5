// Reads an image file back as a Picture (bytes plus size), for judging written results and drawing contact sheets.
import { readFile } from "node:fs/promises";
import sharp from "sharp";
import type { Picture } from "../loop/types.js";

export async function pictureFromFile(file: string): Promise<Picture> {
  const bytes = await readFile(file);
  const { width, height, format } = await sharp(bytes).metadata();
  return { bytes, mimeType: `image/${format ?? "png"}`, width: width ?? 1, height: height ?? 1 };
}
