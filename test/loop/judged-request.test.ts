// What every round is judged against, seen in the requests the loopback fake received: a correction round's
// assess, conclude and SC score carry the whole round-1 concrete instruction; only the editor gets the correction.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runEditJob, type EditJobResult } from "../../src/app/edit-job.js";
import { createServices, loopSettings, recordableSettings } from "../../src/app/services.js";
import { resolveSettings } from "../../src/config/settings.js";
import { silentLogger } from "../../src/logging.js";
import { startFakeProviders, type FakeProviders, type RecordedRequest } from "../fakes/fake-providers.mjs";
import { instructionOf, reasoningResponder, stepOf } from "../fakes/reasoning-responder.mjs";

const FIXTURE = new URL("../../fixtures/chelsea.png", import.meta.url).pathname;
const CONCRETE = "make the cat's fur white as snow";
const CORRECTION = "whiten the whiskers as well";

let fake: FakeProviders;
let dir: string;
let job: EditJobResult;

beforeAll(async () => {
  fake = await startFakeProviders();
  dir = mkdtempSync(join(tmpdir(), "reasonedit-judged-"));
  fake.setChat(reasoningResponder({ think: { instruction: CONCRETE, changed: true, scope: "global", ops: [] }, verdicts: [{ refine: CORRECTION }, "success"] }));
  const settings = resolveSettings({
    flags: { mllmUrl: `${fake.url}/v1`, editorUrl: `${fake.url}/edit`, cache: false, maxRetries: 0, seed: 3, runDir: join(dir, "runs") },
  });
  const services = await createServices(settings, {}, silentLogger, { env: {} });
  job = await runEditJob(
    { image: FIXTURE, instruction: "make it look like a snowstorm", output: join(dir, "out.png"), loop: loopSettings(settings), runsRoot: services.runsRoot, settingsForRecord: recordableSettings(settings), cwd: dir },
    services,
  );
}, 60_000);

afterAll(async () => {
  await fake?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function chats(step: string): RecordedRequest[] {
  return fake.requestsOf("chat").filter((request) => stepOf(request.body) === step);
}

function textOf(request: RecordedRequest): string {
  const messages = (request.body as { messages: Array<{ content: string | Array<{ type: string; text?: string }> }> }).messages;
  return messages.flatMap((message) => (typeof message.content === "string" ? [message.content] : message.content.flatMap((part) => (part.type === "text" ? [part.text ?? ""] : [])))).join("\n");
}

describe("a correction round is judged against the whole request", () => {
  it("edits round 2 with the correction alone", () => {
    expect(job.loop.rounds.map((round) => round.instruction)).toEqual([CONCRETE, CORRECTION]);
    expect(fake.requestsOf("edit")).toHaveLength(2);
  });

  it("sends round 2's assess and SC score the round-1 concrete instruction, not the correction", () => {
    for (const step of ["assess", "score-sc"]) {
      const requests = chats(step);
      expect(requests).toHaveLength(2);
      const round2 = textOf(requests[1]!);
      expect(round2).toContain(CONCRETE);
      expect(round2).not.toContain(CORRECTION);
    }
    expect(textOf(chats("score-sc")[1]!)).toMatch(new RegExp(`Editing instruction: ${CONCRETE}$`));
  });

  it("gives round 2's conclude the concrete instruction as the request and the correction only as context", () => {
    const [round1, round2] = chats("conclude");
    expect(instructionOf(round1!.body)).toBe(CONCRETE);
    expect(instructionOf(round2!.body)).toBe(CONCRETE);
    expect(textOf(round1!)).not.toContain(CORRECTION);
    expect(textOf(round2!)).toContain(`correction:\n"""\n${CORRECTION}\n"""`);
  });
});
