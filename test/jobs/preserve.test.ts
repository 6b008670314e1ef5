// --preserve through a whole edit job: a fake hosted editor drifts the whole image (brighter, tinted) and makes
// one real local change (a filled rectangle). For a local edit the kept round's background comes back equal to
// the source while the rectangle keeps the edit; --no-preserve keeps the drift; a global edit is left alone.
import { readFile } from "node:fs/promises";
import path from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { psnr } from "../../src/images/psnr.js";
import type { RgbImage } from "../../src/images/rgb.js";
import { reasoningResponder } from "../fakes/reasoning-responder.mjs";
import { dbText, differingBytes, removeDir, rgbOf, runJob, startJobFake, tempDir, type JobFake, type JobRun } from "./harness.js";

const FIXTURE = path.join(import.meta.dirname, "..", "..", "fixtures", "chelsea.png");
const RECT = { left: 0.58, top: 0.18, width: 0.24, height: 0.3 };
/** Outside the rectangle by more than the kept margin plus the feather (about 3 % of the width at 1248 px). */
const MARGIN_FRACTION = 0.04;

let jobFake: JobFake;
let dir: string;
/** What the fake editor returned last, decoded. */
let lastEditorOutput: RgbImage | undefined;

/** A hosted editor's typical output for a local request: everything a little brighter and warmer, plus the edit. */
async function driftingEditor({ image }: { image: Buffer }): Promise<Buffer> {
  const { width, height } = await sharp(image).metadata();
  const rect = { left: Math.round(RECT.left * width), top: Math.round(RECT.top * height), width: Math.round(RECT.width * width), height: Math.round(RECT.height * height) };
  const patch = await sharp({ create: { ...rect, channels: 3, background: { r: 200, g: 40, b: 160 } } }).png().toBuffer();
  const drifted = await sharp(image).modulate({ brightness: 1.05 }).linear([1.02, 1, 0.95], [3, 0, -2]).png().toBuffer();
  const bytes = await sharp(drifted).composite([{ input: patch, left: rect.left, top: rect.top }]).png().toBuffer();
  lastEditorOutput = await rgbOf(bytes);
  return bytes;
}

function regions(image: { width: number; height: number }) {
  const left = RECT.left * image.width;
  const top = RECT.top * image.height;
  const right = left + RECT.width * image.width;
  const bottom = top + RECT.height * image.height;
  const margin = MARGIN_FRACTION * image.width;
  return {
    untouched: (x: number, y: number) => x < left - margin || x >= right + margin || y < top - margin || y >= bottom + margin,
    // Two pixels in from the edge: the editor's rectangle itself, rounding aside.
    edited: (x: number, y: number) => x >= left + 2 && x < right - 2 && y >= top + 2 && y < bottom - 2,
  };
}

async function job(scope: "local" | "global", flags: Record<string, unknown> = {}): Promise<JobRun> {
  jobFake.fake.setChat(reasoningResponder({ think: { instruction: "paint a magenta panel on the wall", changed: true, scope, ops: [] } }));
  return runJob({ fake: jobFake, image: FIXTURE, instruction: "paint a magenta panel on the wall", dir, flags });
}

/**
 * The loop's source (the editor-sized input) and the kept round's image, as the loop holds them: the run folder
 * keeps only compact JPEG copies, too lossy for a bit-exactness check.
 */
async function sourceAndKept(run: JobRun): Promise<{ source: RgbImage; kept: RgbImage }> {
  const loop = run.result.loop;
  const round = loop.rounds[loop.kept]!;
  const candidate = round.candidates[round.chosen]!;
  return { source: await rgbOf(loop.prepared.bytes), kept: await rgbOf(candidate.image.bytes) };
}

beforeAll(async () => {
  jobFake = await startJobFake();
  jobFake.fake.setEdit(driftingEditor);
  dir = await tempDir();
});

afterAll(async () => {
  await jobFake?.close();
  if (dir) await removeDir(dir);
});

describe("--preserve on a local edit", () => {
  it("brings the untouched region back to the source (≥ 45 dB) while the rectangle keeps the edit", async () => {
    const run = await job("local");
    const { source, kept } = await sourceAndKept(run);
    const { untouched, edited } = regions(source);

    const background = psnr(kept, source, untouched);
    const editKept = psnr(kept, lastEditorOutput!, edited);
    const editorDrift = psnr(lastEditorOutput!, source, untouched);
    const share = run.record.rounds[0]!.candidates[0]!.preserved_share!;
    console.log(
      `preserve on (${source.width}×${source.height}): untouched region vs source ${dbText(background)} (editor output: ${dbText(editorDrift)}); ` +
        `rectangle vs editor output ${dbText(editKept)}; preserved share ${(share * 100).toFixed(1)}%`,
    );
    expect(background).toBeGreaterThanOrEqual(45);
    expect(editKept).toBeGreaterThanOrEqual(45);
    expect(editorDrift).toBeLessThan(35);
    expect(share).toBeGreaterThan(0.75);
    expect(run.record.scope).toBe("local");

    // What the user gets: the result written at the input's size, against the input itself. Preserve is redone at
    // full resolution, so the written background is the input's own pixels, not a resampled copy.
    const input = await rgbOf(await readFile(FIXTURE));
    const written = psnr(await rgbOf(await readFile(run.result.output)), input, regions(input).untouched);
    console.log(`preserve on: written result (${input.width}×${input.height}) vs input, untouched region: ${dbText(written)}`);
    expect(written).toBeGreaterThanOrEqual(45);
  });

  it("with --no-preserve keeps the editor's drift in the untouched region", async () => {
    const run = await job("local", { preserve: false });
    const { source, kept } = await sourceAndKept(run);
    const { untouched } = regions(source);

    const background = psnr(kept, source, untouched);
    console.log(`preserve off: untouched region vs source ${dbText(background)}`);
    expect(background).toBeLessThan(35);
    const input = await rgbOf(await readFile(FIXTURE));
    const written = psnr(await rgbOf(await readFile(run.result.output)), input, regions(input).untouched);
    console.log(`preserve off: written result vs input, untouched region: ${dbText(written)}`);
    expect(differingBytes(kept, lastEditorOutput!)).toBe(0);
    expect(run.record.rounds[0]!.candidates[0]!.preserved_share).toBeUndefined();
  });
});

describe("--preserve on a global edit", () => {
  it("leaves the editor's image exactly as it made it", async () => {
    const run = await job("global");
    const { kept } = await sourceAndKept(run);

    expect(differingBytes(kept, lastEditorOutput!)).toBe(0);
    expect(run.record.rounds[0]!.candidates[0]!.preserved_share).toBeUndefined();
    expect(run.record.scope).toBe("global");
  });
});
