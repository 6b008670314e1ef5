import { randomBytes } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it, vi } from "vitest";
import { editCallKey, hashCallKey } from "../../src/cache/cache-key.js";
import { CallCache, type CacheMode } from "../../src/cache/call-cache.js";
import { cachingEditor } from "../../src/cache/caching-editor.js";
import { ReasonEditError } from "../../src/errors.js";
import type { EditOutcome, EditRequest } from "../../src/loop/types.js";
import { RecordingEditor, picture, useTempDirs } from "./cache-doubles.js";
import { deferred } from "../support/gate.js";

const makeDir = useTempDirs();
const EDITOR_ID = "Qwen/Qwen-Image-Edit@fal-ai";
const source = picture(new Uint8Array([10, 20, 30, 40, 50]));
const request: EditRequest = { image: source, instruction: "make the leaves yellow", seed: 42 };

async function setup(mode: CacheMode = "read-write", inner = new RecordingEditor(), params: Record<string, unknown> = {}) {
  const dir = await makeDir();
  const cache = new CallCache({ dir, mode });
  return { dir, cache, inner, editor: cachingEditor(inner, EDITOR_ID, cache, params) };
}

describe("cachingEditor", () => {
  it("returns the stored image byte for byte on a repeated edit, with ms 0 and without calling the editor", async () => {
    const output = randomBytes(300_000); // every byte value, far past any buffer boundary
    const inner = new RecordingEditor(() => ({ image: { bytes: new Uint8Array(output), mimeType: "image/webp", width: 1024, height: 768 }, ms: 5100 }));
    const { editor } = await setup("read-write", inner);

    const first = await editor.edit(request);
    const second = await editor.edit(request);

    expect(inner.calls).toHaveLength(1);
    expect(first.ms).toBe(5100);
    expect(second.cached).toBe(true);
    expect(second.ms).toBe(0);
    expect(Buffer.from(second.image.bytes).equals(output)).toBe(true);
    expect(second.image).toMatchObject({ mimeType: "image/webp", width: 1024, height: 768 });
  });

  const variants: Array<[string, EditRequest, Record<string, unknown>?]> = [
    ["a different seed", { ...request, seed: 43 }],
    ["a different instruction", { ...request, instruction: "make the leaves red" }],
    ["one different input byte", { ...request, image: picture(new Uint8Array([10, 20, 30, 40, 51])) }],
    ["a different input size", { ...request, image: picture(source.bytes, { width: 65 }) }],
    ["a different input mime type", { ...request, image: picture(source.bytes, { mimeType: "image/jpeg" }) }],
  ];
  it.each(variants)("calls the editor again for %s", async (_name, changed) => {
    const { inner, editor } = await setup();
    await editor.edit(request);
    const outcome = await editor.edit(changed);

    expect(inner.calls).toHaveLength(2);
    expect(outcome.cached).toBeUndefined();
  });

  it("calls the editor again when its parameters or id differ", async () => {
    const dir = await makeDir();
    const cache = new CallCache({ dir, mode: "read-write" });
    const inner = new RecordingEditor();
    await cachingEditor(inner, EDITOR_ID, cache, { num_inference_steps: 28 }).edit(request);
    await cachingEditor(inner, EDITOR_ID, cache, { num_inference_steps: 50 }).edit(request);
    await cachingEditor(inner, "Qwen/Qwen-Image-Edit@replicate", cache, { num_inference_steps: 28 }).edit(request);
    await cachingEditor(inner, EDITOR_ID, cache, { num_inference_steps: 28 }).edit(request);

    expect(inner.calls).toHaveLength(3);
  });

  it("treats damaged image bytes as a miss and refills the entry", async () => {
    const { dir, inner, editor } = await setup();
    await editor.edit(request);
    const hash = hashCallKey(editCallKey(EDITOR_ID, request));
    const binPath = join(dir, hash.slice(0, 2), `${hash}.bin`);
    const bytes = await readFile(binPath);
    bytes[0] = bytes[0]! ^ 0xff;
    await writeFile(binPath, bytes);

    const outcome = await editor.edit(request);

    expect(inner.calls).toHaveLength(2);
    expect(outcome.cached).toBeUndefined();
    expect((await editor.edit(request)).cached).toBe(true);
  });

  it("does not cache a failed edit", async () => {
    const inner = new RecordingEditor((edit, call) => {
      if (call === 1) throw new ReasonEditError("provider_output", "the editor returned no image");
      return { image: edit.image, ms: 10 };
    });
    const { editor } = await setup("read-write", inner);

    await expect(editor.edit(request)).rejects.toMatchObject({ code: "provider_output" });
    await expect(editor.edit(request)).resolves.toMatchObject({ ms: 10 });
    expect(inner.calls).toHaveLength(2);
  });

  it("offline: a miss names the edit call and the editor, with exit code 2", async () => {
    const { inner, editor } = await setup("offline");

    await expect(editor.edit(request)).rejects.toMatchObject({
      code: "cache_miss",
      exitCode: 2,
      message: `offline: no cached answer for this edit call to ${EDITOR_ID}`,
    });
    expect(inner.calls).toHaveLength(0);
  });

  it("offline: replays an edit stored by an online run", async () => {
    const dir = await makeDir();
    const online = await cachingEditor(new RecordingEditor(), EDITOR_ID, new CallCache({ dir, mode: "read-write" })).edit(request);
    const offlineInner = new RecordingEditor();
    const replayed = await cachingEditor(offlineInner, EDITOR_ID, new CallCache({ dir, mode: "offline" })).edit(request);

    expect(offlineInner.calls).toHaveLength(0);
    expect(Buffer.from(replayed.image.bytes).equals(Buffer.from(online.image.bytes))).toBe(true);
  });

  it("makes one editor call for identical concurrent edits", async () => {
    const gate = deferred<EditOutcome>();
    const inner = new RecordingEditor(() => gate.promise);
    const { editor } = await setup("read-write", inner);

    const outcomes = Promise.all([editor.edit(request), editor.edit(request)]);
    await vi.waitFor(() => expect(inner.calls).toHaveLength(1));
    gate.resolve({ image: picture(new Uint8Array([9, 9])), ms: 800 });
    const [first, second] = await outcomes;

    expect(inner.calls).toHaveLength(1);
    expect(first).toMatchObject({ ms: 800 });
    expect(second).toMatchObject({ ms: 0, cached: true });
    expect(Array.from(second!.image.bytes)).toEqual([9, 9]);
  });

  it("keeps the shared edit running when one of two waiting callers gives up", async () => {
    const gate = deferred<EditOutcome>();
    let innerSignal: AbortSignal | undefined;
    const inner = new RecordingEditor((_edit, _call, signal) => {
      innerSignal = signal;
      return gate.promise;
    });
    const { editor } = await setup("read-write", inner);
    const impatient = new AbortController();

    const abandoned = editor.edit(request, impatient.signal);
    const patient = editor.edit(request, new AbortController().signal);
    await vi.waitFor(() => expect(inner.calls).toHaveLength(1));
    impatient.abort(new Error("user pressed Ctrl-C"));
    await expect(abandoned).rejects.toThrow("Ctrl-C");
    expect(innerSignal?.aborted).toBe(false);

    gate.resolve({ image: picture(new Uint8Array([1])), ms: 5 });
    await expect(patient).resolves.toMatchObject({ cached: true });
  });

  it("aborts the editor call once every waiting caller has given up", async () => {
    const signals: AbortSignal[] = [];
    const inner = new RecordingEditor((edit, call, signal) => {
      signals.push(signal!);
      if (call > 1) return { image: edit.image, ms: 3 };
      return new Promise((_resolve, reject) => signal?.addEventListener("abort", () => reject(signal.reason)));
    });
    const { editor } = await setup("read-write", inner);
    const controller = new AbortController();

    const pending = editor.edit(request, controller.signal);
    await vi.waitFor(() => expect(inner.calls).toHaveLength(1));
    controller.abort(new Error("interrupted"));

    await expect(pending).rejects.toThrow("interrupted");
    expect(signals[0]?.aborted).toBe(true);
    await expect(editor.edit(request)).resolves.toMatchObject({ ms: 3 }); // a later call starts afresh
  });
});
