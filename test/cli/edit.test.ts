// The `edit` command as a user runs it: the built bin against the loopback fake, asserting stdout, stderr, files and exit codes.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { fault } from "../fakes/fake-providers.mjs";
import { reasoningResponder, stepOf } from "../fakes/reasoning-responder.mjs";
import { RunRecordSchema } from "../../src/runs/run-record.js";
import { expectExit, expectNoSecret } from "../support/assertions.js";
import { CAT_FIXTURE as FIXTURE, useCliSandbox } from "../support/cli-sandbox.js";

const HF_TOKEN = "hf_cliTestSecretToken1234567890";
const API_KEY = "sk-cliTestMllmKey0987654321";

const sandbox = useCliSandbox();

function customUrls(): string[] {
  return ["--mllm-url", `${sandbox.fake.url}/v1`, "--editor-url", sandbox.fake.url, "--max-retries", "1", "--seed", "7"];
}

function edit(args: string[], env: Record<string, string | undefined> = {}, stdin?: Buffer) {
  return sandbox.run(["edit", ...args], env, stdin ? { stdin } : {});
}

function runRecords(): string[] {
  const root = join(sandbox.home, "state", "reasonedit", "runs");
  return existsSync(root) ? readdirSync(root).map((name) => join(root, name, "run.json")) : [];
}

describe("reasonedit edit", () => {
  it("edits, reflects, accepts: exit 0, the result at the input's size beside it, and a run record", async () => {
    sandbox.fake.setChat(reasoningResponder({ verdicts: [{ refine: "make the whiskers white too" }, "success"] }));
    const result = await edit(["cat.png", "make", "it", "look", "like", "a", "snowstorm", ...customUrls()]);
    expect(result.stderr).toContain("accepted: kept round 2 of 2");
    expectExit(result, 0);
    const output = join(sandbox.home, "cat.edited.png");
    const meta = await sharp(output).metadata();
    expect([meta.width, meta.height]).toEqual([451, 300]);
    const [recordPath] = runRecords();
    const record = RunRecordSchema.parse(JSON.parse(readFileSync(recordPath!, "utf8")));
    expect(record.status).toBe("accepted");
    expect(record.instruction).toBe("make it look like a snowstorm");
    expect(record.concrete_instruction).toBe("make the cat's fur white as snow");
    expect(record.rounds.map((r) => r.instruction)).toEqual(["make the cat's fur white as snow", "make the whiskers white too"]);
    expect(record.kept_round).toBe(2);
    for (const round of record.rounds) expect(existsSync(join(recordPath!, "..", round.candidates[0]!.image!))).toBe(true);
    expect(sandbox.fake.requestsOf("edit")).toHaveLength(2);
  });

  it("ends with exit 3 at the round limit and still writes the best round", async () => {
    sandbox.fake.setChat(
      reasoningResponder({
        verdicts: [{ refine: "add snow on the ground" }, { refine: "add falling snowflakes" }],
        scores: [
          [[9, 9], [9, 9]],
          [[3, 3], [4, 4]],
        ],
      }),
    );
    const result = await edit(["cat.png", "make it snow", "--rounds", "2", "--json", ...customUrls()]);
    expectExit(result, 3);
    const json = JSON.parse(result.stdout);
    expect(json.status).toBe("not_accepted");
    expect(json.stop_reason).toBe("round_limit");
    expect(json.kept_round).toBe(1);
    expect(json.rounds).toHaveLength(2);
    expect(result.stderr).toContain("not accepted (round limit)");
    expect(existsSync(join(sandbox.home, "cat.edited.png"))).toBe(true);
  });

  it("fails with exit 4 naming the status when the editor keeps failing, and records the error", async () => {
    sandbox.fake.setChat(reasoningResponder());
    const unavailable = () => fault.status(503, { headers: { "x-request-id": "req-503-abc" } });
    sandbox.fake.fail("edit", unavailable(), unavailable());
    const result = await edit(["cat.png", "make it snow", ...customUrls()]);
    expectExit(result, 4);
    expect(result.stderr).toMatch(/HTTP 503, request req-503-abc/);
    expect(sandbox.fake.requestsOf("edit")).toHaveLength(2);
    expect(existsSync(join(sandbox.home, "cat.edited.png"))).toBe(false);
    const record = JSON.parse(readFileSync(runRecords()[0]!, "utf8"));
    expect(record.status).toBe("error");
    expect(record.error).toMatchObject({ code: "provider_unavailable", status: 503, request_id: "req-503-abc" });
    expect(record.thinking.reply.instruction).toBe("make the cat's fur white as snow");
    expect(record.totals.mllm_calls).toBeGreaterThanOrEqual(1);
  });

  it("rejects a corrupt image with exit 2 and says which file", async () => {
    writeFileSync(join(sandbox.home, "broken.png"), readFileSync(FIXTURE).subarray(0, 2000));
    const result = await edit(["broken.png", "make it snow", ...customUrls()]);
    expectExit(result, 2);
    expect(result.stderr).toContain("broken.png");
    expect(sandbox.fake.requests).toHaveLength(0);
  });

  it("rejects a missing image with exit 2", async () => {
    const result = await edit(["nope.png", "make it snow", ...customUrls()]);
    expectExit(result, 2);
    expect(result.stderr).toContain("nope.png");
  });

  it("without HF_TOKEN says so, names HF_TOKEN and exits 2 before any call", async () => {
    const result = await edit(["cat.png", "make it snow"]);
    expectExit(result, 2);
    expect(result.stderr).toContain("HF_TOKEN");
    expect(result.stderr).toContain("--mllm-url");
  });

  it("rejects a bad flag value with exit 2", async () => {
    const result = await edit(["cat.png", "make it snow", "--rounds", "zero", ...customUrls()]);
    expectExit(result, 2);
    expect(result.stderr).toContain("--rounds");
  });

  it("never shows a token: not in stdout, stderr, debug logs or the run record, and the HF token never reaches a custom URL", async () => {
    sandbox.fake.setChat(reasoningResponder({ verdicts: ["success"] }));
    const result = await edit(["cat.png", "make it snow", "--json", "-v", "--log-format", "json", ...customUrls()], {
      HF_TOKEN,
      REASONEDIT_MLLM_API_KEY: API_KEY,
    });
    expectExit(result, 0);
    const record = readFileSync(runRecords()[0]!, "utf8");
    expectNoSecret([result.stdout, result.stderr, record], HF_TOKEN, API_KEY);
    const chat = sandbox.fake.requestsOf("chat");
    expect(chat.length).toBeGreaterThan(0);
    for (const request of chat) expect(request.headers.authorization).toBe(`Bearer ${API_KEY}`);
    for (const request of sandbox.fake.requestsOf("edit")) expect(request.headers.authorization).toBeUndefined();
  });

  it("reads stdin and writes the image to stdout with -o -, the report going to stderr", async () => {
    sandbox.fake.setChat(reasoningResponder({ verdicts: ["success"] }));
    const result = await edit(["-", "make it snow", "-o", "-", ...customUrls()], {}, readFileSync(FIXTURE));
    expectExit(result, 0);
    const meta = await sharp(result.stdoutBytes).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(["png", 451, 300]);
    expect(result.stderr).toContain("accepted");
  });

  it("prints one JSON object with rounds, scores and the record path for scripts", async () => {
    sandbox.fake.setChat(reasoningResponder({ verdicts: ["success"] }));
    const result = await edit(["cat.png", "make it snow", "--json", "-q", "-o", "out.webp", ...customUrls()]);
    expectExit(result, 0);
    expect(result.stderr).toBe("");
    const json = JSON.parse(result.stdout);
    expect(json).toMatchObject({ status: "accepted", output: join(sandbox.home, "out.webp"), kept_round: 1, stop_reason: "success" });
    expect(json.rounds[0]).toMatchObject({ verdict: "success", scores: { sc: [8, 8], pq: [8, 8], value: 64 } });
    expect(json.totals).toMatchObject({ mllm_calls: 6, editor_calls: 1 });
    expect(existsSync(json.run_record)).toBe(true);
    expect((await sharp(join(sandbox.home, "out.webp")).metadata()).format).toBe("webp");
  });

  it("refuses to overwrite the input", async () => {
    const result = await edit(["cat.png", "make it snow", "-o", "cat.png", ...customUrls()]);
    expectExit(result, 2);
    expect(readFileSync(join(sandbox.home, "cat.png")).equals(readFileSync(FIXTURE))).toBe(true);
  });

  it("takes settings from the config file, overridden by the environment, overridden by flags", async () => {
    sandbox.fake.setChat(reasoningResponder({ verdicts: [{ refine: "a" }, { refine: "b" }, { refine: "c" }, { refine: "d" }] }));
    writeFileSync(join(sandbox.home, "reasonedit.config.json"), JSON.stringify({ rounds: 4, think: false }));
    const fromFile = await edit(["cat.png", "snow", "--json", "-q", ...customUrls()]);
    expect(JSON.parse(fromFile.stdout).rounds).toHaveLength(4);
    expect(JSON.parse(fromFile.stdout).concrete_instruction).toBe("snow");
    const fromEnv = await edit(["cat.png", "snow", "--json", "-q", ...customUrls()], { REASONEDIT_ROUNDS: "2" });
    expect(JSON.parse(fromEnv.stdout).rounds).toHaveLength(2);
    const fromFlag = await edit(["cat.png", "snow", "--json", "-q", "--rounds", "1", ...customUrls()], { REASONEDIT_ROUNDS: "2" });
    expect(JSON.parse(fromFlag.stdout).rounds).toHaveLength(1);
  });

  it("runs the paper's pipeline with --no-ops --no-change-map --no-preserve: no ops asked for, no heat-map sent", async () => {
    const think = { instruction: "rotate the cat 90 degrees", changed: true, scope: "local", ops: [{ op: "rotate", degrees: 90 }] };
    sandbox.fake.setChat(reasoningResponder({ think, verdicts: ["success"] }));
    const result = await edit(["cat.png", "rotate it", "--json", "-q", "--no-ops", "--no-change-map", "--no-preserve", ...customUrls()]);
    expectExit(result, 0);
    const json = JSON.parse(result.stdout);
    expect(json.ops).toEqual([]);
    const chats = sandbox.fake.requestsOf("chat");
    const thinkText = JSON.stringify(chats.find((request) => stepOf(request.body) === "think")!.body);
    expect(thinkText).toContain('Give \\"ops\\": [] always');
    expect(chats.find((request) => stepOf(request.body) === "conclude")!.images).toHaveLength(2);
    const meta = await sharp(json.output).metadata();
    expect([meta.width, meta.height]).toEqual([451, 300]);
    const record = JSON.parse(readFileSync(json.run_record, "utf8"));
    expect(record.settings).toMatchObject({ ops: false, changeMap: false, preserve: false });
  });

  it("on Ctrl-C stops the calls in flight, exits 130 and records the run as interrupted", async () => {
    sandbox.fake.setChat(reasoningResponder());
    sandbox.fake.setLatency("edit", 3_000); // the editor is slow, so Ctrl-C finds its call still open
    try {
      const run = sandbox.spawn(["edit", "cat.png", "snow", ...customUrls()]);
      await sandbox.fake.received("edit");
      run.child.kill("SIGINT");
      const result = await run.exited;
      expectExit(result, 130);
      expect(result.stderr).toContain("interrupted");
      expect(JSON.parse(readFileSync(runRecords()[0]!, "utf8")).status).toBe("interrupted");
    } finally {
      // The abandoned edit stays asleep in the fake for its latency, then leaves unanswered (see the fake's inFlight):
      // it takes no fault a later test queues, so nothing here waits for it.
      sandbox.fake.setLatency("edit", 0);
    }
  });

  it("refuses, before any call, an empty instruction, -o - with --json, and an unknown output extension", async () => {
    for (const args of [["cat.png", "   "], ["cat.png", "snow", "-o", "-", "--json"], ["cat.png", "snow", "-o", "out.gif"]]) {
      const result = await edit([...args, ...customUrls()]);
      expectExit(result, 2);
    }
    expect(sandbox.fake.requests).toHaveLength(0);
  });

  it("with --json, still prints one object when the run fails: the error and the run record", async () => {
    sandbox.fake.setChat(reasoningResponder());
    sandbox.fake.fail("edit", fault.authError(401));
    const result = await edit(["cat.png", "snow", "--json", ...customUrls()]);
    expectExit(result, 4);
    const json = JSON.parse(result.stdout);
    expect(json).toMatchObject({ status: "error", error: { code: "provider_auth", status: 401 } });
    expect(existsSync(json.run_record)).toBe(true);
  });

  it("writes into a folder given as -o, under the default name", async () => {
    sandbox.fake.setChat(reasoningResponder({ verdicts: ["success"] }));
    mkdirSync(join(sandbox.home, "results"));
    const result = await edit(["cat.png", "snow", "-o", "results", ...customUrls()]);
    expectExit(result, 0);
    expect(existsSync(join(sandbox.home, "results", "cat.edited.png"))).toBe(true);
  });
});
