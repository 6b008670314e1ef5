// Shells and scripts: a pipe closed early, several images given to edit, globs for batch, thumbnails for the MLLM.
import { spawn } from "node:child_process";
import { copyFileSync, existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import sharp from "sharp";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startFakeProviders, type FakeProviders } from "../fakes/fake-providers.mjs";
import { reasoningResponder, stepOf } from "../fakes/reasoning-responder.mjs";
import { goodRows, removeDir, spawnBatch, startBatchFake, tempDir, writeImage, writeJsonl, type BatchFake } from "../batch/batch-harness.js";
import { BIN, cleanEnv, runCli } from "../support/run-cli.js";
import { expectExit } from "../support/assertions.js";

let dir: string;
beforeEach(async () => {
  dir = await tempDir("reasonedit-pipes-");
});
afterEach(async () => {
  await removeDir(dir);
});

/** Runs `reasonedit <args> | <reader>` in bash and reports reasonedit's own exit code (PIPESTATUS[0]). */
function piped(args: string[], reader: string, env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  const quoted = [process.execPath, BIN, ...args].map((arg) => `'${arg.replace(/'/g, "'\\''")}'`).join(" ");
  const script = `${quoted} | ${reader}; echo "reasonedit-exit=\${PIPESTATUS[0]}" >&2`;
  return new Promise((resolve, reject) => {
    const child = spawn("bash", ["-c", script], { cwd: dir, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", () => {
      const code = Number(/reasonedit-exit=(\d+)/.exec(stderr)?.[1] ?? NaN);
      resolve({ code, stdout, stderr: stderr.replace(/reasonedit-exit=\d+\n/, "") });
    });
  });
}

function recordStatuses(runsDir: string): string[] {
  if (!existsSync(runsDir)) return [];
  return readdirSync(runsDir).map((id) => JSON.parse(readFileSync(path.join(runsDir, id, "run.json"), "utf8")).status as string);
}

describe("a pipe closed early", () => {
  let fake: BatchFake;
  beforeEach(async () => {
    fake = await startBatchFake({ share: 0, passThrough: true });
  });
  afterEach(async () => {
    await fake.close();
  });
  const flags = () => ["--mllm-url", fake.mllmUrl, "--editor-url", fake.editorUrl, "--no-cache", "--seed", "1"];

  it("batch … | head -1 prints one line, stops quietly with exit 141 and leaves no record running", async () => {
    await writeJsonl(path.join(dir, "manifest.jsonl"), await goodRows(dir, 12));
    const env = cleanEnv(dir);
    const run = await piped(["batch", "manifest.jsonl", "--out-dir", "out", "-j", "2", ...flags()], "head -1", env);
    expect(run.stdout.trim().split("\n")).toHaveLength(1);
    expect(JSON.parse(run.stdout)).toMatchObject({ status: "accepted" });
    expectExit(run, 141);
    expect(run.stderr).not.toMatch(/EPIPE|internal error|at .*\.js:\d+/);
    expect(run.stderr).toMatch(/stdout was closed/);
    const statuses = recordStatuses(path.join(dir, "out", "runs"));
    expect(statuses.length).toBeGreaterThan(0);
    expect(statuses.length).toBeLessThan(12);
    expect(statuses).not.toContain("running");
  });

  it("edit --json | true and edit -o - | head -c 100 end with exit 141, no stack trace, and a settled record", async () => {
    await writeImage(path.join(dir, "a.png"), 3);
    const env = cleanEnv(dir);
    const json = await piped(["edit", "a.png", "paint ⟪a⟫ red", "--json", ...flags()], "true", env);
    expectExit(json, 141);
    expect(json.stderr).not.toMatch(/EPIPE|internal error/);
    const bytes = await piped(["edit", "a.png", "paint ⟪a⟫ red", "-o", "-", ...flags()], "head -c 100 >/dev/null", env);
    expect([0, 141]).toContain(bytes.code);
    expect(bytes.stderr).not.toMatch(/EPIPE|internal error/);
    expect(recordStatuses(path.join(dir, "state", "reasonedit", "runs"))).not.toContain("running");
  });
});

describe("one image per edit", () => {
  let fake: FakeProviders;
  beforeEach(async () => {
    fake = await startFakeProviders({ chat: reasoningResponder() });
  });
  afterEach(async () => {
    await fake.close();
  });
  const urls = () => ["--mllm-url", `${fake.url}/v1`, "--editor-url", fake.url, "--seed", "7"];

  it("refuses edit a.png b.png \"…\" with exit 2 before any request, pointing at batch", async () => {
    await writeImage(path.join(dir, "a.png"), 1);
    await writeImage(path.join(dir, "b.jpg.png"), 2);
    copyFileSync(path.join(dir, "b.jpg.png"), path.join(dir, "b.jpg"));
    const result = await runCli(["edit", "a.png", "b.jpg", "make it black and white", ...urls()], { cwd: dir, env: cleanEnv(dir) });
    expectExit(result, 2);
    expect(result.stderr).toContain("edit takes one image");
    expect(result.stderr).toContain("b.jpg");
    expect(result.stderr).toContain("reasonedit batch a.png b.jpg --instruction 'make it black and white'");
    expect(fake.requests).toHaveLength(0);
  });

  it("still takes an instruction that merely names a file that is no image", async () => {
    await writeImage(path.join(dir, "a.png"), 1);
    const result = await runCli(["edit", "a.png", "README", "style", ...urls()], { cwd: dir, env: cleanEnv(dir) });
    expectExit(result, 0);
  });
});

describe("batch over a glob", () => {
  let fake: BatchFake;
  beforeEach(async () => {
    fake = await startBatchFake({ share: 0, passThrough: true });
  });
  afterEach(async () => {
    await fake.close();
  });

  it("edits every file the quoted glob matches, sorted, with ids from the file names, clash-free", async () => {
    await writeImage(path.join(dir, "photos", "b.png"), 1);
    await writeImage(path.join(dir, "photos", "a.png"), 2);
    await writeImage(path.join(dir, "photos", "more", "a.png"), 3);
    await writeImage(path.join(dir, "photos", "notes.png"), 4);
    const run = spawnBatch(["photos/**/*.png", "--instruction", "paint it red", "--out-dir", "out", "-j", "1", "--mllm-url", fake.mllmUrl, "--editor-url", fake.editorUrl, "--no-cache"], { cwd: dir });
    expectExit(await run.exited, 0);
    expect(run.lines.map((line) => line.id)).toEqual(["a", "b", "a-png", "notes"]);
    expect(run.lines.every((line) => line.status === "accepted")).toBe(true);
    expect(existsSync(path.join(dir, "out", "a-png.png"))).toBe(true);
  });

  it("says so when a glob matches nothing, or when several manifests are given", async () => {
    const none = spawnBatch(["photos/*.jpg", "--instruction", "x", "--out-dir", "out", "--mllm-url", fake.mllmUrl, "--editor-url", fake.editorUrl], { cwd: dir });
    expectExit(await none.exited, 2);
    expect(none.stderr()).toContain("no file matches photos/*.jpg");
    await writeImage(path.join(dir, "a.png"), 1);
    await writeImage(path.join(dir, "b.png"), 2);
    const two = spawnBatch(["a.png", "b.png", "--out-dir", "out", "--mllm-url", fake.mllmUrl, "--editor-url", fake.editorUrl], { cwd: dir });
    expectExit(await two.exited, 2);
    expect(two.stderr()).toContain("--instruction");
  });
});

describe("the MLLM's copy of a thumbnail", () => {
  let fake: FakeProviders;
  beforeEach(async () => {
    fake = await startFakeProviders({ chat: reasoningResponder() });
  });
  afterEach(async () => {
    await fake.close();
  });

  it("is at most the input's own size: a 160×120 input reaches no chat call larger than 160×120", async () => {
    const input = path.join(dir, "thumb.jpg");
    await sharp(path.resolve("fixtures/chelsea.png")).resize(160, 120, { fit: "fill" }).jpeg().toFile(input);
    const result = await runCli(["edit", "thumb.jpg", "make it snow", "--mllm-url", `${fake.url}/v1`, "--editor-url", fake.url, "--seed", "7"], { cwd: dir, env: cleanEnv(dir) });
    expectExit(result, 0);
    // All but the change map's heat-map, conclude's third image: a diagram of its own size, not the input's detail.
    const images = fake.requestsOf("chat").flatMap((request) => (stepOf(request.body) === "conclude" ? request.images.slice(0, 2) : request.images));
    expect(images.length).toBeGreaterThan(3);
    for (const image of images) {
      const { width, height } = await sharp(image.data).metadata();
      expect(Math.max(width!, height!)).toBeLessThanOrEqual(160);
      expect(Math.min(width!, height!)).toBeLessThanOrEqual(120);
    }
    // The editor still works at its ~1 MP size.
    const [edit] = fake.requestsOf("edit");
    expect((await sharp(edit!.images[0]!.data).metadata()).width).toBeGreaterThan(1000);
  });
});
