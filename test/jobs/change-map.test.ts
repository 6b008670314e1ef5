// The change map reaches reflection: conclude gets the heat-map as a third image with the numbers in words,
// and the run record keeps the heat-map file, the changed share and the changed regions.
import { existsSync } from "node:fs";
import path from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { psnr } from "../../src/images/psnr.js";
import { reasoningResponder, stepOf } from "../fakes/reasoning-responder.mjs";
import { chatText, imageParts, removeDir, rgbOf, runJob, startJobFake, tempDir, type JobFake, type JobRun } from "./harness.js";

const FIXTURE = path.join(import.meta.dirname, "..", "..", "fixtures", "chelsea.png");
/** Where the fake editor paints, as fractions of the image it gets. */
const RECT = { left: 0.55, top: 0.2, width: 0.25, height: 0.3 };

let jobFake: JobFake;
let dir: string;
let run: JobRun;

beforeAll(async () => {
  jobFake = await startJobFake();
  dir = await tempDir();
  jobFake.fake.setChat(reasoningResponder({ think: { instruction: "paint a green square on the wall", changed: true, scope: "local", ops: [] } }));
  jobFake.fake.setEdit(async ({ image }) => {
    const { width, height } = await sharp(image).metadata();
    const rect = { left: Math.round(RECT.left * width), top: Math.round(RECT.top * height), width: Math.round(RECT.width * width), height: Math.round(RECT.height * height) };
    const square = await sharp({ create: { ...rect, channels: 3, background: { r: 30, g: 200, b: 60 } } }).png().toBuffer();
    return sharp(image).composite([{ input: square, left: rect.left, top: rect.top }]).png().toBuffer();
  });
  run = await runJob({ fake: jobFake, image: FIXTURE, instruction: "paint a green square on the wall", dir });
}, 60_000);

afterAll(async () => {
  await jobFake?.close();
  if (dir) await removeDir(dir);
});

describe("the change map as evidence for reflection", () => {
  it("sends the heat-map to conclude as a third image, with the measured numbers in the prompt", async () => {
    const concludes = jobFake.fake.requestsOf("chat").filter((request) => stepOf(request.body) === "conclude");
    expect(concludes).toHaveLength(1);
    const [conclude] = concludes;
    expect(imageParts(conclude!.body)).toBe(3);
    expect(conclude!.images).toHaveLength(3);
    expect(chatText(conclude!.body)).toMatch(/image 3 is a heat map/i);
    expect(chatText(conclude!.body)).toMatch(/\d+\.\d% of the pixels changed/);

    // The third image is the heat-map the run record kept (re-encoded as JPEG for the model).
    const heatmapFile = run.record.rounds[0]!.candidates[0]!.change_map!.heatmap;
    const kept = await rgbOf(await run.file(heatmapFile!));
    const sent = await rgbOf(conclude!.images[2]!.data);
    expect({ width: sent.width, height: sent.height }).toEqual({ width: kept.width, height: kept.height });
    const closeness = psnr(sent, kept);
    console.log(`heat-map sent to conclude vs heat-map in the run folder: ${closeness.toFixed(1)} dB (JPEG q85)`);
    expect(closeness).toBeGreaterThan(30);
  });

  it("keeps the heat-map file, the changed share and the changed region in the run record", async () => {
    const candidate = run.record.rounds[0]!.candidates[0]!;
    const changeMap = candidate.change_map!;
    expect(changeMap.heatmap).toBe("round-1-changes.jpg");
    expect(existsSync(path.join(run.runDir, changeMap.heatmap!))).toBe(true);
    const meta = await sharp(await run.file(changeMap.heatmap!)).metadata();
    expect(Math.max(meta.width, meta.height)).toBeLessThanOrEqual(512);

    // Preserve (scope local, on by default) removed nothing here, so the map shows the square and only it.
    const area = RECT.width * RECT.height;
    expect(changeMap.changed_share).toBeGreaterThan(area * 0.8);
    expect(changeMap.changed_share).toBeLessThan(area * 1.3);
    const [box] = changeMap.boxes;
    expect(box!.left).toBeCloseTo(RECT.left, 1);
    expect(box!.top).toBeCloseTo(RECT.top, 1);
    expect(box!.width).toBeCloseTo(RECT.width, 1);
    expect(box!.height).toBeCloseTo(RECT.height, 1);
    console.log(`change map: ${(changeMap.changed_share * 100).toFixed(1)}% changed (square is ${(area * 100).toFixed(1)}%), box ${JSON.stringify(box)}`);
  });
});
