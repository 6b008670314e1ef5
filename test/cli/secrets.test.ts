// Keys and passwords never leave the process: a provider that echoes the key, and URLs carrying a password,
// leave no trace of either on stdout, stderr, run records, cache entries or anywhere else on disk.
import { readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { fault } from "../fakes/fake-providers.mjs";
import { goodRows, removeDir, startBatchFake, tempDir, writeImage, writeJsonl, type BatchFake } from "../batch/batch-harness.js";
import { cleanEnv, runCli } from "../support/run-cli.js";
import { expectExit } from "../support/assertions.js";

// Shapes no pattern knows: only redaction by value can catch them.
const MLLM_KEY = "zq7.Mllm-Key:4b2d88c01e/LIVE";
const EDITOR_KEY = "Edt_9f81c2aa77d04e1b";
const JUDGE_KEY = "jdg-31337-a9b8c7d6e5";
const PASSWORD = "Pw4Url_hunter2xyz";

let fake: BatchFake;
let dir: string;

beforeEach(async () => {
  fake = await startBatchFake();
  dir = await tempDir("reasonedit-secrets-");
});
afterEach(async () => {
  await fake.close();
  await removeDir(dir);
});

const env = () => cleanEnv(dir, { REASONEDIT_MLLM_API_KEY: MLLM_KEY, REASONEDIT_EDITOR_API_KEY: EDITOR_KEY, REASONEDIT_JUDGE_API_KEY: JUDGE_KEY });
const modelFlags = () => ["--mllm-url", fake.mllmUrl, "--editor-url", fake.editorUrl, "--max-retries", "0", "--seed", "1"];

/** Every secret, and any 6-character stretch of it, as found in `text`. */
function leaksIn(text: string): string[] {
  const found: string[] = [];
  for (const secret of [MLLM_KEY, EDITOR_KEY, JUDGE_KEY, PASSWORD]) {
    for (let start = 0; start + 6 <= secret.length; start++) {
      const piece = secret.slice(start, start + 6);
      if (text.includes(piece) || text.includes(encodeURIComponent(piece))) found.push(piece);
    }
  }
  return [...new Set(found)];
}

async function filesUnder(root: string): Promise<string[]> {
  const entries = await readdir(root, { withFileTypes: true, recursive: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => path.join(entry.parentPath, entry.name));
}

async function leaksOnDisk(): Promise<Record<string, string[]>> {
  const leaks: Record<string, string[]> = {};
  for (const file of await filesUnder(dir)) {
    const found = leaksIn((await readFile(file)).toString("latin1"));
    if (found.length > 0) leaks[path.relative(dir, file)] = found;
  }
  return leaks;
}

describe("a provider that echoes the key", () => {
  it("batch: the key is redacted from result lines, stderr, run records and the cache", async () => {
    const rows = await goodRows(dir, 4);
    await writeJsonl(path.join(dir, "manifest.jsonl"), rows);
    fake.fake.fail("chat", fault.text(200, `quota exceeded for key ${MLLM_KEY}`));
    fake.fake.fail("edit", fault.text(200, `quota exceeded for key ${EDITOR_KEY}`), fault.text(429, `slow down, ${EDITOR_KEY}`));
    // A model reply that repeats the key: invalid, re-asked, cached on the way.
    let echoed = 0;
    fake.fake.setChat(() => (echoed++ < 2 ? `I cannot do that with key ${MLLM_KEY} (${JSON.stringify(MLLM_KEY)})` : JSON.stringify({ instruction: "paint it red", changed: false })));

    const result = await runCli(["batch", "manifest.jsonl", "--out-dir", "out", "-j", "1", "-v", ...modelFlags()], { cwd: dir, env: env() });
    const stdout = result.stdout;
    expect(stdout).toMatch(/quota exceeded for key \[redacted\]/); // the echo did reach an item's error
    expect(leaksIn(stdout)).toEqual([]);
    expect(leaksIn(result.stderr)).toEqual([]);
    expect(await leaksOnDisk()).toEqual({});
    const records = await filesUnder(path.join(dir, "out", "runs"));
    expect(records.some((file) => file.endsWith("run.json"))).toBe(true);
  });

  it("edit --json: the key is redacted from stdout, stderr and the run record", async () => {
    const image = await writeImage(path.join(dir, "in.png"), 3);
    fake.fake.fail("edit", fault.text(402, `payment required: key ${EDITOR_KEY} is out of credit`));
    const result = await runCli(["edit", image, "paint ⟪x⟫ red", "--json", "-v", ...modelFlags()], { cwd: dir, env: env() });
    expectExit(result, 4);
    const stdout = result.stdout;
    expect(stdout).toMatch(/\[redacted\]/);
    expect(leaksIn(stdout)).toEqual([]);
    expect(leaksIn(result.stderr)).toEqual([]);
    expect(await leaksOnDisk()).toEqual({});
  });
});

describe("a password in a URL", () => {
  it("is refused with exit 2 for --mllm-url, --editor-url (flag, environment or config file) and --judge-url, and shown nowhere", async () => {
    const withPassword = (url: string) => url.replace("http://", `http://reasonedit:${PASSWORD}@`);
    await writeFile(path.join(dir, "reasonedit.config.json"), JSON.stringify({ editorUrl: withPassword(fake.editorUrl) }));
    const image = await writeImage(path.join(dir, "in.png"), 4);
    const runs = [
      await runCli(["edit", image, "x", "--mllm-url", withPassword(fake.mllmUrl), "--editor-url", fake.editorUrl], { cwd: dir, env: env() }),
      await runCli(["edit", image, "x", "--mllm-url", fake.mllmUrl], { cwd: dir, env: env() }),
      await runCli(["edit", image, "x", "--editor-url", fake.editorUrl], { cwd: dir, env: { ...env(), REASONEDIT_MLLM_URL: withPassword(fake.mllmUrl) } }),
      await runCli(["eval", "bench.jsonl", "--judge-url", withPassword(fake.mllmUrl), "--mllm-url", fake.mllmUrl, "--editor-url", fake.editorUrl], { cwd: dir, env: env() }),
    ];
    expect(runs.map((run) => run.code)).toEqual([2, 2, 2, 2]);
    expect(runs[0]!.stderr).toMatch(/--mllm-url.*user name or password.*REASONEDIT_MLLM_API_KEY/);
    expect(runs[1]!.stderr).toMatch(/--editor-url.*reasonedit\.config\.json.*REASONEDIT_EDITOR_API_KEY/);
    expect(runs[3]!.stderr).toMatch(/--judge-url.*REASONEDIT_JUDGE_API_KEY/);
    for (const run of runs) expect(leaksIn(run.stderr + run.stdout)).toEqual([]);
    expect(fake.fake.requests).toHaveLength(0);
    expect(Object.keys(await leaksOnDisk())).toEqual(["reasonedit.config.json"]); // the user's own file, untouched
  });

  it("is refused for an image URL, before any request, and shown nowhere", async () => {
    const url = `${fake.fake.url.replace("http://", `http://me:${PASSWORD}@`)}/media/photo.png`;
    const result = await runCli(["edit", url, "x", ...modelFlags()], { cwd: dir, env: env() });
    expectExit(result, 2);
    expect(result.stderr).toMatch(/carries a user name or password/);
    expect(leaksIn(result.stderr)).toEqual([]);
    expect(fake.fake.requests).toHaveLength(0);
    expect(await leaksOnDisk()).toEqual({});
  });
});
