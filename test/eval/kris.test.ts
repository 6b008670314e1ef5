import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { fullSizeDataUrl, imagesFirstChatModel, judgeRendering } from "../../src/eval/judge-images.js";
import { KRIS, looksLikeKris, normaliseKris } from "../../src/eval/kris.js";
import { KrisJudge, scoresOf } from "../../src/eval/kris-judge.js";
import { aggregateItems } from "../../src/eval/metric.js";
import type { Picture } from "../../src/loop/types.js";
import type { ChatModel, ChatRequest, ChatResponse } from "../../src/providers/chat-model.js";

// Hand-computed (KRIS-Bench: each 1–5 score → (s − 1)·25; every criterion score of a group pooled into one mean):
//   c1 chemistry     VC 5 VQ 4 IF 3 KP 2 → 100 75 50 25
//   c2 chemistry     VC 3 VQ 3 IF 3 KP 1 →  50 50 50  0
//   f1 color_change  VC 1 VQ 5 IF 4      →   0 100 75 (no knowledge criterion)
//   chemistry: VC 75, VQ 62.5, IF 50, KP 12.5, score 400 / 8 = 50
//   color_change: VC 0, VQ 100, IF 75, KP –, score 175 / 3 = 58.333
//   overall pooled: 575 / 11 = 52.2727 — not the mean of the categories (54.17), nor of the items (52.78)
//   meta-categories: conceptual = chemistry (50), factual = color_change (58.333)
const TABLE = [
  { category: "chemistry", answer: { consistency: 5, quality: 4, instruction: 3, knowledge: 2 } },
  { category: "chemistry", answer: { consistency: 3, quality: 3, instruction: 3, knowledge: 1 } },
  { category: "color_change", answer: { consistency: 1, quality: 5, instruction: 4 } },
];

describe("KRIS-Bench's metric", () => {
  it("maps 1–5 to 0–100 by (s − 1)·25", () => {
    expect([1, 2, 3, 4, 5].map(normaliseKris)).toEqual([0, 25, 50, 75, 100]);
    expect(scoresOf({ consistency: 5, quality: 4, instruction: 3, knowledge: 2 })).toEqual({ VC: 100, VQ: 75, IF: 50, KP: 25, score: 62.5 });
    expect(scoresOf({ consistency: 1, quality: null, instruction: 4 })).toEqual({ VC: 0, VQ: null, IF: 75, score: 37.5 });
  });

  it("pools every criterion score per category, meta-category and overall", () => {
    const result = aggregateItems(KRIS, TABLE.map((row) => ({ category: row.category, repeats: [scoresOf(row.answer)] })));
    expect(result.categories.chemistry).toEqual({ VC: 75, VQ: 62.5, IF: 50, KP: 12.5, score: 50 });
    expect(result.categories.color_change!.KP).toBeNull();
    expect(result.categories.color_change!.score).toBeCloseTo(175 / 3, 9);
    expect(result.overall.score).toBeCloseTo(575 / 11, 9);
    expect(result.overall.KP).toBe(12.5);
    expect(result.meta_categories).toEqual({ factual: result.categories.color_change, conceptual: result.categories.chemistry });
  });

  it("is the default for a benchmark whose categories are KRIS-Bench's task folders", () => {
    expect(looksLikeKris(["chemistry", "color_change", "multi-element_composition"])).toBe(true);
    expect(looksLikeKris(["color_alter", "chemistry"])).toBe(false);
    expect(looksLikeKris([])).toBe(false);
  });
});

/** An in-memory chat port: answers by the prompt's schema name from a script, and records every request. */
class ScriptedChat implements ChatModel {
  readonly id = "test/judge@memory";
  readonly requests: ChatRequest[] = [];
  constructor(private readonly answer: (schema: string, request: ChatRequest) => string) {}

  async complete(request: ChatRequest): Promise<ChatResponse> {
    this.requests.push(request);
    return { text: this.answer(request.jsonSchema?.name ?? "", request), usage: { prompt: 10, completion: 5, total: 15 } };
  }
}

const PIXEL: Picture = { bytes: new Uint8Array(), mimeType: "image/png", width: 1, height: 1 };
const encode = async () => "data:image/png;base64,AA==";

function textOf(request: ChatRequest): string {
  const content = request.messages[0]!.content;
  return typeof content === "string" ? content : content.map((part) => (part.type === "text" ? part.text : "<image>")).join("\n");
}

describe("KRIS-Bench's judge", () => {
  const scripted = () =>
    new ScriptedChat((schema) => {
      if (schema === "kris-consistency") return 'Background unchanged. {"reasoning": "same", "consistency_score": 4}';
      if (schema === "kris-quality") return '{"reasoning": "clean", "quality_score": 5}';
      if (schema === "kris-knowledge") return '{"instruction_score": 3, "instruction_reasoning": "half", "knowledge_score": 2, "knowledge_reasoning": "off"}';
      return '```json\n{"instruction_score": 5, "reasoning": "done"}\n```';
    });

  it("asks three prompts per image; a knowledge category gets the combined prompt with the hint", async () => {
    const chat = scripted();
    const judge = await KrisJudge.create({ chats: [chat], encodeImage: encode });
    const judged = await judge.judge({ source: PIXEL, edited: PIXEL, instruction: "burn the paper", category: "chemistry", knowledgeHint: "it blackens and curls" });
    expect(chat.requests.map((request) => request.jsonSchema?.name).sort()).toEqual(["kris-consistency", "kris-knowledge", "kris-quality"]);
    const knowledge = chat.requests.find((request) => request.jsonSchema?.name === "kris-knowledge")!;
    expect(textOf(knowledge)).toContain("Real-world knowledge explanation: it blackens and curls");
    expect(textOf(knowledge)).toMatch(/This is the original image:\n<image>\nThis is the edited image:\n<image>$/);
    expect(textOf(chat.requests.find((request) => request.jsonSchema?.name === "kris-quality")!)).toMatch(/This is the image to evaluate:\n<image>$/);
    expect(judged.repeats).toEqual([{ VC: 75, VQ: 100, IF: 50, KP: 25, score: 62.5 }]);
    expect(judged.answers).toEqual([{ consistency: 4, instruction: 3, quality: 5, knowledge: 2 }]);
    expect(judged).toMatchObject({ calls: 3, tokens: 45 });
  });

  it("shows no hint outside the knowledge categories, except anomaly correction's own prompt", async () => {
    const chat = scripted();
    const judge = await KrisJudge.create({ chats: [chat], encodeImage: encode });
    const plain = await judge.judge({ source: PIXEL, edited: PIXEL, instruction: "make it red", category: "color_change", knowledgeHint: "secret" });
    expect(plain.repeats).toEqual([{ VC: 75, VQ: 100, IF: 100, score: 275 / 3 }]);
    expect(chat.requests.some((request) => textOf(request).includes("secret"))).toBe(false);
    await judge.judge({ source: PIXEL, edited: PIXEL, instruction: "fix what is wrong", category: "anomaly_correction", knowledgeHint: "a clock has twelve hours" });
    const anomaly = chat.requests.find((request) => request.jsonSchema?.name === "kris-anomaly")!;
    expect(textOf(anomaly)).toContain("Explanation: a clock has twelve hours");
  });

  it("re-asks an unusable reply once, then counts that criterion as missing rather than guessing", async () => {
    const chat = new ScriptedChat((schema) => (schema === "kris-quality" ? "It looks fine, I would say 7 out of 10." : '{"consistency_score": 2, "instruction_score": 2, "reasoning": "x"}'));
    const judge = await KrisJudge.create({ chats: [chat], encodeImage: encode });
    const judged = await judge.judge({ source: PIXEL, edited: PIXEL, instruction: "make it red", category: "color_change" });
    expect(judged.repeats).toEqual([{ VC: 25, VQ: null, IF: 25, score: 25 }]);
    expect(judged.calls).toBe(4);
    const reask = chat.requests.filter((request) => request.jsonSchema?.name === "kris-quality")[1]!;
    expect(reask.messages.map((message) => message.role)).toEqual(["user", "assistant", "user"]);
  });
});

describe("--judge-images", () => {
  it("original sends the images at full size: PNG for a Qwen judge, JPEG for others", async () => {
    const bytes = await sharp({ create: { width: 1600, height: 1200, channels: 3, background: "#336699" } }).png().toBuffer();
    const picture: Picture = { bytes, mimeType: "image/png", width: 1600, height: 1200 };
    const sizeOf = async (url: string) => sharp(Buffer.from(url.split(",")[1]!, "base64")).metadata();
    const qwen = judgeRendering("original", "Qwen/Qwen2.5-VL-72B-Instruct");
    expect(qwen.imagesFirst).toBe(true);
    expect(await sizeOf(await qwen.encodeImage(picture))).toMatchObject({ format: "png", width: 1600, height: 1200 });
    const gpt = judgeRendering("original", "openai/gpt-4.1");
    expect(gpt.imagesFirst).toBe(false);
    expect(await sizeOf(await gpt.encodeImage(picture))).toMatchObject({ format: "jpeg", width: 1600, height: 1200 });
    const working = judgeRendering("working", "Qwen/Qwen2.5-VL-72B-Instruct");
    expect(working.imagesFirst).toBe(false);
    expect((await sizeOf(await working.encodeImage(picture))).width).toBe(1024);
    expect(await sizeOf(await fullSizeDataUrl({ ...picture, mimeType: "image/jpeg" }, "png"))).toMatchObject({ format: "png", width: 1600 });
  });

  it("moves the images before the text for a Qwen judge, keeping their order", async () => {
    const inner = new ScriptedChat(() => "{}");
    await imagesFirstChatModel(inner).complete({
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "rate it" },
            { type: "image_url", image_url: { url: "data:1" } },
            { type: "image_url", image_url: { url: "data:2" } },
          ],
        },
      ],
    });
    expect(inner.requests[0]!.messages[0]!.content).toEqual([
      { type: "image_url", image_url: { url: "data:1" } },
      { type: "image_url", image_url: { url: "data:2" } },
      { type: "text", text: "rate it" },
    ]);
  });
});
