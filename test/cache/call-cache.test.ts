import { mkdir, readFile, readdir, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CallCache, defaultCacheDir } from "../../src/cache/call-cache.js";
import { cachingChatModel } from "../../src/cache/caching-chat-model.js";
import { cachingEditor } from "../../src/cache/caching-editor.js";
import { ReasonEditError } from "../../src/errors.js";
import { RecordingChatModel, RecordingEditor, askAbout, picture, useTempDirs } from "./cache-doubles.js";

const makeDir = useTempDirs();

async function filledCache(dir: string) {
  const cache = new CallCache({ dir, mode: "read-write" });
  const model = cachingChatModel(new RecordingChatModel(), cache);
  const editor = cachingEditor(new RecordingEditor(), "Qwen/Qwen-Image-Edit@fal-ai", cache);
  await model.complete(askAbout("think"));
  await model.complete(askAbout("describe"));
  await model.complete(askAbout("describe")); // a hit
  await editor.edit({ image: picture(new Uint8Array(5000).fill(7)), instruction: "add a hat", seed: 1 });
  return { cache, model, editor };
}

async function sizesOnDisk(dir: string): Promise<number> {
  let total = 0;
  for (const shard of (await readdir(dir)).filter((name) => /^[0-9a-f]{2}$/.test(name))) {
    for (const file of await readdir(join(dir, shard))) total += (await stat(join(dir, shard, file))).size;
  }
  return total;
}

describe("CallCache stats", () => {
  it("counts entries by kind, their bytes on disk and this session's hits, misses and writes", async () => {
    const dir = await makeDir();
    const before = Date.now();
    const { cache } = await filledCache(dir);
    const stats = await cache.stats();

    expect(stats).toMatchObject({ dir, mode: "read-write", entries: 3, chat: 2, edit: 1 });
    expect(stats.bytes).toBe(await sizesOnDisk(dir));
    expect(stats.bytes).toBeGreaterThan(5000);
    expect(stats.oldest!.getTime()).toBeGreaterThanOrEqual(before - 1000);
    expect(stats.newest!.getTime()).toBeGreaterThanOrEqual(stats.oldest!.getTime());
    expect(stats.session).toEqual({ hits: 1, misses: 3, writes: 3 });
  });

  it("reports an empty cache for a folder that does not exist yet", async () => {
    const cache = new CallCache({ dir: join(await makeDir(), "never-written"), mode: "offline" });
    expect(await cache.stats()).toMatchObject({ entries: 0, bytes: 0, chat: 0, edit: 0, oldest: null, newest: null });
  });
});

describe("CallCache clear", () => {
  it("removes every entry, keeps the marker, and later calls miss", async () => {
    const dir = await makeDir();
    const { cache } = await filledCache(dir);
    const sizeBefore = (await cache.stats()).bytes;

    expect(await cache.clear()).toEqual({ entries: 3, bytes: sizeBefore });
    expect(await cache.stats()).toMatchObject({ entries: 0, bytes: 0 });
    expect(await readdir(dir)).toEqual(["CACHEDIR.TAG"]);

    const inner = new RecordingChatModel();
    await cachingChatModel(inner, cache).complete(askAbout("think"));
    expect(inner.calls).toHaveLength(1);
  });

  it("refuses a folder without reasonedit's marker and deletes nothing there", async () => {
    const home = await makeDir();
    const shard = join(home, "ab");
    const lookalike = join(shard, `${"ab".padEnd(64, "0")}.json`);
    await mkdir(shard);
    await writeFile(lookalike, "{}");
    await writeFile(join(home, ".bashrc"), "export PATH");

    const error = await new CallCache({ dir: home, mode: "read-write" }).clear().catch((caught: unknown) => caught);

    expect(ReasonEditError.is(error) && error.code).toBe("usage");
    expect((error as Error).message).toContain("refusing to clear");
    expect(await readFile(lookalike, "utf8")).toBe("{}");
    expect(await readFile(join(home, ".bashrc"), "utf8")).toBe("export PATH");
  });

  it("refuses a folder whose CACHEDIR.TAG another tool wrote", async () => {
    const dir = await makeDir();
    await writeFile(join(dir, "CACHEDIR.TAG"), "Signature: 8a477f597d28d172789f06886806bc55\n# created by cargo\n");
    await expect(new CallCache({ dir, mode: "read-write" }).clear()).rejects.toMatchObject({ code: "usage" });
  });

  it("leaves files it did not write, even inside a marked cache", async () => {
    const dir = await makeDir();
    const { cache } = await filledCache(dir);
    const [shard] = (await readdir(dir)).filter((name) => name.length === 2);
    await writeFile(join(dir, shard!, "notes.txt"), "mine");
    await writeFile(join(dir, "README"), "mine too");

    await cache.clear();

    expect(await readFile(join(dir, shard!, "notes.txt"), "utf8")).toBe("mine");
    expect(await readFile(join(dir, "README"), "utf8")).toBe("mine too");
  });

  it("has nothing to clear in a folder that does not exist", async () => {
    const cache = new CallCache({ dir: join(await makeDir(), "missing"), mode: "read-write" });
    expect(await cache.clear()).toEqual({ entries: 0, bytes: 0 });
  });
});

describe("CallCache folder", () => {
  it("marks a new folder with a CACHEDIR.TAG when it first writes", async () => {
    const dir = join(await makeDir(), "nested", "reasonedit");
    await filledCache(dir);
    expect(await readFile(join(dir, "CACHEDIR.TAG"), "utf8")).toMatch(/^Signature: 8a477f597d28d172789f06886806bc55\n/);
  });

  it("never writes into a non-empty folder that is not already a cache (a mistyped --cache-dir ~)", async () => {
    const home = await makeDir();
    await writeFile(join(home, ".profile"), "umask 022");
    const cache = new CallCache({ dir: home, mode: "read-write" });
    const inner = new RecordingChatModel();

    const answer = await cachingChatModel(inner, cache).complete(askAbout("think"));

    expect(answer.text).toBe("answer #1");
    expect(await readdir(home)).toEqual([".profile"]);
    expect(cache.session.writes).toBe(0);
  });

  it("offline mode never writes", async () => {
    const dir = join(await makeDir(), "cache");
    const cache = new CallCache({ dir, mode: "offline" });
    await cachingChatModel(new RecordingChatModel(), cache).complete(askAbout("think")).catch(() => undefined);
    await expect(readdir(dir)).rejects.toMatchObject({ code: "ENOENT" });
  });
});

describe("defaultCacheDir", () => {
  it("uses $XDG_CACHE_HOME/reasonedit when it is set", () => {
    expect(defaultCacheDir({ XDG_CACHE_HOME: "/var/cache/ci" }, "/home/ada")).toBe("/var/cache/ci/reasonedit");
  });

  it("falls back to ~/.cache/reasonedit when it is unset, empty or relative", () => {
    expect(defaultCacheDir({}, "/home/ada")).toBe("/home/ada/.cache/reasonedit");
    expect(defaultCacheDir({ XDG_CACHE_HOME: "" }, "/home/ada")).toBe("/home/ada/.cache/reasonedit");
    expect(defaultCacheDir({ XDG_CACHE_HOME: "cache" }, "/home/ada")).toBe("/home/ada/.cache/reasonedit");
  });
});
