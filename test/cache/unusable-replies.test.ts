// A reply the reasoner could not use, even after its re-ask, must not be replayed from the cache on the next run.
import { describe, expect, it } from "vitest";
import { CallCache } from "../../src/cache/call-cache.js";
import { cachingChatModel } from "../../src/cache/caching-chat-model.js";
import { MllmReasoner } from "../../src/reasoning/mllm-reasoner.js";
import { loadPromptSet } from "../../src/reasoning/prompt-templates.js";
import { RecordingChatModel, picture, useTempDirs } from "./cache-doubles.js";

const tempDir = useTempDirs();
const source = picture(new Uint8Array([1, 2, 3]));
const encodeImage = async () => "data:image/jpeg;base64,AQID";

describe("the cache and unusable replies", () => {
  it("forgets replies that stayed invalid, so the next run asks the model again", async () => {
    const dir = await tempDir();
    const prompts = await loadPromptSet();
    const refusing = new RecordingChatModel(undefined, () => ({ text: "I'm sorry, I can't help with that.", usage: { prompt: 1, completion: 1, total: 2 } }));
    const first = new MllmReasoner({ chat: cachingChatModel(refusing, new CallCache({ dir, mode: "read-write" })), prompts, encodeImage, forgetUnusableReplies: true });
    await expect(first.describe({ source, instruction: "make it snow" })).rejects.toMatchObject({ code: "model_reply_invalid" });
    expect(refusing.calls).toHaveLength(2);

    const answering = new RecordingChatModel(undefined, () => ({ text: '{"target_description": "snow everywhere"}', usage: { prompt: 1, completion: 1, total: 2 } }));
    const second = new MllmReasoner({ chat: cachingChatModel(answering, new CallCache({ dir, mode: "read-write" })), prompts, encodeImage });
    const described = await second.describe({ source, instruction: "make it snow" });
    expect(described.reply.target_description).toBe("snow everywhere");
    expect(answering.calls).toHaveLength(1);
  });

  it("keeps even unusable replies where replays must be exact (eval)", async () => {
    const dir = await tempDir();
    const prompts = await loadPromptSet();
    const refusing = new RecordingChatModel(undefined, () => ({ text: "no", usage: { prompt: 1, completion: 1, total: 2 } }));
    const run = () => new MllmReasoner({ chat: cachingChatModel(refusing, new CallCache({ dir, mode: "read-write" })), prompts, encodeImage });
    await expect(run().describe({ source, instruction: "make it snow" })).rejects.toMatchObject({ code: "model_reply_invalid" });
    await expect(run().describe({ source, instruction: "make it snow" })).rejects.toMatchObject({ code: "model_reply_invalid" });
    expect(refusing.calls).toHaveLength(2);
  });

  it("keeps a valid reply so a replay makes no call", async () => {
    const dir = await tempDir();
    const prompts = await loadPromptSet();
    const answering = new RecordingChatModel(undefined, () => ({ text: '{"target_description": "snow"}', usage: { prompt: 1, completion: 1, total: 2 } }));
    const cache = () => cachingChatModel(answering, new CallCache({ dir, mode: "read-write" }));
    await new MllmReasoner({ chat: cache(), prompts, encodeImage }).describe({ source, instruction: "make it snow" });
    await new MllmReasoner({ chat: cache(), prompts, encodeImage }).describe({ source, instruction: "make it snow" });
    expect(answering.calls).toHaveLength(1);
  });
});
