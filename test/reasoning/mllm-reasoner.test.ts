import { beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { ReasonEditError } from "../../src/errors.js";
import { ConcludeReplySchema, ThinkReplySchema } from "../../src/loop/replies.js";
import type { ChangeEvidence, Picture } from "../../src/loop/types.js";
import type { ChatContentPart, ChatModel, ChatRequest, ChatResponse } from "../../src/providers/chat-model.js";
import { MllmReasoner, REPLY_SCHEMAS, REPLY_SHAPES, describeEvidence } from "../../src/reasoning/mllm-reasoner.js";
import { REQUIRED_FIELDS, TEMPLATE_NAMES, loadPromptSet, type PromptSet, type TemplateName } from "../../src/reasoning/prompt-templates.js";

type Scripted = string | Partial<ChatResponse> | Error;

/** An in-memory chat server: answers from a script and keeps every request it got. */
class ScriptedChat implements ChatModel {
  readonly id = "scripted/test-model@local";
  readonly requests: ChatRequest[] = [];
  readonly signals: Array<AbortSignal | undefined> = [];
  constructor(private readonly script: Scripted[]) {}

  async complete(request: ChatRequest, signal?: AbortSignal): Promise<ChatResponse> {
    this.requests.push(structuredClone(request));
    this.signals.push(signal);
    const next = this.script.shift();
    if (next === undefined) throw new Error("the script ran out of replies");
    if (next instanceof Error) throw next;
    const response = typeof next === "string" ? { text: next } : next;
    return { text: "", usage: { prompt: 100, completion: 20, total: 120 }, ...response };
  }
}

function picture(label: string): Picture {
  return { bytes: new TextEncoder().encode(label), mimeType: "image/png", width: 8, height: 8 };
}

const source = picture("source");
const edited = picture("edited");
const heatmap = picture("heatmap");

async function encodeImage(p: Picture): Promise<string> {
  return `data:${p.mimeType};base64,${new TextDecoder().decode(p.bytes)}`;
}

const evidence: ChangeEvidence = {
  heatmap,
  changedShare: 0.237,
  boxes: [{ left: 0.1, top: 0.5, width: 0.3, height: 0.25, share: 0.06 }],
  meanDifference: 0.04,
};

const CONCLUDE_SUCCESS = '{"think": "done", "verdict": "success", "refined_instruction": null, "unintended_changes": []}';
const ASSESS_OK = '{"meets_instruction": "yes", "major_conflicts": 0, "minor_conflicts": 0, "hallucinations": 0, "omissions": 0, "raw_score": 9, "reason": "ok"}';

let prompts: PromptSet;
beforeAll(async () => {
  prompts = await loadPromptSet();
});

function reasonerWith(script: Scripted[]): { reasoner: MllmReasoner; chat: ScriptedChat } {
  const chat = new ScriptedChat(script);
  return { reasoner: new MllmReasoner({ chat, prompts, encodeImage }), chat };
}

function userParts(request: ChatRequest | undefined): ChatContentPart[] {
  const user = request?.messages.find((message) => message.role === "user");
  if (user === undefined || typeof user.content === "string") throw new Error("expected a user message with parts");
  return user.content;
}

function imagesSent(request: ChatRequest | undefined): string[] {
  return userParts(request).flatMap((part) => (part.type === "image_url" ? [part.image_url.url.split(",")[1] ?? ""] : []));
}

function textSent(request: ChatRequest | undefined): string {
  return userParts(request).flatMap((part) => (part.type === "text" ? [part.text] : [])).join("\n");
}

describe("MllmReasoner requests", () => {
  it("sends think a system message, then the text, then the source image, with the reply's JSON schema", async () => {
    const { reasoner, chat } = reasonerWith(['{"instruction": "Turn the sky blue.", "changed": true, "scope": "global", "ops": []}']);
    const call = await reasoner.think({ source, instruction: "make the sky blue", allowOps: true });
    const request = chat.requests[0];
    expect(request?.messages.map((message) => message.role)).toEqual(["system", "user"]);
    expect(userParts(request).map((part) => part.type)).toEqual(["text", "image_url"]);
    expect(imagesSent(request)).toEqual(["source"]);
    expect(textSent(request)).toContain("make the sky blue");
    expect(request?.jsonSchema).toEqual({ name: "think", schema: z.toJSONSchema(ThinkReplySchema) });
    expect(request?.temperature).toBe(0.2);
    expect(request?.maxTokens).toBe(1024);
    expect(call).toMatchObject({ reply: { instruction: "Turn the sky blue.", scope: "global" }, promptId: prompts.think.promptId, attempts: 1, cached: false });
    expect(call.usage).toEqual({ prompt: 100, completion: 20, total: 120 });
  });

  it("uses the temperature and token limit it was given", async () => {
    const chat = new ScriptedChat(['{"target_description": "x"}']);
    await new MllmReasoner({ chat, prompts, encodeImage, temperature: 0, maxTokens: 300 }).describe({ source, instruction: "i" });
    expect(chat.requests[0]).toMatchObject({ temperature: 0, maxTokens: 300 });
  });

  it("shows describe the source image", async () => {
    const { reasoner, chat } = reasonerWith(['{"target_description": "a blue sky"}']);
    const call = await reasoner.describe({ source, instruction: "Turn the sky blue." });
    expect(imagesSent(chat.requests[0])).toEqual(["source"]);
    expect(call.reply.target_description).toBe("a blue sky");
  });

  it("shows assess only the edited image, with the instruction and the description", async () => {
    const { reasoner, chat } = reasonerWith([ASSESS_OK]);
    const call = await reasoner.assess({ edited, instruction: "Turn the sky blue.", description: "A blue sky over a field." });
    expect(imagesSent(chat.requests[0])).toEqual(["edited"]);
    expect(textSent(chat.requests[0])).toContain("A blue sky over a field.");
    expect(call.reply.raw_score).toBe(9);
  });

  it("shows conclude the source and the edited image, and no change map without evidence", async () => {
    const { reasoner, chat } = reasonerWith([CONCLUDE_SUCCESS]);
    await reasoner.conclude({ source, edited, instruction: "Turn the sky blue.", assessment: { score: 7.25, reason: "mostly blue" } });
    expect(imagesSent(chat.requests[0])).toEqual(["source", "edited"]);
    expect(textSent(chat.requests[0])).toContain("- Score: 7.25 / 10");
    expect(textSent(chat.requests[0])).not.toContain("image 3");
  });

  it("tells conclude no assessment is available when there is none, with no score line", async () => {
    const { reasoner, chat } = reasonerWith([CONCLUDE_SUCCESS]);
    await reasoner.conclude({ source, edited, instruction: "Turn the sky blue." });
    const text = textSent(chat.requests[0]);
    expect(text).toContain("No independent assessment is available for this edit.");
    expect(text).not.toContain("Score:");
    expect(text).not.toMatch(/\b0 \/ 10/);
  });

  it("shows conclude the whole request first and a correction round's correction as context", async () => {
    const { reasoner, chat } = reasonerWith([CONCLUDE_SUCCESS, CONCLUDE_SUCCESS]);
    await reasoner.conclude({ source, edited, instruction: "Turn the sky blue and add a kite.", correction: "Add a red kite in the sky.", assessment: { score: 6, reason: "no kite" } });
    const text = textSent(chat.requests[0]);
    expect(text).toMatch(/edit instruction:\n\n"""\nTurn the sky blue and add a kite.\n"""/);
    expect(text).toContain('correction:\n"""\nAdd a red kite in the sky.\n"""');
    expect(text).toContain("never against the correction alone");
    await reasoner.conclude({ source, edited, instruction: "Turn the sky blue and add a kite.", assessment: { score: 6, reason: "no kite" } });
    expect(textSent(chat.requests[1])).not.toContain("correction round");
  });

  it("adds the heat map as a third image and its numbers when there is evidence", async () => {
    const { reasoner, chat } = reasonerWith([CONCLUDE_SUCCESS]);
    await reasoner.conclude({ source, edited, instruction: "Turn the sky blue.", assessment: { score: 7, reason: "r" }, evidence });
    expect(imagesSent(chat.requests[0])).toEqual(["source", "edited", "heatmap"]);
    const text = textSent(chat.requests[0]);
    expect(text).toContain("image 3 is a heat map");
    expect(text).toContain("23.7% of the pixels changed");
    expect(text).toContain("left 0.10, top 0.50, width 0.30, height 0.25 (6.0% of the image)");
  });

  it("scores semantics on source and edited, quality on the edited image alone", async () => {
    const { reasoner, chat } = reasonerWith(['{"score": [8, 7], "reasoning": "a"}', '||V^=^V||{"score": [9, 6], "reasoning": "b"}||V^=^V||']);
    const sc = await reasoner.scoreSemantics({ source, edited, instruction: "Turn the sky blue." });
    const pq = await reasoner.scoreQuality({ source, edited, instruction: "Turn the sky blue." });
    expect(imagesSent(chat.requests[0])).toEqual(["source", "edited"]);
    expect(imagesSent(chat.requests[1])).toEqual(["edited"]);
    expect(chat.requests.map((request) => request.messages.length)).toEqual([1, 1]);
    expect(chat.requests.map((request) => request.jsonSchema?.name)).toEqual(["score-sc", "score-pq"]);
    expect([sc.reply.score, pq.reply.score]).toEqual([[8, 7], [9, 6]]);
    expect(pq.promptId).toMatch(/^score-pq@[0-9a-f]{8}$/);
  });

  it("passes the abort signal to the chat model", async () => {
    const { reasoner, chat } = reasonerWith(['{"target_description": "x"}']);
    const controller = new AbortController();
    await reasoner.describe({ source, instruction: "i" }, controller.signal);
    expect(chat.signals[0]).toBe(controller.signal);
  });

  it("reports a cached answer as cached", async () => {
    const { reasoner } = reasonerWith([{ text: '{"target_description": "x"}', cached: true }]);
    expect((await reasoner.describe({ source, instruction: "i" })).cached).toBe(true);
  });
});

describe("MllmReasoner corrective re-ask", () => {
  it("re-asks once with the validation error and succeeds on the second reply", async () => {
    const { reasoner, chat } = reasonerWith([
      { text: "The sky should be blue.", usage: { prompt: 1000, completion: 10, total: 1010 } },
      { text: '```json\n{"target_description": "a blue sky"}\n```', usage: { prompt: 1100, completion: 15, total: 1115 } },
    ]);
    const call = await reasoner.describe({ source, instruction: "Turn the sky blue." });
    expect(call.attempts).toBe(2);
    expect(call.reply.target_description).toBe("a blue sky");
    expect(call.usage).toEqual({ prompt: 2100, completion: 25, total: 2125 });

    const reask = chat.requests[1]?.messages ?? [];
    expect(reask.slice(0, 2)).toEqual(chat.requests[0]?.messages);
    expect(reask[2]).toEqual({ role: "assistant", content: "The sky should be blue." });
    expect(reask[3]?.role).toBe("user");
    expect(reask[3]?.content).toContain('the reply held no JSON object (it began: "The sky should be blue.")');
    expect(reask[3]?.content).toContain('{"target_description": string}');
    expect(chat.requests[1]?.jsonSchema?.name).toBe("describe");
  });

  it("treats refine without a refined instruction as invalid and quotes why", async () => {
    const { reasoner, chat } = reasonerWith([
      '{"think": "sky half done", "verdict": "refine", "refined_instruction": ""}',
      '{"think": "sky half done", "verdict": "refine", "refined_instruction": "Make the left half of the sky blue."}',
    ]);
    const call = await reasoner.conclude({ source, edited, instruction: "Turn the sky blue.", assessment: { score: 5, reason: "half" } });
    expect(call.reply).toMatchObject({ verdict: "refine", refined_instruction: "Make the left half of the sky blue." });
    expect(chat.requests[1]?.messages.at(-1)?.content).toContain('refined_instruction: verdict "refine" needs a non-empty refined_instruction');
  });

  it("gives up after the re-ask with model_reply_invalid naming the step, the model and the error", async () => {
    const { reasoner, chat } = reasonerWith(["no idea", '{"meets_instruction": "yes"}']);
    const error = await reasoner.assess({ edited, instruction: "i", description: "d" }).catch((e: unknown) => e);
    expect(chat.requests).toHaveLength(2);
    expect(ReasonEditError.is(error)).toBe(true);
    if (!ReasonEditError.is(error)) return;
    expect(error.code).toBe("model_reply_invalid");
    expect(error.message).toMatch(/^assess reply from scripted\/test-model@local was not valid after one corrective re-ask: major_conflicts: missing/);
    expect(error.hint).toContain("--mllm");
    // What the failed step spent travels with it: both asks and both replies' tokens.
    expect(error.spent).toEqual({ attempts: 2, usage: { prompt: 200, completion: 40, total: 240 }, cached: false });
  });

  it("lets provider errors through unchanged, without a re-ask", async () => {
    const failure = new ReasonEditError("provider_unavailable", "503 from test", { provider: "test", status: 503 });
    const { reasoner, chat } = reasonerWith([failure]);
    await expect(reasoner.describe({ source, instruction: "i" })).rejects.toBe(failure);
    expect(chat.requests).toHaveLength(1);
  });

  it("lets a provider error on the re-ask through unchanged", async () => {
    const failure = new Error("socket hang up");
    const { reasoner } = reasonerWith(["not json", failure]);
    await expect(reasoner.describe({ source, instruction: "i" })).rejects.toBe(failure);
  });

  it("re-asks when think answers null without ops", async () => {
    const { reasoner, chat } = reasonerWith(['{"instruction": null, "ops": []}', '{"instruction": null, "ops": [{"op": "rotate", "degrees": 90}]}']);
    const call = await reasoner.think({ source, instruction: "rotate it 90 degrees clockwise", allowOps: true });
    expect(call.reply.ops).toEqual([{ op: "rotate", degrees: 90 }]);
    expect(chat.requests[1]?.messages.at(-1)?.content).toContain('null is allowed only when "ops" cover the whole request');
  });

  it("with exact ops off, asks think for no ops and re-asks a null instruction", async () => {
    const { reasoner, chat } = reasonerWith(['{"instruction": null, "ops": [{"op": "rotate", "degrees": 90}]}', '{"instruction": "Rotate the image 90 degrees clockwise.", "ops": []}']);
    const call = await reasoner.think({ source, instruction: "rotate it 90 degrees clockwise", allowOps: false });
    expect(textSent(chat.requests[0])).toContain('Give "ops": [] always');
    expect(textSent(chat.requests[0])).not.toContain('{"op": "crop"');
    expect(chat.requests[1]?.messages.at(-1)?.content).toContain("exact operations are off, so it can never be null");
    expect(call.reply.instruction).toBe("Rotate the image 90 degrees clockwise.");
  });

  it("with exact ops on, lists the operations and not the ops-off rule", async () => {
    const { reasoner, chat } = reasonerWith(['{"instruction": "Turn the sky blue."}']);
    await reasoner.think({ source, instruction: "make the sky blue", allowOps: true });
    expect(textSent(chat.requests[0])).toContain('{"op": "crop"');
    expect(textSent(chat.requests[0])).not.toContain('Give "ops": [] always');
    expect(textSent(chat.requests[0])).not.toMatch(/\{\{[#^/]?ops\}\}/);
  });
});

describe("MllmReasoner keeps the user's language in think", () => {
  it("asks for Chinese when the request is Chinese and re-asks when the answer is not", async () => {
    const { reasoner, chat } = reasonerWith([
      '{"instruction": "Replace the sky with a sunset.", "changed": true}',
      '{"instruction": "将天空替换为橙红色的晚霞。", "changed": true}',
    ]);
    const call = await reasoner.think({ source, instruction: "把天空换成晚霞", allowOps: true });
    expect(textSent(chat.requests[0])).toContain('Write "instruction" in Chinese.');
    expect(chat.requests[1]?.messages.at(-1)?.content).toContain("instruction: it must be written in Chinese, the language of the request");
    expect(call.reply.instruction).toBe("将天空替换为橙红色的晚霞。");
  });

  it("leaves Latin-script requests to the model", async () => {
    const { reasoner, chat } = reasonerWith(['{"instruction": "Rends le ciel bleu."}']);
    await reasoner.think({ source, instruction: "rends le ciel bleu", allowOps: true });
    expect(textSent(chat.requests[0])).toContain("the same language as the user's request");
    expect(chat.requests).toHaveLength(1);
  });
});

describe("describeEvidence", () => {
  it("says when no region stands out", () => {
    expect(describeEvidence({ ...evidence, changedShare: 0.004, boxes: [] })).toBe("0.4% of the pixels changed. No changed region stands out.");
  });

  it("lists at most the largest regions", () => {
    const boxes = Array.from({ length: 10 }, () => evidence.boxes[0]!);
    const text = describeEvidence({ ...evidence, boxes }, 3);
    expect(text.match(/left \d/g)).toHaveLength(3);
    expect(text).toMatch(/; and 7 smaller regions\.$/);
  });
});

describe("ConcludeReplySchema as sent", () => {
  it("offers the model the three verdicts", () => {
    expect(JSON.stringify(z.toJSONSchema(ConcludeReplySchema))).toContain('"enum":["success","refine","failed"]');
  });
});

describe("the reply contract is stated once", () => {
  const schemaKeys = (template: TemplateName) => Object.keys((REPLY_SCHEMAS[template] as unknown as z.ZodObject).shape);

  it.each(TEMPLATE_NAMES)("every field %s's re-ask shape and required list name is in its zod schema", (template) => {
    const shapeKeys = [...REPLY_SHAPES[template].matchAll(/"([a-z_]+)":/g)].map((match) => match[1]);
    expect(shapeKeys.length).toBeGreaterThan(0);
    for (const key of [...shapeKeys, ...REQUIRED_FIELDS[template]]) expect(schemaKeys(template)).toContain(key);
  });
});

describe("MllmReasoner bounds on exact ops", () => {
  const bounds = { width: 256, height: 256, maxPixels: 100_000_000 };
  const huge = '{"instruction": null, "ops": [{"op": "resize", "width": 16384, "height": 8192}]}';

  it("re-asks when think's ops would grow the image past the bounds, then gives up as an invalid reply", async () => {
    const { reasoner, chat } = reasonerWith([huge, huge]);
    const error = await reasoner.think({ source, instruction: "make it huge", allowOps: true, opsBounds: bounds }).catch((e: unknown) => e);
    expect(ReasonEditError.is(error) && error.code).toBe("model_reply_invalid");
    expect(chat.requests[1]?.messages.at(-1)?.content).toContain("ops[0]: resize would make the 256×256 image 16384×8192");
  });

  it("takes the corrected reply when the re-ask keeps within the bounds", async () => {
    const { reasoner } = reasonerWith([huge, '{"instruction": null, "ops": [{"op": "resize", "width": 512}]}']);
    const call = await reasoner.think({ source, instruction: "make it bigger", allowOps: true, opsBounds: bounds });
    expect(call.reply.ops).toEqual([{ op: "resize", width: 512 }]);
  });
});
