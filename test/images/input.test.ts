import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { crc32 } from "node:zlib";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ReasonEditError } from "../../src/errors.js";
import { decodeFullResolution, loadInput, type RawPixels } from "../../src/images/input.js";
import { shapeForEditor } from "../../src/images/shape.js";
import { lyingJpeg } from "../fakes/pictures.js";
import { deferred } from "../support/gate.js";
import { rejection } from "../support/assertions.js";

const CHELSEA = path.resolve("fixtures/chelsea.png");
const RED = { r: 255, g: 0, b: 0 };
const BLUE = { r: 0, g: 0, b: 255 };

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "reasonedit-input-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function writeTemp(name: string, bytes: Buffer | string): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, bytes);
  return file;
}

function solid(width: number, height: number, background: { r: number; g: number; b: number; alpha?: number }) {
  return sharp({ create: { width, height, channels: background.alpha === undefined ? 3 : 4, background } });
}

function pixelAt(pixels: RawPixels, x: number, y: number): number[] {
  const { data, width, channels } = pixels;
  const offset = (y * width + x) * channels;
  return [...data.subarray(offset, offset + channels)];
}

function meanDistance(a: RawPixels, b: RawPixels): number {
  let sum = 0;
  for (let i = 0; i < a.data.length; i++) sum += Math.abs(a.data[i]! - b.data[i]!);
  return sum / a.data.length;
}

/** A real PNG header that claims any size: sharp reads the dimensions without decoding a pixel. */
async function pngClaiming(width: number, height: number): Promise<Buffer> {
  const png = await solid(8, 8, RED).png().toBuffer();
  const ihdr = png.subarray(8 + 8, 8 + 8 + 13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  png.writeUInt32BE(crc32(png.subarray(8 + 4, 8 + 8 + 13)) >>> 0, 8 + 8 + 13);
  return png;
}

describe("loadInput from a file", () => {
  it("decodes a PNG photo with its size, format and absolute path", async () => {
    const input = await loadInput("fixtures/chelsea.png");
    expect(input).toMatchObject({ label: "fixtures/chelsea.png", source: "file", path: CHELSEA, format: "png" });
    expect([input.width, input.height, input.hasAlpha, input.warnings]).toEqual([451, 300, false, []]);
    expect((await decodeFullResolution(input)).data.length).toBe(451 * 300 * 3);
  });

  it("decodes a JPEG photo", async () => {
    const input = await loadInput("fixtures/rocket.jpg");
    expect([input.format, input.width, input.height]).toEqual(["jpeg", 640, 427]);
  });

  it("keeps a 12 MP JPEG as a ~1 MP working copy and decodes full resolution only on demand", async () => {
    const photo = await sharp(CHELSEA).resize(4032, 3024, { fit: "fill" }).jpeg({ quality: 90 }).toBuffer();
    const input = await loadInput(await writeTemp("photo.jpg", photo));
    expect([input.width, input.height]).toEqual([4032, 3024]);
    expect([input.working.width, input.working.height, input.working.data.length]).toEqual([1184, 880, 1184 * 880 * 3]);
    expect(input.bytes).toEqual(photo);
    const full = await decodeFullResolution(input);
    expect([full.width, full.height, full.channels]).toEqual([4032, 3024, 3]);
    const [workingRed] = pixelAt(input.working, 592, 440);
    const [fullRed] = pixelAt(full, 2016, 1512);
    expect(Math.abs(workingRed! - fullRed!)).toBeLessThan(24);
  });

  it("turns a camera JPEG with EXIF orientation 6 upright (portrait)", async () => {
    // Red in the top-left of the stored pixels; orientation 6 means "rotate 90° clockwise to display".
    const stored = await solid(60, 40, BLUE)
      .composite([{ input: await solid(20, 20, RED).png().toBuffer(), left: 0, top: 0 }])
      .jpeg({ quality: 95 })
      .withMetadata({ orientation: 6 })
      .toBuffer();
    const input = await loadInput(await writeTemp("rotated.jpg", stored));
    expect([input.width, input.height]).toEqual([40, 60]);
    const [r, , b] = pixelAt(await decodeFullResolution(input), 35, 5);
    expect(r).toBeGreaterThan(200);
    expect(b).toBeLessThan(60);
  });

  it("converts a CMYK JPEG to 8-bit sRGB with its colours intact", async () => {
    const file = await writeTemp("cmyk.jpg", await sharp(CHELSEA).toColourspace("cmyk").jpeg({ quality: 95 }).toBuffer());
    expect((await sharp(file).metadata()).space).toBe("cmyk");
    const [input, original] = await Promise.all([loadInput(file), loadInput(CHELSEA)]);
    expect((await decodeFullResolution(input)).channels).toBe(3);
    expect((await decodeFullResolution(input)).data.length).toBe(451 * 300 * 3);
    expect(meanDistance(await decodeFullResolution(input), await decodeFullResolution(original))).toBeLessThan(20);
  });

  it("converts a 16-bit PNG to 8-bit sRGB", async () => {
    const file = await writeTemp("deep.png", await sharp(CHELSEA).toColourspace("rgb16").png().toBuffer());
    expect((await sharp(file).metadata()).depth).toBe("ushort");
    const input = await loadInput(file);
    expect((await decodeFullResolution(input)).data.length).toBe(451 * 300 * 3);
    expect(meanDistance(await decodeFullResolution(input), await decodeFullResolution(await loadInput(CHELSEA)))).toBeLessThan(2);
    const shaped = await sharp((await shapeForEditor(input)).bytes).metadata();
    expect([shaped.depth, shaped.space, shaped.channels]).toEqual(["uchar", "srgb", 3]);
  });

  it("converts a greyscale PNG to three-channel sRGB", async () => {
    const file = await writeTemp("grey.png", await sharp(CHELSEA).toColourspace("b-w").png().toBuffer());
    expect((await sharp(file).metadata()).channels).toBe(1);
    const input = await loadInput(file);
    expect((await decodeFullResolution(input)).channels).toBe(3);
    const [r, g, b] = pixelAt(await decodeFullResolution(input), 200, 150);
    expect(r).toBe(g);
    expect(g).toBe(b);
  });

  it("keeps transparency of a PNG with alpha", async () => {
    const file = await writeTemp("alpha.png", await solid(10, 10, { r: 0, g: 128, b: 0, alpha: 0.5 }).png().toBuffer());
    const input = await loadInput(file);
    expect(input.hasAlpha).toBe(true);
    expect(pixelAt(await decodeFullResolution(input), 5, 5)).toEqual([0, 128, 0, 128]);
  });

  for (const format of ["gif", "webp"] as const) {
    it(`uses the first frame of an animated ${format.toUpperCase()} and warns`, async () => {
      const frames = [await solid(32, 24, RED).png().toBuffer(), await solid(32, 24, BLUE).png().toBuffer()];
      const animated = await sharp(frames, { join: { animated: true } })[format]().toBuffer();
      const file = await writeTemp(`animated.${format}`, animated);
      const input = await loadInput(file);
      expect([input.format, input.width, input.height]).toEqual([format, 32, 24]);
      const [r, g, b] = pixelAt(await decodeFullResolution(input), 16, 12);
      expect([r! > 245, g! < 10, b! < 10]).toEqual([true, true, true]);
      expect(input.warnings).toEqual([`${file} is animated (2 frames); only the first frame is edited`]);
    });
  }

  it("rejects a truncated PNG as not an image, naming the file and sharp", async () => {
    const png = await sharp(CHELSEA).png().toBuffer();
    const file = await writeTemp("cut.png", png.subarray(0, png.length / 2));
    const error = await rejection(loadInput(file));
    expect(error.code).toBe("input_not_image");
    expect(error.message).toContain(`${file} is not an image sharp can decode`);
    expect(error.exitCode).toBe(2);
  });

  it("rejects a truncated JPEG as not an image", async () => {
    const jpeg = await sharp(CHELSEA).jpeg().toBuffer();
    const file = await writeTemp("cut.jpg", jpeg.subarray(0, jpeg.length / 2));
    expect((await rejection(loadInput(file))).code).toBe("input_not_image");
  });

  it("refuses a 265-byte JPEG whose header claims 10000×10000 as corrupt, in bounded time and memory", async () => {
    const lie = await lyingJpeg();
    expect(lie.length).toBeLessThan(300);
    const started = performance.now();
    const rssBefore = process.memoryUsage().rss;
    const error = await loadInput(await writeTemp("lie.jpg", lie)).catch((e: unknown) => e);
    expect(ReasonEditError.is(error) && error.code).toBe("input_corrupt");
    expect((error as Error).message).toMatch(/lie\.jpg is corrupt: its header says 10000×10000/);
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(100 * 1024 * 1024);
  });

  it("still decodes a large flat JPEG and PNG that are small for their size", async () => {
    const jpeg = await solid(4000, 3000, { r: 128, g: 128, b: 128 }).jpeg({ optimiseCoding: true }).toBuffer();
    const png = await solid(4000, 3000, { r: 20, g: 90, b: 200 }).png({ compressionLevel: 9 }).toBuffer();
    expect(jpeg.length).toBeLessThan((4000 * 3000) / 64); // so the strict check runs
    for (const [name, bytes] of [["flat.jpg", jpeg], ["flat.png", png]] as const) {
      const input = await loadInput(await writeTemp(name, bytes));
      expect([input.width, input.height]).toEqual([4000, 3000]);
    }
  });

  it("rejects a text file as not an image", async () => {
    const file = await writeTemp("notes.txt", "make the cat wear a hat\n");
    const error = await rejection(loadInput(file));
    expect(error.code).toBe("input_not_image");
    expect(error.message).toMatch(/notes\.txt is not an image sharp can decode \(.+\)/);
    expect(error.hint).toBeTruthy();
  });

  it("reports a missing file as input_missing with a hint", async () => {
    const error = await rejection(loadInput("fixtures/no-such-cat.png"));
    expect(error.code).toBe("input_missing");
    expect(error.message).toBe("no such file: fixtures/no-such-cat.png");
    expect(error.hint).toMatch(/path/);
  });

  it("reports a directory as input_unreadable", async () => {
    const folder = path.join(dir, "a-folder");
    await mkdir(folder);
    const error = await rejection(loadInput(folder));
    expect(error.code).toBe("input_unreadable");
    expect(error.message).toContain("is a directory");
  });

  it("refuses more pixels than the limit, saying the size and the limit", async () => {
    const error = await rejection(loadInput(CHELSEA, { maxPixels: 100_000 }));
    expect(error.code).toBe("input_too_large");
    expect(error.message).toBe(`${CHELSEA} is 451×300 (135,300 pixels), over the 100,000 pixels limit`);
  });

  it("refuses a 10-gigapixel header at the default limit without decoding it", async () => {
    const file = await writeTemp("huge.png", await pngClaiming(100_000, 100_000));
    const started = Date.now();
    const error = await rejection(loadInput(file));
    expect(error.code).toBe("input_too_large");
    expect(error.message).toContain("100000×100000 (10000 MP), over the 100 MP limit");
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it("decodes once: shaping still works after the file is gone", async () => {
    const file = await writeTemp("gone.png", await sharp(CHELSEA).png().toBuffer());
    const input = await loadInput(file);
    await rm(file);
    expect((await shapeForEditor(input)).width).toBeGreaterThan(0);
  });
});

describe("loadInput from stdin", () => {
  it('reads "-" from the given stream', async () => {
    const bytes = await sharp(CHELSEA).jpeg().toBuffer();
    const stdin = Readable.from([bytes.subarray(0, 1000), bytes.subarray(1000)]);
    const input = await loadInput("-", { stdin });
    expect(input).toMatchObject({ label: "stdin", source: "stdin", format: "jpeg", width: 451, height: 300 });
    expect(input.path).toBeUndefined();
  });

  it("reports empty stdin as input_missing", async () => {
    const error = await rejection(loadInput("-", { stdin: Readable.from([]) }));
    expect(error.code).toBe("input_missing");
    expect(error.message).toContain("stdin is empty");
  });

  it("caps stdin at the byte limit", async () => {
    const stdin = Readable.from([Buffer.alloc(600), Buffer.alloc(600)]);
    expect((await rejection(loadInput("-", { stdin, maxDownloadBytes: 1000 }))).code).toBe("input_too_large");
  });
});

describe("loadInput from a URL", () => {
  let server: Server;
  let base: string;
  let jpeg: Buffer;
  /** Settled once /stalls has sent its first bytes and stopped: the download is under way. */
  let stalled = deferred();
  const routes: Record<string, (response: ServerResponse) => void> = {
    "/cat.jpg": (response) => response.writeHead(200, { "content-type": "image/jpeg" }).end(jpeg),
    "/page": (response) => response.writeHead(200, { "content-type": "text/html" }).end("<!doctype html><p>hi</p>"),
    "/endless": (response) => {
      // Chunked, no Content-Length: only counting the streamed bytes can stop it.
      response.writeHead(200, { "content-type": "image/png" });
      const chunk = Buffer.alloc(64 * 1024, 7);
      const pump = (): void => {
        while (response.write(chunk));
        response.once("drain", pump);
      };
      pump();
    },
    "/claims-huge": (response) => {
      response.writeHead(200, { "content-type": "image/png", "content-length": String(10 * 1024 * 1024) });
      response.write(Buffer.alloc(10));
    },
    "/stalls": (response) => {
      response.writeHead(200, { "content-type": "image/jpeg" });
      response.write(jpeg.subarray(0, 100), () => stalled.resolve());
    },
  };

  beforeAll(async () => {
    jpeg = await sharp(CHELSEA).jpeg().toBuffer();
    server = createServer((request, response) => {
      const route = routes[request.url ?? ""];
      if (route) route(response);
      else response.writeHead(404, { "content-type": "text/plain" }).end("not found");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it("downloads and decodes an image", async () => {
    const input = await loadInput(`${base}/cat.jpg`);
    expect(input).toMatchObject({ label: `${base}/cat.jpg`, source: "url", format: "jpeg", width: 451, height: 300 });
    expect(input.path).toBeUndefined();
  });

  it("reports a 404 as input_download with the status", async () => {
    const error = await rejection(loadInput(`${base}/missing.jpg`));
    expect(error.code).toBe("input_download");
    expect(error.status).toBe(404);
    expect(error.message).toBe(`could not download ${base}/missing.jpg: HTTP 404 Not Found`);
  });

  it("says when a URL serves a web page instead of an image", async () => {
    const error = await rejection(loadInput(`${base}/page`));
    expect(error.code).toBe("input_not_image");
    expect(error.message).toContain("the server sent text/html");
  });

  it("stops a download that streams past the byte cap", async () => {
    const error = await rejection(loadInput(`${base}/endless`, { maxDownloadBytes: 1024 * 1024 }));
    expect(error.code).toBe("input_too_large");
    expect(error.message).toBe(`${base}/endless is larger than the 1 MiB input limit`);
  });

  it("refuses a download whose Content-Length is over the cap before reading it", async () => {
    const error = await rejection(loadInput(`${base}/claims-huge`, { maxDownloadBytes: 1024 * 1024 }));
    expect(error.code).toBe("input_too_large");
  });

  it("times out a server that stalls", async () => {
    const error = await rejection(loadInput(`${base}/stalls`, { downloadTimeoutMs: 150 }));
    expect(error.code).toBe("input_download");
    expect(error.message).toBe(`could not download ${base}/stalls: timed out after 0.15 s`);
  });

  it("treats the caller's abort as an interruption, not a download error", async () => {
    const controller = new AbortController();
    stalled = deferred();
    const loading = loadInput(`${base}/stalls`, { signal: controller.signal });
    await stalled.promise;
    controller.abort();
    const error = await loading.then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(ReasonEditError.is(error)).toBe(false);
    expect((error as Error).name).toBe("AbortError");
  });

  it("reports a refused connection as input_download", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/cat.jpg`;
    await new Promise((resolve) => closed.close(resolve));
    const error = await rejection(loadInput(url));
    expect(error.code).toBe("input_download");
    expect(error.message).toContain("ECONNREFUSED");
  });

  it("refuses credentials in the URL before any request, naming the URL without them", async () => {
    const url = `${base.replace("http://", "http://user:secret-pass@")}/cat.jpg`;
    let requests = 0;
    const error = await rejection(loadInput(url, { fetch: (resource, init) => (requests++, globalThis.fetch(resource, init)) }));
    expect(error.code).toBe("input_download");
    expect(error.exitCode).toBe(2);
    expect(error.message).toBe(`${base}/cat.jpg carries a user name or password (user:password@), which reasonedit does not send`);
    expect(requests).toBe(0);
  });
});
