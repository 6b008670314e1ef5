// Whether a path on disk holds an image, told by its first bytes (the way decoders tell), not by its name.
import { closeSync, openSync, readSync, statSync } from "node:fs";
import path from "node:path";

const SIGNATURES: ReadonlyArray<{ offset: number; bytes: readonly number[] }> = [
  { offset: 0, bytes: [0x89, 0x50, 0x4e, 0x47] }, // PNG
  { offset: 0, bytes: [0xff, 0xd8, 0xff] }, // JPEG
  { offset: 0, bytes: [0x47, 0x49, 0x46, 0x38] }, // GIF
  { offset: 8, bytes: [0x57, 0x45, 0x42, 0x50] }, // WebP (after "RIFF" and a size)
  { offset: 0, bytes: [0x49, 0x49, 0x2a, 0x00] }, // TIFF, little-endian
  { offset: 0, bytes: [0x4d, 0x4d, 0x00, 0x2a] }, // TIFF, big-endian
  { offset: 4, bytes: [0x66, 0x74, 0x79, 0x70] }, // "ftyp": AVIF, HEIC
  { offset: 0, bytes: [0x42, 0x4d] }, // BMP
];

/** True for an existing regular file whose first bytes are an image's. Never throws. */
export function isImageFile(file: string, cwd: string): boolean {
  const resolved = path.resolve(cwd, file);
  let descriptor: number | undefined;
  try {
    if (!statSync(resolved).isFile()) return false;
    descriptor = openSync(resolved, "r");
    const head = Buffer.alloc(16);
    const read = readSync(descriptor, head, 0, head.length, 0);
    return SIGNATURES.some(({ offset, bytes }) => offset + bytes.length <= read && bytes.every((byte, k) => head[offset + k] === byte));
  } catch {
    return false;
  } finally {
    if (descriptor !== undefined) closeSync(descriptor);
  }
}
