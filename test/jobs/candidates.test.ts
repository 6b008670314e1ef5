// --candidates N: N editor calls per round with different seeds, made concurrently; each candidate is judged and
// the best by min(SC)·min(PQ) continues — the next round edits exactly its image. And what that costs.
import { writeFile } from "node:fs/promises";
import path from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { psnr } from "../../src/images/psnr.js";
import type { EditInput, RecordedRequest } from "../fakes/fake-providers.mjs";
import { reasoningResponder, stepOf } from "../fakes/reasoning-responder.mjs";
import { chatText, removeDir, rgbOf, runJob, startJobFake, tempDir, type JobFake, type JobRun } from "./harness.js";

const SEED = 100;
const EDIT_LATENCY_MS = 300;
const REFINED = "make the whole picture greener";

/** Candidate k of a round (seed − SEED, mod 3) paints the picture one colour; the judge scores by colour. */
const COLOURS = [
  { name: "red", rgb: { r: 220, g: 40, b: 40 }, score: 5 },
  { name: "green", rgb: { r: 40, g: 200, b: 60 }, score: 9 },
  { name: "blue", rgb: { r: 40, g: 60, b: 220 }, score: 7 },
];

let jobFake: JobFake;
let dir: string;
let input: string;
/** Per edit answered: how many edit requests the fake had received by then, and when it answered. */
let answered: Array<{ seed: number; received: number; at: number }> = [];
let editsBeforeJob = 0;

async function colourEditor({ image, parameters }: EditInput): Promise<Buffer> {
  const seed = Number(parameters.seed);
  answered.push({ seed, received: jobFake.fake.requestsOf("edit").length - editsBeforeJob, at: Date.now() });
  const { width, height } = await sharp(image).metadata();
  return sharp({ create: { width, height, channels: 3, background: COLOURS[(seed - SEED) % 3]!.rgb } }).png().toBuffer();
}

/** Which colour an image sent to the judge shows (it arrives as a JPEG data URL). */
async function colourOf(bytes: Buffer): Promise<(typeof COLOURS)[number]> {
  const [r, g, b] = (await sharp(bytes).stats()).channels.map((channel) => channel.mean);
  const channel = [r!, g!, b!].indexOf(Math.max(r!, g!, b!));
  return COLOURS[channel === 0 ? 0 : channel === 1 ? 1 : 2]!;
}

/** think/describe/assess as a well-behaved MLLM; scores by the candidate's colour; round 1 refines, round 2 succeeds. */
function judge() {
  const scripted = reasoningResponder({ think: { instruction: "paint the picture a single bright colour", changed: true, scope: "global", ops: [] } });
  return async (body: unknown, request: RecordedRequest) => {
    const step = stepOf(body);
    if (step === "score-sc" || step === "score-pq") {
      const edited = request.images[step === "score-sc" ? 1 : 0]!.data;
      const colour = await colourOf(edited);
      return JSON.stringify({ score: [colour.score, colour.score], reasoning: colour.name });
    }
    if (step === "conclude") {
      const secondRound = chatText(body).includes(REFINED);
      return JSON.stringify(secondRound ? { verdict: "success", refined_instruction: null } : { verdict: "refine", refined_instruction: REFINED });
    }
    return scripted(body);
  };
}

interface Job {
  run: JobRun;
  edits: RecordedRequest[];
  /** The fake's edit answers, in order. */
  answers: typeof answered;
  wallMs: number;
}

async function job(candidates: number): Promise<Job> {
  answered = [];
  const before = (editsBeforeJob = jobFake.fake.requestsOf("edit").length);
  jobFake.fake.setChat(judge());
  const started = performance.now();
  const run = await runJob({ fake: jobFake, image: input, instruction: "make it pop", dir, flags: { candidates, rounds: 2, seed: SEED } });
  return { run, edits: jobFake.fake.requestsOf("edit").slice(before), answers: answered, wallMs: performance.now() - started };
}

beforeAll(async () => {
  jobFake = await startJobFake();
  jobFake.fake.setEdit(colourEditor);
  jobFake.fake.setLatency("edit", EDIT_LATENCY_MS);
  dir = await tempDir();
  // Flat colour: a small upload, so the three requests leave together and only the fake's latency separates them.
  input = path.join(dir, "input.png");
  await writeFile(input, await sharp({ create: { width: 320, height: 240, channels: 3, background: { r: 120, g: 110, b: 100 } } }).png().toBuffer());
});

afterAll(async () => {
  await jobFake?.close();
  if (dir) await removeDir(dir);
});

describe("--candidates 3", () => {
  let three: Job;
  let one: Job;

  beforeAll(async () => {
    await job(1); // warm-up: the first job of a process pays for loading sharp, prompts and the like
    three = await job(3);
    one = await job(1);
  }, 60_000);

  it("makes 3 concurrent editor calls per round, with different seeds", () => {
    expect(three.edits).toHaveLength(6);
    const seeds = three.edits.map((edit) => Number(edit.body.parameters.seed));
    expect(seeds.slice(0, 3).sort()).toEqual([SEED, SEED + 1, SEED + 2]);
    expect(seeds.slice(3).sort()).toEqual([SEED + 3, SEED + 4, SEED + 5]);

    // Round 1: all three requests had arrived before the fake answered the first (each takes 300 ms).
    const roundOne = three.answers.slice(0, 3);
    expect(roundOne[0]!.received).toBe(3);
    const arrivals = three.edits.slice(0, 3).map((edit) => edit.at);
    expect(Math.max(...arrivals)).toBeLessThan(Math.min(...roundOne.map((answer) => answer.at)));
    // Round 2 starts only when round 1 is judged.
    expect(Math.min(...three.edits.slice(3).map((edit) => edit.at))).toBeGreaterThanOrEqual(Math.max(...roundOne.map((answer) => answer.at)));
  });

  it("judges every candidate and continues from the best-scored one: the next round edits its image", async () => {
    const [roundOne, roundTwo] = three.run.record.rounds;
    expect(roundOne!.candidates).toHaveLength(3);
    expect(roundOne!.candidates.map((candidate) => candidate.scores.value)).toEqual([25, 81, 49]);
    expect(roundOne!.chosen).toBe(1);
    expect(roundOne!.candidates.every((candidate) => candidate.verdict === "refine")).toBe(true);

    // What round 2 sent the editor is round 1's best candidate (as uploaded: a quality-95 JPEG of its PNG).
    const kept = await Promise.all(three.run.result.loop.rounds[0]!.candidates.map((candidate) => rgbOf(candidate.image.bytes)));
    for (const edit of three.edits.slice(3)) {
      const sent = await rgbOf(edit.images[0]!.data);
      const closeness = kept.map((image) => psnr(sent, image));
      expect(closeness[1]).toBeGreaterThanOrEqual(40);
      expect(Math.max(closeness[0]!, closeness[2]!)).toBeLessThan(20);
    }

    expect(roundTwo!.base).toBe(1);
    expect(roundTwo!.instruction).toBe(REFINED);
    expect(three.run.record.kept_round).toBe(2);
    expect(three.run.result.status).toBe("accepted");
  });

  it("costs N× the editor calls and the judging calls, and reports them in the run record", () => {
    const a = three.run.record.totals;
    const b = one.run.record.totals;
    console.log(
      `2 rounds, ${EDIT_LATENCY_MS} ms per edit — candidates 3: ${a.editor_calls} edits, ${a.mllm_calls} MLLM calls, ${a.tokens} tokens, ${Math.round(three.wallMs)} ms; ` +
        `candidates 1: ${b.editor_calls} edits, ${b.mllm_calls} MLLM calls, ${b.tokens} tokens, ${Math.round(one.wallMs)} ms`,
    );
    expect(a.editor_calls).toBe(6);
    expect(b.editor_calls).toBe(2);
    // think + describe once; assess, conclude, SC, PQ per candidate.
    expect(a.mllm_calls).toBe(2 + 4 * 6);
    expect(b.mllm_calls).toBe(2 + 4 * 2);
    // Wall time is printed, not asserted (the concurrency test above pins the behaviour; timings vary by machine).
  });
});
