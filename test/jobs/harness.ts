// Shared set-up for the edit-job tests, which drive the features beyond the paper (candidates, the change map,
// exact ops, preserve) through whole runEditJob calls: the loopback fake as both models (an OpenAI-compatible chat
// server at <fake>/v1, an HF-Inference editor at <fake>/edit), real services from createServices; plus pixel helpers.
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import sharp, { type Sharp } from "sharp";
import { runEditJob, type EditJobResult } from "../../src/app/edit-job.js";
import { createServices, loopSettings, recordableSettings } from "../../src/app/services.js";
import { resolveSettings, type SettingsInput } from "../../src/config/settings.js";
import { decodeRgb, type RgbImage } from "../../src/images/rgb.js";
import { silentLogger } from "../../src/logging.js";
import type { RunRecord } from "../../src/runs/run-record.js";
import { startFakeProviders, type FakeProviders } from "../fakes/fake-providers.mjs";

export interface JobFake {
  fake: FakeProviders;
  flags: SettingsInput;
  close(): Promise<void>;
}

export async function startJobFake(): Promise<JobFake> {
  const fake = await startFakeProviders();
  return { fake, flags: { mllmUrl: `${fake.url}/v1`, editorUrl: `${fake.url}/edit` }, close: () => fake.close() };
}

export async function tempDir(prefix = "reasonedit-job-"): Promise<string> {
  return mkdtemp(path.join(tmpdir(), prefix));
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

export interface JobRun {
  result: EditJobResult;
  record: RunRecord;
  runDir: string;
  /** A file of the run folder, as bytes. */
  file(name: string): Promise<Buffer>;
}

/** One `reasonedit edit` job in process, wired exactly as the CLI wires it, against the fake; no cache, no retries. */
export async function runJob(options: { fake: JobFake; image: string; instruction: string; dir: string; flags?: SettingsInput; output?: string }): Promise<JobRun> {
  const settings = resolveSettings({
    flags: { ...options.fake.flags, cache: false, maxRetries: 0, timeout: 30, seed: 7, runDir: path.join(options.dir, "runs"), ...options.flags },
  });
  const services = await createServices(settings, {}, silentLogger, {});
  const result = await runEditJob(
    {
      image: options.image,
      instruction: options.instruction,
      output: options.output ?? path.join(options.dir, `out-${Math.random().toString(36).slice(2)}.png`),
      loop: loopSettings(settings, settings.seed ?? 7),
      runsRoot: services.runsRoot,
      settingsForRecord: recordableSettings(settings),
      cwd: options.dir,
    },
    services,
  );
  const runDir = path.dirname(result.recordPath);
  return { result, record: result.record, runDir, file: (name) => readFile(path.join(runDir, name)) };
}

/**
 * A 320×240 RGB picture with gradients, shapes and noise, so every op visibly moves pixels and nothing is symmetric.
 * Seeded: every run writes the same bytes.
 */
export async function writeTexturedImage(file: string, width = 320, height = 240): Promise<string> {
  let state = 987654321;
  const next = () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
  const data = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 3;
      const inDisc = (x - width * 0.3) ** 2 + (y - height * 0.4) ** 2 < (height * 0.2) ** 2;
      const inBar = x > width * 0.6 && x < width * 0.75 && y > height * 0.15;
      data[o] = Math.min(255, Math.round((x / width) * 200 + (inDisc ? 50 : 0) + next() * 20));
      data[o + 1] = Math.min(255, Math.round((y / height) * 180 + (inBar ? 60 : 0) + next() * 20));
      data[o + 2] = Math.min(255, Math.round(((x + y) / (width + height)) * 150 + 40 + next() * 20));
    }
  }
  await writeFile(file, await sharp(data, { raw: { width, height, channels: 3 } }).png().toBuffer());
  return file;
}

export async function rgbOf(bytes: Uint8Array): Promise<RgbImage> {
  return decodeRgb(bytes);
}

/** Raw RGB of a sharp pipeline; one grey channel is widened to three, as reasonedit writes grayscale results. */
export async function rgbOfPipeline(pipeline: Sharp): Promise<RgbImage> {
  const { data, info } = await pipeline.raw({ depth: "uchar" }).toBuffer({ resolveWithObject: true });
  if (info.channels === 3) return { data, width: info.width, height: info.height };
  const rgb = Buffer.alloc(info.width * info.height * 3);
  for (let i = 0; i < info.width * info.height; i++) rgb.fill(data[i * info.channels]!, i * 3, i * 3 + 3);
  return { data: rgb, width: info.width, height: info.height };
}

/** Number of bytes that differ between two RGB images of one size. */
export function differingBytes(a: RgbImage, b: RgbImage): number {
  if (a.width !== b.width || a.height !== b.height) return Number.POSITIVE_INFINITY;
  let count = 0;
  for (let i = 0; i < a.data.length; i++) if (a.data[i] !== b.data[i]) count++;
  return count;
}

export function chatText(body: unknown): string {
  return JSON.stringify((body as { messages?: unknown })?.messages ?? "");
}

/** The image_url parts of a chat request's user message(s). */
export function imageParts(body: unknown): number {
  const messages = (body as { messages?: Array<{ content?: unknown }> })?.messages ?? [];
  return messages
    .flatMap((message) => (Array.isArray(message.content) ? message.content : []))
    .filter((part: unknown) => (part as { type?: string })?.type === "image_url").length;
}

export function dbText(value: number): string {
  return Number.isFinite(value) ? `${value.toFixed(1)} dB` : "∞ dB (identical)";
}
