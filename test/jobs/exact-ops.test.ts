// Exact ops through the whole `edit` job: when think answers with ops only, no editor is called and the written
// result is pixel for pixel what sharp makes of the full-resolution input. A mixed request makes one op pass and
// one editor call, and the editor gets the cropped/rotated geometry.
import { readFile } from "node:fs/promises";
import path from "node:path";
import sharp, { type Sharp } from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { psnr } from "../../src/images/psnr.js";
import type { ExactOp } from "../../src/loop/types.js";
import { reasoningResponder, stepOf } from "../fakes/reasoning-responder.mjs";
import { chatText, differingBytes, removeDir, rgbOf, rgbOfPipeline, runJob, startJobFake, tempDir, writeTexturedImage, type JobFake } from "./harness.js";

let jobFake: JobFake;
let dir: string;
let input: string;

beforeAll(async () => {
  jobFake = await startJobFake();
  dir = await tempDir();
  input = await writeTexturedImage(path.join(dir, "input.png"));
});

afterAll(async () => {
  await jobFake?.close();
  if (dir) await removeDir(dir);
});

/** sharp's own result for one op, done independently of reasonedit (320×240 input: every crop fraction is whole pixels). */
function reference(image: Sharp, op: ExactOp): Sharp {
  switch (op.op) {
    case "rotate":
      return image.rotate(op.degrees);
    case "flip":
      return op.axis === "horizontal" ? image.flop() : image.flip();
    case "crop":
      return image.extract({ left: op.left * 320, top: op.top * 240, width: op.width * 320, height: op.height * 240 });
    case "resize":
      return op.width !== undefined && op.height !== undefined ? image.resize(op.width, op.height, { fit: "fill" }) : image.resize({ width: op.width, height: op.height });
    case "grayscale":
      return image.grayscale();
    case "brightness":
      return image.modulate({ brightness: op.factor });
    case "saturation":
      return image.modulate({ saturation: op.factor });
    case "contrast":
      return image.linear(op.factor, 128 * (1 - op.factor));
    case "blur":
      return image.blur(op.sigma);
    case "sharpen":
      return image.sharpen({ sigma: op.sigma });
  }
}

/** Each op in its own sharp call, in order, as a user would chain them by hand. */
async function sharpResult(file: string, ops: readonly ExactOp[]) {
  let bytes = await readFile(file);
  for (const op of ops) bytes = await reference(sharp(bytes), op).png().toBuffer();
  return rgbOfPipeline(sharp(bytes));
}

const CASES: Array<[string, ExactOp[]]> = [
  ["rotate 90", [{ op: "rotate", degrees: 90 }]],
  ["rotate 180", [{ op: "rotate", degrees: 180 }]],
  ["rotate 270", [{ op: "rotate", degrees: 270 }]],
  ["flip horizontal", [{ op: "flip", axis: "horizontal" }]],
  ["flip vertical", [{ op: "flip", axis: "vertical" }]],
  ["crop", [{ op: "crop", left: 0.25, top: 0.1, width: 0.5, height: 0.8 }]],
  ["resize, one side", [{ op: "resize", width: 200 }]],
  ["resize, both sides", [{ op: "resize", width: 100, height: 100 }]],
  ["grayscale", [{ op: "grayscale" }]],
  ["brightness", [{ op: "brightness", factor: 1.2 }]],
  ["contrast", [{ op: "contrast", factor: 0.8 }]],
  ["saturation", [{ op: "saturation", factor: 0.5 }]],
  ["blur", [{ op: "blur", sigma: 2 }]],
  ["sharpen", [{ op: "sharpen", sigma: 1 }]],
  [
    "crop, then rotate, then grayscale",
    [
      { op: "crop", left: 0, top: 0, width: 0.5, height: 1 },
      { op: "rotate", degrees: 90 },
      { op: "grayscale" },
    ],
  ],
];

describe("a request that exact ops cover entirely", () => {
  it.each(CASES)("%s: no editor call, and the result is exactly sharp's on the full-resolution input", async (_name, ops) => {
    const editsBefore = jobFake.fake.requestsOf("edit").length;
    const chatsBefore = jobFake.fake.requestsOf("chat").length;
    jobFake.fake.setChat(reasoningResponder({ think: { instruction: null, changed: true, rationale: "exact", scope: "global", ops } }));

    const run = await runJob({ fake: jobFake, image: input, instruction: "do the exact thing", dir });

    expect(jobFake.fake.requestsOf("edit").length - editsBefore).toBe(0);
    const chats = jobFake.fake.requestsOf("chat").slice(chatsBefore);
    expect(chats.map((request) => stepOf(request.body))).toEqual(["think"]);
    expect(run.record.stop_reason).toBe("ops_only");
    expect(run.record.ops).toEqual(ops);
    expect(run.result.status).toBe("accepted");

    const written = await rgbOf(await readFile(run.result.output));
    const expected = await sharpResult(input, ops);
    expect({ width: written.width, height: written.height }).toEqual({ width: expected.width, height: expected.height });
    expect(differingBytes(written, expected)).toBe(0);
  });
});

describe("a request with both exact ops and a diffusion edit", () => {
  const ops: ExactOp[] = [
    { op: "crop", left: 0, top: 0, width: 0.5, height: 1 },
    { op: "rotate", degrees: 90 },
  ];

  it("makes one op pass and exactly one editor call, and the editor gets the cropped, rotated image", async () => {
    const editsBefore = jobFake.fake.requestsOf("edit").length;
    const chatsBefore = jobFake.fake.requestsOf("chat").length;
    jobFake.fake.setChat(reasoningResponder({ think: { instruction: "paint the disc blue", changed: true, scope: "local", ops }, verdicts: ["success"] }));

    const run = await runJob({ fake: jobFake, image: input, instruction: "crop to the left half, turn it clockwise and paint the disc blue", dir });

    const edits = jobFake.fake.requestsOf("edit").slice(editsBefore);
    expect(edits).toHaveLength(1);
    expect(edits[0]!.body.parameters.prompt).toBe("paint the disc blue");

    // The editor's input is the loop's source (the ~1 MP working copy) cropped to its left half and turned
    // clockwise: portrait becomes landscape, and the pixels are sharp's (up to the quality-95 JPEG the editor is
    // sent, any re-shaping to the editor's size, and the quality-85 JPEG of the source the run record keeps).
    const source = await run.file(run.record.input.source_image!);
    const sourceMeta = await sharp(source).metadata();
    const half = { left: 0, top: 0, width: Math.round(sourceMeta.width / 2), height: sourceMeta.height };
    const exact = await sharp(await sharp(source).extract(half).png().toBuffer()).rotate(90).png().toBuffer();
    const sent = edits[0]!.images[0]!.data;
    const sentMeta = await sharp(sent).metadata();
    expect(sentMeta.width / sentMeta.height).toBeCloseTo(half.height / half.width, 1);
    const expected = await rgbOfPipeline(sharp(exact).resize(sentMeta.width, sentMeta.height, { fit: "fill" }));
    const fidelity = psnr(await rgbOf(sent), expected);
    console.log(`editor input ${sentMeta.width}×${sentMeta.height} vs sharp's crop+rotate of the working copy: ${Number.isFinite(fidelity) ? `${fidelity.toFixed(1)} dB` : "identical"}`);
    expect(fidelity).toBeGreaterThanOrEqual(32);
    expect(edits[0]!.body.parameters.target_size).toEqual({ width: sentMeta.width, height: sentMeta.height });

    // Reflection judges the combined result: it is told about the ops.
    const assess = jobFake.fake.requestsOf("chat").slice(chatsBefore).find((request) => stepOf(request.body) === "assess")!;
    expect(chatText(assess.body)).toMatch(/already had these exact operations applied, as requested: .*\\"op\\":\\"crop\\".*\\"op\\":\\"rotate\\"/);

    // The result has the geometry the ops give the full-resolution input: 320×240 → left half 160×240 → 240×160.
    const written = await sharp(await readFile(run.result.output)).metadata();
    expect({ width: written.width, height: written.height }).toEqual({ width: 240, height: 160 });
    expect(run.record.totals.editor_calls).toBe(1);
    expect(run.record.rounds[0]!.candidates[0]!.image).toBe("round-1.jpg");
  });

  // docs/DESIGN.md §6: the editor gets about 1 megapixel with sides a multiple of 16, also after a crop.
  it("still gives the editor about 1 MP with sides a multiple of 16 after a crop", async () => {
    const editsBefore = jobFake.fake.requestsOf("edit").length;
    const third: ExactOp[] = [{ op: "crop", left: 0, top: 0, width: 1 / 3, height: 1 }];
    jobFake.fake.setChat(reasoningResponder({ think: { instruction: "paint the disc blue", changed: true, scope: "local", ops: third }, verdicts: ["success"] }));

    await runJob({ fake: jobFake, image: input, instruction: "crop to the left third and paint the disc blue", dir });

    const sent = await sharp(jobFake.fake.requestsOf("edit")[editsBefore]!.images[0]!.data).metadata();
    console.log(`editor input after cropping a third: ${sent.width}×${sent.height} (${((sent.width * sent.height) / 1e6).toFixed(2)} MP)`);
    expect(sent.width % 16).toBe(0);
    expect(sent.height % 16).toBe(0);
    expect(sent.width * sent.height).toBeGreaterThan(0.8 * 1024 * 1024);
  });
});
