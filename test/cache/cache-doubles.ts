// Port doubles and temp folders shared by the cache tests.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach } from "vitest";
import type { ChatModel, ChatRequest, ChatResponse } from "../../src/providers/chat-model.js";
import type { EditOutcome, EditRequest, Editor, Picture } from "../../src/loop/types.js";

type ChatReply = (request: ChatRequest, call: number, signal?: AbortSignal) => Promise<ChatResponse> | ChatResponse;
type EditReply = (request: EditRequest, call: number, signal?: AbortSignal) => Promise<EditOutcome> | EditOutcome;

/** A ChatModel that records every request and answers with `reply` (by default: "answer #n"). */
export class RecordingChatModel implements ChatModel {
  readonly calls: ChatRequest[] = [];
  constructor(
    readonly id = "Qwen/Qwen3-VL-235B-A22B-Instruct@novita",
    private readonly reply: ChatReply = (_request, call) => ({ text: `answer #${call}`, usage: { prompt: 10, completion: call, total: 10 + call } }),
  ) {}

  async complete(request: ChatRequest, signal?: AbortSignal): Promise<ChatResponse> {
    this.calls.push(request);
    return this.reply(request, this.calls.length, signal);
  }
}

/** An Editor that records every request and answers with `reply` (by default: the input bytes reversed). */
export class RecordingEditor implements Editor {
  readonly calls: EditRequest[] = [];
  constructor(private readonly reply: EditReply = (request) => ({ image: { ...request.image, bytes: request.image.bytes.slice().reverse() }, ms: 1234 })) {}

  async edit(request: EditRequest, signal?: AbortSignal): Promise<EditOutcome> {
    this.calls.push(request);
    return this.reply(request, this.calls.length, signal);
  }
}

export function picture(bytes: Uint8Array, overrides: Partial<Picture> = {}): Picture {
  return { bytes, mimeType: "image/png", width: 64, height: 48, ...overrides };
}

export function dataUrl(bytes: Uint8Array, mimeType = "image/jpeg"): string {
  return `data:${mimeType};base64,${Buffer.from(bytes).toString("base64")}`;
}

export function askAbout(text: string, image: Uint8Array = new Uint8Array([1, 2, 3]), extra: Partial<ChatRequest> = {}): ChatRequest {
  return {
    messages: [
      { role: "system", content: "Answer in JSON." },
      { role: "user", content: [{ type: "text", text }, { type: "image_url", image_url: { url: dataUrl(image) } }] },
    ],
    jsonSchema: { name: "describe", schema: { type: "object", properties: { target_description: { type: "string" } } } },
    maxTokens: 512,
    temperature: 0,
    seed: 7,
    ...extra,
  };
}

/** A fresh temp folder per test, removed after it. */
export function useTempDirs(): () => Promise<string> {
  const made: string[] = [];
  afterEach(async () => {
    await Promise.all(made.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
  });
  return async () => {
    const dir = await mkdtemp(join(tmpdir(), "reasonedit-cache-test-"));
    made.push(dir);
    return dir;
  };
}
