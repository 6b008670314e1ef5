// Where results land and what records cost on disk: URL/stdin output formats, show by id and as a JPEG sheet,
// runs list/prune, --keep-images on a 40-item batch, and cache prune keeping the cache consistent.
import { createServer, type Server } from "node:http";
import { existsSync, readdirSync, statSync, utimesSync } from "node:fs";
import type { AddressInfo } from "node:net";
import path from "node:path";
import sharp from "sharp";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { folderBytes } from "../../src/runs/run-index.js";
import { startFakeProviders, type FakeProviders } from "../fakes/fake-providers.mjs";
import { reasoningResponder } from "../fakes/reasoning-responder.mjs";
import { instructionFor, removeDir, spawnBatch, startBatchFake, tempDir, writeJsonl, type BatchFake } from "../batch/batch-harness.js";
import { cleanEnv, runCli } from "../support/run-cli.js";
import { expectExit } from "../support/assertions.js";

const CHELSEA = path.resolve("fixtures/chelsea.png");

let dir: string;
beforeEach(async () => {
  dir = await tempDir("reasonedit-records-");
});
afterEach(async () => {
  await removeDir(dir);
});

/** A photo-like thumbnail: the cat, tinted per `seed`, as a JPEG. */
async function thumbnail(file: string, seed: number, size = { width: 160, height: 120 }): Promise<Buffer> {
  const bytes = await sharp(CHELSEA)
    .resize(size.width, size.height, { fit: "fill" })
    .modulate({ hue: (seed * 37) % 360 })
    .jpeg({ quality: 85 })
    .toBuffer();
  await sharp(bytes).toFile(file);
  return bytes;
}

describe("single edits: outputs, show and runs", () => {
  let fake: FakeProviders;
  let server: Server | undefined;
  beforeEach(async () => {
    fake = await startFakeProviders({ chat: reasoningResponder() });
  });
  afterEach(async () => {
    await fake.close();
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    server = undefined;
  });
  const urls = () => ["--mllm-url", `${fake.url}/v1`, "--editor-url", fake.url, "--seed", "7"];
  const edit = (args: string[], stdin?: Buffer) => runCli(["edit", ...args, ...urls()], { cwd: dir, env: cleanEnv(dir), ...(stdin ? { stdin } : {}) });
  const cli = (args: string[]) => runCli(args, { cwd: dir, env: cleanEnv(dir) });

  it("a JPEG from a URL or stdin, without -o, gives a JPEG beside the working directory", async () => {
    const jpeg = await thumbnail(path.join(dir, "local.jpg"), 1);
    server = createServer((_request, response) => response.writeHead(200, { "content-type": "image/jpeg" }).end(jpeg));
    await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/photos/cat.jpg`;
    const fromUrl = await edit([url, "make it snow"]);
    expectExit(fromUrl, 0);
    expect((await sharp(path.join(dir, "cat.edited.jpg")).metadata()).format).toBe("jpeg");
    const fromStdin = await edit(["-", "make it snow"], jpeg);
    expectExit(fromStdin, 0);
    expect((await sharp(path.join(dir, "stdin.edited.jpg")).metadata()).format).toBe("jpeg");
  });

  it("show finds a run by id under --run-dir and writes a JPEG sheet; runs list is newest first; runs prune frees old runs", async () => {
    await thumbnail(path.join(dir, "first.jpg"), 1);
    await thumbnail(path.join(dir, "second.jpg"), 2);
    const runDir = path.join(dir, "records");
    expect((await edit(["first.jpg", "make it snow", "--run-dir", runDir])).code).toBe(0);
    expect((await edit(["second.jpg", "make it rain", "--run-dir", runDir])).code).toBe(0);

    const list = await cli(["runs", "list", "--run-dir", runDir]);
    expectExit(list, 0);
    const rows = list.stdout.trim().split("\n");
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatch(/accepted\s+second\.jpg\s+"make it rain"/);
    expect(rows[1]).toMatch(/first\.jpg\s+"make it snow"/);
    const json = (await cli(["runs", "list", "--run-dir", runDir, "--json"])).stdout.trim().split("\n").map((line) => JSON.parse(line));
    expect(json.map((run) => run.input)).toEqual(["second.jpg", "first.jpg"]);
    expect(json[0]).toMatchObject({ status: "accepted", instruction: "make it rain" });

    const id = json[1].id as string;
    const shown = await cli(["show", id.slice(-6), "--run-dir", runDir, "--sheet", "sheet.jpg"]);
    expectExit(shown, 0);
    expect(shown.stdout).toContain(`run ${id}: accepted`);
    expect((await sharp(path.join(dir, "sheet.jpg")).metadata()).format).toBe("jpeg");
    expect((await cli(["show", "no-such-run", "--run-dir", runDir])).code).toBe(2);

    const old = new Date(Date.now() - 40 * 86_400_000);
    utimesSync(path.join(runDir, id, "run.json"), old, old);
    const pruned = await cli(["runs", "prune", "--older-than", "30d", "--run-dir", runDir]);
    expectExit(pruned, 0);
    expect(pruned.stdout).toMatch(/^removed 1 run \(\d+(\.\d)? KiB freed\)/);
    expect(readdirSync(runDir)).toEqual([json[0].id]);
  });

  it("says \"done, not judged\" for a single pass, in singular where one is meant", async () => {
    await thumbnail(path.join(dir, "a.jpg"), 4);
    const result = await edit(["a.jpg", "make it snow", "--no-reflect", "--no-think"]);
    expectExit(result, 0);
    expect(result.stderr).toMatch(/^done, not judged \(--no-reflect\): kept round 1 of 1/m);
    expect(result.stderr).not.toMatch(/^accepted/m);
    expect(result.stderr).toMatch(/ 1 edit, /);
  });

  it("keeps a record of --keep-images none that show still reads", async () => {
    await thumbnail(path.join(dir, "a.jpg"), 3);
    const result = await edit(["a.jpg", "make it snow", "--keep-images", "none", "--run-dir", "records"]);
    expectExit(result, 0);
    expect(result.stderr).toMatch(/run record: .*run\.json \(\d+(\.\d)? KiB on disk\)/);
    const [id] = readdirSync(path.join(dir, "records"));
    expect(readdirSync(path.join(dir, "records", id!))).toEqual(["run.json"]);
    const shown = await cli(["show", id!, "--run-dir", "records", "--json"]);
    expectExit(shown, 0);
    expect(JSON.parse(shown.stdout)).toMatchObject({ source_image: null, rounds: [{ image: null }] });
    const sheet = await cli(["show", id!, "--run-dir", "records", "--sheet", "s.png"]);
    expectExit(sheet, 2);
    expect(sheet.stderr).toContain("--keep-images");
  });
});

describe("disk use of a 40-item batch of thumbnails", () => {
  let fake: BatchFake;
  beforeEach(async () => {
    // The editor answers with its input (a photo-like 1 MP JPEG): sizes as real, without the fake's pixel work.
    fake = await startBatchFake({ share: 0, passThrough: true });
  });
  afterEach(async () => {
    await fake.close();
  });

  it("stays under 12 MB by default and 3 MB with --keep-images none, and says what it wrote", async () => {
    const rows = [];
    let inputBytes = 0;
    for (let k = 0; k < 40; k++) {
      const id = `thumb-${String(k).padStart(2, "0")}`;
      inputBytes += (await thumbnail(path.join(dir, `${id}.jpg`), k)).length;
      rows.push({ id, image: `${id}.jpg`, instruction: instructionFor(id) });
    }
    await writeJsonl(path.join(dir, "manifest.jsonl"), rows);
    const flags = ["--mllm-url", fake.mllmUrl, "--editor-url", fake.editorUrl, "--no-cache", "--seed", "1", "-j", "4"];
    const sizes: Record<string, number> = {};
    for (const keep of ["all", "final", "none"]) {
      const run = spawnBatch(["manifest.jsonl", "--out-dir", keep, ...(keep === "all" ? [] : ["--keep-images", keep]), ...flags], { cwd: dir });
      expectExit(await run.exited, 0);
      sizes[keep] = await folderBytes(path.join(dir, keep));
      expect(run.stderr()).toMatch(/\((\d+(\.\d)? (KiB|MiB)) written\)/);
      const written = run.lines.reduce((sum, line) => sum + line.bytes_written, 0);
      expect(written).toBe(sizes[keep]);
    }
    console.log(`40 thumbnails (${(inputBytes / 1e6).toFixed(2)} MB in): ${Object.entries(sizes).map(([keep, bytes]) => `${keep} ${(bytes / 1e6).toFixed(2)} MB`).join(", ")}`);
    expect(sizes.all).toBeLessThanOrEqual(12e6);
    expect(sizes.none).toBeLessThanOrEqual(3e6);
    expect(sizes.none!).toBeLessThan(sizes.final!);
    expect(sizes.final!).toBeLessThan(sizes.all!);
    const record = path.join(dir, "all", "runs", "thumb-00");
    expect(readdirSync(record).sort()).toEqual(["round-1-changes.jpg", "round-1.jpg", "run.json", "source.jpg"]);
    const { width, height } = await sharp(path.join(record, "round-1.jpg")).metadata();
    expect([width, height]).toEqual([160, 119]);
    expect(readdirSync(path.join(dir, "final", "runs", "thumb-00")).sort()).toEqual(["round-1.jpg", "run.json"]);
  }, 240_000);
});

describe("cache prune", () => {
  let fake: FakeProviders;
  beforeEach(async () => {
    fake = await startFakeProviders({ chat: reasoningResponder() });
  });
  afterEach(async () => {
    await fake.close();
  });

  it("evicts the least recently used entries, never leaves half an entry, and what it kept still replays --offline", async () => {
    await thumbnail(path.join(dir, "old.jpg"), 1);
    await thumbnail(path.join(dir, "new.jpg"), 2);
    const cacheDir = path.join(dir, "cache");
    const urls = ["--mllm-url", `${fake.url}/v1`, "--editor-url", fake.url, "--seed", "7", "--cache-dir", cacheDir];
    const edit = (image: string, extra: string[] = []) => runCli(["edit", image, "make it snow", "-o", `${image}.out.png`, ...urls, ...extra], { cwd: dir, env: cleanEnv(dir) });
    expect((await edit("old.jpg")).code).toBe(0);
    const oldEntries = entryFiles(cacheDir);
    const past = new Date(Date.now() - 3 * 86_400_000);
    for (const file of oldEntries) utimesSync(file, past, past);
    expect((await edit("new.jpg")).code).toBe(0);
    const newBytes = entryFiles(cacheDir).filter((file) => !oldEntries.includes(file)).reduce((sum, file) => sum + statSync(file).size, 0);

    const pruned = await runCli(["cache", "prune", "--max-size", String(newBytes + 1000), "--cache-dir", cacheDir, "--json"], { cwd: dir, env: cleanEnv(dir) });
    expectExit(pruned, 0);
    const report = JSON.parse(pruned.stdout);
    expect(report.removed.entries).toBe(oldEntries.filter((file) => file.endsWith(".json")).length);
    expect(report.kept.bytes).toBeLessThanOrEqual(newBytes + 1000);
    for (const file of entryFiles(cacheDir)) if (file.endsWith(".bin")) expect(existsSync(file.replace(/\.bin$/, ".json"))).toBe(true);

    fake.requests.length = 0;
    const replay = await edit("new.jpg", ["--offline"]);
    expectExit(replay, 0);
    expect(fake.requests).toHaveLength(0);
    const evicted = await edit("old.jpg", ["--offline"]);
    expectExit(evicted, 2);
    expect(evicted.stderr).toContain("offline");

    const byAge = await runCli(["cache", "prune", "--older-than", "1d", "--cache-dir", cacheDir], { cwd: dir, env: cleanEnv(dir) });
    expect(byAge.stdout).toMatch(/^removed 0 entries \(0 B freed\)/);
  });
});

function entryFiles(cacheDir: string): string[] {
  return readdirSync(cacheDir, { recursive: true, encoding: "utf8" })
    .map((name) => path.join(cacheDir, name))
    .filter((file) => /[0-9a-f]{64}\.(json|bin)$/.test(file));
}

