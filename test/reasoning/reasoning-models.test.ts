// Thinking models behind real OpenAI-compatible servers (vLLM, llama.cpp, Ollama, TGI, Mistral), over real HTTP:
// the reasoner must read the answer, not the thoughts, and ask again with more room when the budget ran out.
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ReasonEditError } from "../../src/errors.js";
import type { Picture } from "../../src/loop/types.js";
import { createChatModel } from "../../src/providers/hf-chat-model.js";
import { MllmReasoner } from "../../src/reasoning/mllm-reasoner.js";
import { loadPromptSet, type PromptSet } from "../../src/reasoning/prompt-templates.js";
import { captureLogger, type CapturedLogger } from "../fakes/capture-logger.js";
import { startFakeProviders, type ChatReply, type FakeProviders } from "../fakes/fake-providers.mjs";
import { realChat } from "../fakes/real-shapes.mjs";

const SUCCESS = '{"think": "the fur is white", "verdict": "success", "refined_instruction": null, "unintended_changes": []}';
const THOUGHTS =
  'The user wants white fur. Regions {fur, ears}. A first draft: {"verdict": "refine", "refined_instruction": "whiten the ears"} ' +
  "— but the ears are already white, so the edit succeeded.";

const picture: Picture = { bytes: new Uint8Array([1, 2, 3]), mimeType: "image/png", width: 8, height: 8 };
const input = { source: picture, edited: picture, instruction: "make the cat's fur white", score: 9, reason: "white fur" };

let prompts: PromptSet;
let fake: FakeProviders;
let log: CapturedLogger;
beforeAll(async () => {
  prompts = await loadPromptSet();
});
beforeEach(async () => {
  fake = await startFakeProviders();
  log = captureLogger();
});
afterEach(async () => {
  await fake.close();
});

function reasoner(maxTokens?: number): MllmReasoner {
  const chat = createChatModel({ model: "Qwen/Qwen3-VL-8B-Thinking", provider: "auto", url: `${fake.url}/v1`, timeoutMs: 10_000, maxRetries: 0, logger: log.logger });
  return new MllmReasoner({
    chat,
    prompts,
    encodeImage: async () => "data:image/png;base64,AQID",
    ...(maxTokens === undefined ? {} : { maxTokens }),
    onNotice: (message) => log.logger.warn(message),
  });
}

function answerWith(...replies: ChatReply[]): void {
  let n = 0;
  fake.setChat(() => replies[Math.min(n++, replies.length - 1)]!);
}

const budgets = () => fake.requestsOf("chat").map((request) => request.body.max_tokens as number);

describe("the answer of a thinking model", () => {
  it.each([
    ["vLLM before Nov 2025: content null, the answer in reasoning_content", realChat.vllmReasoningContent(SUCCESS)],
    ["vLLM 0.17: content null, the answer in reasoning", realChat.vllmReasoningField(SUCCESS)],
    ["llama.cpp --reasoning-format deepseek: thoughts with a draft in reasoning_content", realChat.llamaCppDeepseek(THOUGHTS, SUCCESS)],
    ["Ollama: thoughts in reasoning", realChat.ollama(THOUGHTS, SUCCESS)],
    ["Mistral Magistral: a thinking part before the text part", realChat.mistralThinkingParts(THOUGHTS, SUCCESS)],
    ["TGI: a <think> block with braces and a draft left in content", realChat.tgiThinkInContent(THOUGHTS, SUCCESS)],
    ["Qwen3: only the closing </think>", realChat.qwenClosingTagOnly(THOUGHTS, SUCCESS)],
    ["Qwen3 non-thinking: an empty block", realChat.qwenEmptyThink(SUCCESS)],
  ])("%s → the success verdict, in one call", async (_, reply) => {
    answerWith(reply);
    const call = await reasoner().conclude(input);
    expect(call.reply.verdict).toBe("success");
    expect(fake.requestsOf("chat")).toHaveLength(1);
    expect(call.attempts).toBe(1);
  });
});

describe("a reply cut off at max_tokens", () => {
  it("asks once more with a larger budget when every token went to thinking, and says so", async () => {
    answerWith(realChat.allBudgetThinking(THOUGHTS), realChat.vllmReasoningField(SUCCESS));
    const call = await reasoner().conclude(input);
    expect(call.reply.verdict).toBe("success");
    expect(budgets()).toEqual([1024, 4096]);
    // Not a correction: the second request is the first one with more room.
    const [first, second] = fake.requestsOf("chat");
    expect(second?.body.messages).toEqual(first?.body.messages);
    expect(log.at("warn").map((line) => line.msg)).toEqual([
      "conclude reply from Qwen/Qwen3-VL-8B-Thinking@" + fake.url + "/v1 was cut off at max_tokens 1024 before any answer (the budget went to reasoning); asking again with max_tokens 4096",
    ]);
  });

  it("asks once more when the JSON ends mid-object, with the budget it was given", async () => {
    answerWith(realChat.cutMidObject(SUCCESS), { text: SUCCESS });
    await reasoner(300).conclude(input);
    expect(budgets()).toEqual([300, 4096]);
    expect(log.at("warn")[0]?.msg).toContain("was cut off at max_tokens 300; asking again with max_tokens 4096");
  });

  it("gives up after the larger budget is cut off too, naming the budget and never blaming the images", async () => {
    answerWith(realChat.allBudgetThinking(THOUGHTS));
    const error = await reasoner().conclude(input).catch((caught: unknown) => caught);
    expect(ReasonEditError.is(error) && error.code).toBe("model_reply_invalid");
    if (!ReasonEditError.is(error)) return;
    expect(error.message).toContain("was cut off at max_tokens 4096 before any answer");
    expect(error.hint).toContain("--max-tokens");
    expect(`${error.message} ${error.hint}`).not.toMatch(/image/i);
    expect(budgets()).toEqual([1024, 4096]); // nothing billed a third time
  });

  it("uses a reply cut off after a complete answer (llama.cpp says length unless it stopped on EOS)", async () => {
    answerWith({ text: `${SUCCESS}\n\nLet me also explain`, finishReason: "length" });
    expect((await reasoner().conclude(input)).reply.verdict).toBe("success");
    expect(budgets()).toEqual([1024]);
  });

  it("corrects an empty reply that was not cut off, without talking about images", async () => {
    answerWith({ text: "" });
    const error = await reasoner().conclude(input).catch((caught: unknown) => caught);
    expect(ReasonEditError.is(error) && error.message).toContain("the reply was empty");
    expect(budgets()).toEqual([1024, 1024]);
    if (ReasonEditError.is(error)) expect(`${error.message} ${error.hint}`).not.toMatch(/image/i);
  });
});
