// MllmReasoner with replyFormat "tags": the released reasoner's prompts and formats, no response_format, the same re-ask.
import { beforeAll, describe, expect, it } from "vitest";
import type { ReasonEditError } from "../../src/errors.js";
import { MAX_INSTRUCTION_CHARS } from "../../src/loop/replies.js";
import type { Picture } from "../../src/loop/types.js";
import type { ChatModel, ChatRequest, ChatResponse } from "../../src/providers/chat-model.js";
import { MllmReasoner } from "../../src/reasoning/mllm-reasoner.js";
import { loadPromptSet, parseTemplate, type PromptSet } from "../../src/reasoning/prompt-templates.js";
import { rejection } from "../support/assertions.js";

/** An in-memory chat server: answers from a script and keeps every request it got. */
class ScriptedChat implements ChatModel {
  readonly id = "scripted/reasonedit-reasoner@local";
  readonly requests: ChatRequest[] = [];
  constructor(private readonly script: Array<string | Partial<ChatResponse>>) {}

  async complete(request: ChatRequest): Promise<ChatResponse> {
    this.requests.push(structuredClone(request));
    const next = this.script.shift();
    if (next === undefined) throw new Error("the script ran out of replies");
    return { text: "", usage: { prompt: 100, completion: 20, total: 120 }, finishReason: "stop", ...(typeof next === "string" ? { text: next } : next) };
  }
}

const picture = (label: string): Picture => ({ bytes: new TextEncoder().encode(label), mimeType: "image/png", width: 8, height: 8 });
const source = picture("source");
const edited = picture("edited");
const heatmap = picture("heatmap");
const encodeImage = async (p: Picture) => `data:${p.mimeType};base64,${new TextDecoder().decode(p.bytes)}`;

let prompts: PromptSet;
beforeAll(async () => {
  prompts = await loadPromptSet();
});

function tagsReasoner(script: Array<string | Partial<ChatResponse>>) {
  const chat = new ScriptedChat(script);
  return { chat, reasoner: new MllmReasoner({ chat, prompts, encodeImage, replyFormat: "tags" }) };
}

function parts(request: ChatRequest | undefined) {
  const user = request?.messages.find((message) => message.role === "user");
  if (user === undefined || typeof user.content === "string") throw new Error("expected a user message with parts");
  return user.content;
}

const partKinds = (request: ChatRequest | undefined) => parts(request).map((part) => (part.type === "text" ? "text" : part.image_url.url.split(",")[1]));
const userText = (request: ChatRequest | undefined) => parts(request).flatMap((part) => (part.type === "text" ? [part.text] : [])).join("\n");

describe("think with --reply-format tags", () => {
  it("sends the plain-text rewriter prompt, the image first, no response_format, and reads the text as the instruction", async () => {
    const { chat, reasoner } = tagsReasoner(["<think>\nyellow leaves\n</think>\n\nThe leaves turn yellow and their tips dry out."]);
    const call = await reasoner.think({ source, instruction: "symptoms of potassium deficiency", allowOps: true });
    expect(call.reply).toEqual({ instruction: "The leaves turn yellow and their tips dry out.", changed: true });
    expect(call.promptId).toMatch(/^think-tags@[0-9a-f]{8}$/);
    const request = chat.requests[0]!;
    expect(request.jsonSchema).toBeUndefined();
    expect(partKinds(request)).toEqual(["source", "text"]);
    expect(userText(request)).toContain("The user's request: symptoms of potassium deficiency");
    expect(userText(request)).toContain("Output only the rewritten instruction");
    expect(userText(request)).not.toMatch(/JSON|"ops"/);
  });

  it("marks an unchanged request as unchanged", async () => {
    const { reasoner } = tagsReasoner(["Remove the watermark."]);
    expect((await reasoner.think({ source, instruction: "Remove the watermark.", allowOps: false })).reply.changed).toBe(false);
  });

  it("re-asks once on an empty reply, restating the plain-text format, and then uses the answer", async () => {
    const { chat, reasoner } = tagsReasoner(["", "Turn the sky blue."]);
    const call = await reasoner.think({ source, instruction: "make the sky blue", allowOps: false });
    expect(call.reply.instruction).toBe("Turn the sky blue.");
    expect(call.attempts).toBe(2);
    const reask = chat.requests[1]!;
    expect(reask.jsonSchema).toBeUndefined();
    expect(reask.messages.at(-1)?.content).toContain("the reply was empty");
    expect(reask.messages.at(-1)?.content).toContain("only the rewritten edit instruction, as plain text");
  });

  it("refuses an over-long instruction and a reply in another language as invalid replies", async () => {
    const long = tagsReasoner(["x".repeat(MAX_INSTRUCTION_CHARS + 1), "y".repeat(MAX_INSTRUCTION_CHARS + 1)]);
    const error = await rejection(long.reasoner.think({ source, instruction: "make it snow", allowOps: false }));
    expect(error.code).toBe("model_reply_invalid");
    expect(error.message).toContain("think-tags reply");
    expect(error.hint).toContain("--reply-format");
    const chinese = tagsReasoner(["Replace the text.", "将文本“TOFEL”替换为“IELTS”。"]);
    const call = await chinese.reasoner.think({ source, instruction: "帮我把图片中的TOFEL修改为IELTS", allowOps: false });
    expect(call.reply.instruction).toBe("将文本“TOFEL”替换为“IELTS”。");
    expect(chinese.chat.requests[1]!.messages.at(-1)?.content).toContain("Chinese");
  });
});

describe("conclude with --reply-format tags", () => {
  const input = { source, edited, instruction: "Make the cat's fur white.", assessment: { score: 6.5, reason: "the whiskers are dark" }, evidence: { heatmap, changedShare: 0.2, boxes: [], meanDifference: 0.1 } };

  it("sends the reflection prompt with both images first (no change map), the prior score, and no response_format", async () => {
    const { chat, reasoner } = tagsReasoner(["<#Think> The whiskers are still dark. <#Reflection> Make the whiskers white."]);
    const call = await reasoner.conclude(input);
    expect(call.reply).toEqual({ verdict: "refine", think: "The whiskers are still dark.", refined_instruction: "Make the whiskers white." });
    expect(call.promptId).toMatch(/^conclude-tags@[0-9a-f]{8}$/);
    const request = chat.requests[0]!;
    expect(request.jsonSchema).toBeUndefined();
    expect(partKinds(request)).toEqual(["source", "edited", "text"]);
    const text = userText(request);
    expect(text).toContain("The current edit instruction is:\nMake the cat's fur white.");
    expect(text).toContain("- Score: 6.5");
    expect(text).toContain("- Reason: the whiskers are dark");
    for (const tag of ["<#Think>", "<#Reflection>", "<#Failed>", "<#Success>"]) expect(text).toContain(tag);
  });

  it("says no assessment is available rather than inventing a score, and names the current correction", async () => {
    const { chat, reasoner } = tagsReasoner(["<#Think> fine <#Success>"]);
    await reasoner.conclude({ source, edited, instruction: "Make the cat's fur white.", correction: "Make the whiskers white." });
    const text = userText(chat.requests[0]);
    expect(text).toContain("No independent assessment is available");
    expect(text).not.toContain("Score:");
    expect(text).toContain("edited once more with this correction: Make the whiskers white.");
  });

  it("re-asks a malformed tag reply once with the format, then reads the corrected one", async () => {
    const { chat, reasoner } = tagsReasoner(["The edit worked. <#success>", "<#Think> The edit worked. <#Success>"]);
    const call = await reasoner.conclude(input);
    expect(call.reply.verdict).toBe("success");
    expect(call.attempts).toBe(2);
    const correction = String(chat.requests[1]!.messages.at(-1)?.content);
    expect(correction).toContain("no <#Think> tag");
    expect(correction).toContain("<#Think> your reasoning <#Reflection> the second edit instruction");
    expect(chat.requests[1]!.messages.at(-2)).toEqual({ role: "assistant", content: "The edit worked. <#success>" });
  });

  it("never turns a reply that stays malformed into a success: it is an invalid reply", async () => {
    const { chat, reasoner } = tagsReasoner(["<#Think> fine <#Success> <#Failed>", "<#Think> looks good"]);
    const error = await rejection(reasoner.conclude(input));
    expect(error.code).toBe("model_reply_invalid");
    expect(error.message).toContain("no verdict tag");
    expect(error.spent?.attempts).toBe(2);
    expect(chat.requests).toHaveLength(2);
  });

  it("asks describe in plain text, assess and the scores for their JSON, none with response_format (as the release asks)", async () => {
    const { chat, reasoner } = tagsReasoner([
      "<think>white fur</think>\nA white cat on a grey sofa.",
      '{"meets_instruction": "yes", "major_conflicts": 0, "minor_conflicts": 0, "omissions": 0, "raw_score": 9, "reason": "ok"}',
      '{"score": [8, 9], "reasoning": "ok"}',
    ]);
    const description = await reasoner.describe({ source, instruction: "Make the cat white." });
    expect(description.reply).toEqual({ target_description: "A white cat on a grey sofa." });
    expect(description.promptId).toMatch(/^describe-tags@[0-9a-f]{8}$/);
    expect(userText(chat.requests[0])).toContain("Edit instruction: Make the cat white.");
    const assessment = await reasoner.assess({ edited, instruction: "I", description: "a white cat" });
    await reasoner.scoreSemantics({ source, edited, instruction: "I" });
    expect(assessment.reply.hallucinations).toBe(0);
    expect(chat.requests.map((request) => request.jsonSchema)).toEqual([undefined, undefined, undefined]);
    expect(partKinds(chat.requests[0])).toEqual(["source", "text"]);
    expect(partKinds(chat.requests[1])).toEqual(["text", "edited"]);
    expect(partKinds(chat.requests[2])).toEqual(["source", "edited", "text"]);
  });
});

describe("a tags reply cut off at max_tokens", () => {
  it("is never used, though it reads as text: asked again with a larger budget", async () => {
    const { chat, reasoner } = tagsReasoner([
      { text: "<#Think> The whiskers are dark. <#Reflection> Make the whisk", finishReason: "length" },
      "<#Think> The whiskers are dark. <#Reflection> Make the whiskers white.",
    ]);
    const call = await reasoner.conclude({ source, edited, instruction: "Make the cat's fur white." });
    expect(call.reply.refined_instruction).toBe("Make the whiskers white.");
    expect(chat.requests.map((request) => request.maxTokens)).toEqual([1024, 4096]);
  });

  it("fails as an invalid reply naming the budget when the larger one is cut off too", async () => {
    const cut = { text: "Turn the leaves yel", finishReason: "length" };
    const { reasoner } = tagsReasoner([cut, cut]);
    const error = await rejection(reasoner.think({ source, instruction: "autumn", allowOps: false }));
    expect(error.code).toBe("model_reply_invalid");
    expect(error.message).toContain("cut off at max_tokens 4096");
    expect(error.hint).toContain("--max-tokens");
  });
});

describe("custom tags templates", () => {
  it("must name every tag conclude reads, or they are refused on load naming the file and the missing tags", () => {
    const refused = (() => {
      try {
        parseTemplate("conclude-tags", "Judge {{instruction}}: answer <#Think> … then <#Success> or <#Failed>.", "mine/conclude-tags.md");
      } catch (error) {
        return error as ReasonEditError;
      }
      throw new Error("expected the template to be refused");
    })();
    expect(refused.code).toBe("prompt_template");
    expect(refused.message).toContain("mine/conclude-tags.md");
    expect(refused.message).toContain('the tag "<#Reflection>"');
    expect(() => parseTemplate("conclude-tags", "Judge {{instruction}}: <#Think> … <#Success>, <#Reflection> text or <#Failed>.", "ok.md")).not.toThrow();
  });

  it("refuses a placeholder the step does not have", () => {
    expect(() => parseTemplate("think-tags", "Rewrite {{instruction}} using {{evidence}}.", "mine/think-tags.md")).toThrow(/unknown placeholder \{\{evidence\}\}/);
  });
});
