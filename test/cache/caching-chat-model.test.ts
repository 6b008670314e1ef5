import { readdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { CallCache, type CacheMode } from "../../src/cache/call-cache.js";
import { cachingChatModel } from "../../src/cache/caching-chat-model.js";
import { chatCallKey, hashCallKey } from "../../src/cache/cache-key.js";
import { ReasonEditError } from "../../src/errors.js";
import type { ChatRequest, ChatResponse } from "../../src/providers/chat-model.js";
import { RecordingChatModel, askAbout, dataUrl, useTempDirs } from "./cache-doubles.js";
import { deferred } from "../support/gate.js";

const makeDir = useTempDirs();

async function setup(mode: CacheMode = "read-write", inner = new RecordingChatModel()) {
  const dir = await makeDir();
  const cache = new CallCache({ dir, mode });
  return { dir, cache, inner, model: cachingChatModel(inner, cache) };
}

describe("cachingChatModel", () => {
  it("answers a repeated call from the cache without calling the model again", async () => {
    const { inner, model, cache } = await setup();
    const first = await model.complete(askAbout("describe the target"));
    const second = await model.complete(askAbout("describe the target"));

    expect(inner.calls).toHaveLength(1);
    expect(first.cached).toBeUndefined();
    expect(second).toEqual({ text: first.text, usage: first.usage, cached: true });
    expect(cache.session).toEqual({ hits: 1, misses: 1, writes: 1 });
  });

  it("keeps the model's id so logs and run records still name it", async () => {
    const { model, inner } = await setup();
    expect(model.id).toBe(inner.id);
  });

  const variants: Array<[string, ChatRequest]> = [
    ["a different seed", askAbout("describe the target", undefined, { seed: 8 })],
    ["different prompt text", askAbout("describe the target!")],
    ["one different image byte", askAbout("describe the target", new Uint8Array([1, 2, 4]))],
    ["a different temperature", askAbout("describe the target", undefined, { temperature: 0.2 })],
    ["a different max token budget", askAbout("describe the target", undefined, { maxTokens: 513 })],
    ["no json schema", askAbout("describe the target", undefined, { jsonSchema: undefined })],
  ];
  it.each(variants)("calls the model again for %s", async (_name, changed) => {
    const { inner, model } = await setup();
    await model.complete(askAbout("describe the target"));
    const answer = await model.complete(changed);

    expect(inner.calls).toHaveLength(2);
    expect(answer.cached).toBeUndefined();
  });

  it("calls the model again when the same request goes to a different model id", async () => {
    const dir = await makeDir();
    const cache = new CallCache({ dir, mode: "read-write" });
    const qwen = new RecordingChatModel("Qwen/Qwen3-VL-235B-A22B-Instruct@novita");
    const other = new RecordingChatModel("Qwen/Qwen3-VL-235B-A22B-Instruct@http://127.0.0.1:8000/v1");
    await cachingChatModel(qwen, cache).complete(askAbout("describe the target"));
    await cachingChatModel(other, cache).complete(askAbout("describe the target"));

    expect(qwen.calls).toHaveLength(1);
    expect(other.calls).toHaveLength(1);
  });

  it("hits when only the key order of the json schema differs", async () => {
    const { inner, model } = await setup();
    const schema = { type: "object", required: ["a"], properties: { a: { type: "string" } } };
    const reordered = { properties: { a: { type: "string" } }, required: ["a"], type: "object" };
    await model.complete(askAbout("x", undefined, { jsonSchema: { name: "s", schema } }));
    const again = await model.complete(askAbout("x", undefined, { jsonSchema: { schema: reordered, name: "s" } }));

    expect(inner.calls).toHaveLength(1);
    expect(again.cached).toBe(true);
  });

  it("stores image hashes, not image bytes, in the entry", async () => {
    const { dir, model } = await setup();
    const image = new Uint8Array(4096).fill(200);
    await model.complete(askAbout("describe", image));

    const [shard] = (await readdir(dir)).filter((name) => name.length === 2);
    const [file] = await readdir(join(dir, shard!));
    const entry = await readFile(join(dir, shard!, file!), "utf8");
    expect(entry).not.toContain(dataUrl(image).slice(30, 60));
    expect(entry).toMatch(/data:image\/jpeg;sha256,[0-9a-f]{64}/);
  });

  it("does not cache a failed call: the next identical call asks the model again", async () => {
    let failNext = true;
    const inner = new RecordingChatModel(undefined, (_request, call) => {
      if (failNext) {
        failNext = false;
        throw new ReasonEditError("provider_unavailable", "503 from the provider");
      }
      return { text: `answer #${call}`, usage: { prompt: 1, completion: 1, total: 2 } };
    });
    const { model, cache } = await setup("read-write", inner);

    await expect(model.complete(askAbout("think"))).rejects.toMatchObject({ code: "provider_unavailable" });
    const answer = await model.complete(askAbout("think"));

    expect(inner.calls).toHaveLength(2);
    expect(answer.text).toBe("answer #2");
    expect(cache.session.writes).toBe(1);
  });

  it("offline: a miss fails with cache_miss (exit code 2) and a hint, without calling the model", async () => {
    const { inner, model } = await setup("offline");
    const error = await model.complete(askAbout("think")).catch((caught: unknown) => caught);

    expect(ReasonEditError.is(error)).toBe(true);
    const missed = error as ReasonEditError;
    expect(missed.code).toBe("cache_miss");
    expect(missed.exitCode).toBe(2);
    expect(missed.message).toBe(`offline: no cached answer for this chat call to ${inner.id}`);
    expect(missed.hint).toContain("--offline");
    expect(inner.calls).toHaveLength(0);
  });

  it("offline: answers from a cache filled by an earlier online run", async () => {
    const dir = await makeDir();
    const online = new RecordingChatModel();
    const filled = await cachingChatModel(online, new CallCache({ dir, mode: "read-write" })).complete(askAbout("think"));

    const offline = new RecordingChatModel();
    const replayed = await cachingChatModel(offline, new CallCache({ dir, mode: "offline" })).complete(askAbout("think"));

    expect(offline.calls).toHaveLength(0);
    expect(replayed).toEqual({ ...filled, cached: true });
  });

  it("treats a truncated entry as a miss, deletes it and refills it", async () => {
    const { dir, inner, model } = await setup();
    const request = askAbout("describe");
    await model.complete(request);
    const hash = hashCallKey(chatCallKey(inner.id, request));
    const entryPath = join(dir, hash.slice(0, 2), `${hash}.json`);
    const whole = await readFile(entryPath, "utf8");
    await writeFile(entryPath, whole.slice(0, whole.length / 2));

    const answer = await model.complete(request);

    expect(inner.calls).toHaveLength(2);
    expect(answer.cached).toBeUndefined();
    expect(await readFile(entryPath, "utf8")).not.toBe(whole.slice(0, whole.length / 2));
    expect((await model.complete(request)).cached).toBe(true);
  });

  it("treats an entry with the wrong shape as a miss", async () => {
    const { dir, inner, model } = await setup();
    const request = askAbout("describe");
    await model.complete(request);
    const hash = hashCallKey(chatCallKey(inner.id, request));
    await writeFile(join(dir, hash.slice(0, 2), `${hash}.json`), JSON.stringify({ format: 1, kind: "chat", value: { text: 3 } }));

    await model.complete(request);
    expect(inner.calls).toHaveLength(2);
  });

  it("makes one model call for identical concurrent requests", async () => {
    const gate = deferred<ChatResponse>();
    const inner = new RecordingChatModel(undefined, () => gate.promise);
    const { model } = await setup("read-write", inner);

    const answers = Promise.all([1, 2, 3].map(() => model.complete(askAbout("describe"))));
    // The three callers join the flight synchronously, inside complete(); the gate holds the one call open meanwhile.
    await vi.waitFor(() => expect(inner.calls).toHaveLength(1));
    gate.resolve({ text: "shared", usage: { prompt: 1, completion: 1, total: 2 } });
    const [first, second, third] = await answers;

    expect(inner.calls).toHaveLength(1);
    expect([first!.text, second!.text, third!.text]).toEqual(["shared", "shared", "shared"]);
    expect([first!.cached, second!.cached, third!.cached]).toEqual([undefined, true, true]);
  });

  it("shares one failure among concurrent callers, then lets the next call retry", async () => {
    const gate = deferred<ChatResponse>();
    const inner = new RecordingChatModel(undefined, (_request, call) => (call === 1 ? gate.promise : { text: "ok", usage: { prompt: 1, completion: 1, total: 2 } }));
    const { model } = await setup("read-write", inner);

    const both = Promise.allSettled([model.complete(askAbout("d")), model.complete(askAbout("d"))]);
    await vi.waitFor(() => expect(inner.calls).toHaveLength(1));
    gate.reject(new ReasonEditError("provider_timeout", "timed out"));
    expect((await both).map((result) => result.status)).toEqual(["rejected", "rejected"]);

    expect((await model.complete(askAbout("d"))).text).toBe("ok");
    expect(inner.calls).toHaveLength(2);
  });

  it("mode off passes every call through and writes nothing", async () => {
    const { dir, inner, model, cache } = await setup("off");
    await model.complete(askAbout("describe"));
    await model.complete(askAbout("describe"));

    expect(model).toBe(inner);
    expect(inner.calls).toHaveLength(2);
    expect(await readdir(dir)).toEqual([]);
    expect(cache.session).toEqual({ hits: 0, misses: 0, writes: 0 });
  });
});
