// KRIS-Bench's judge: per image three calls (consistency, instruction — with knowledge where the category has it —,
// quality), each a 1–5 score in JSON, normalised to 0–100; an unusable reply is re-asked once, then counted missing.
import { readFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import type { Picture } from "../loop/types.js";
import type { ChatContentPart, ChatMessage, ChatModel, ChatRequest, ChatResponse } from "../providers/chat-model.js";
import { parseReply } from "../reasoning/parse-reply.js";
import { builtInPromptsDir } from "../reasoning/prompt-templates.js";
import type { BenchmarkJudge, JudgedSample, JudgeInput } from "./judge.js";
import { KRIS, KRIS_ANOMALY_CATEGORIES, KRIS_KNOWLEDGE_CATEGORIES, normaliseKris } from "./kris.js";
import type { ScoreRecord } from "./metric.js";

const score = z.coerce.number().int().min(1).max(5);

const SCHEMAS = {
  "kris-consistency": z.object({ consistency_score: score, reasoning: z.string().optional() }),
  "kris-quality": z.object({ quality_score: score, reasoning: z.string().optional() }),
  "kris-instruction": z.object({ instruction_score: score, reasoning: z.string().optional() }),
  "kris-anomaly": z.object({ instruction_score: score, reasoning: z.string().optional() }),
  "kris-knowledge": z.object({
    instruction_score: score,
    instruction_reasoning: z.string().optional(),
    knowledge_score: score,
    knowledge_reasoning: z.string().optional(),
  }),
} as const;

type PromptName = keyof typeof SCHEMAS;
const PROMPT_NAMES = Object.keys(SCHEMAS) as PromptName[];

const SHAPES: Record<PromptName, string> = {
  "kris-consistency": '{"reasoning": string, "consistency_score": integer 1-5}',
  "kris-quality": '{"reasoning": string, "quality_score": integer 1-5}',
  "kris-instruction": '{"instruction_score": integer 1-5, "reasoning": string}',
  "kris-anomaly": '{"instruction_score": integer 1-5, "reasoning": string}',
  "kris-knowledge": '{"instruction_score": integer 1-5, "instruction_reasoning": string, "knowledge_score": integer 1-5, "knowledge_reasoning": string}',
};

/** The judge's 1–5 answers for one repeat, as given; null = unusable after the re-ask. Knowledge only where it applies. */
export interface KrisAnswer {
  consistency: number | null;
  instruction: number | null;
  quality: number | null;
  knowledge?: number | null;
}

export interface KrisJudgeOptions {
  /** One chat model per repeat; each must ask differently (a seed) or a cache would hand back the first answer k times. */
  chats: readonly ChatModel[];
  encodeImage: (picture: Picture) => Promise<string>;
  /** The prompts folder; the built-in one unless a test points elsewhere. */
  promptsDir?: string;
}

interface Asked<T> {
  reply: T | null;
  calls: number;
  tokens: number;
}

export class KrisJudge implements BenchmarkJudge {
  readonly metric = KRIS;

  private constructor(
    private readonly chats: readonly ChatModel[],
    private readonly encodeImage: (picture: Picture) => Promise<string>,
    private readonly prompts: Record<PromptName, string>,
  ) {
    if (chats.length === 0) throw new Error("a judge needs at least one chat model");
  }

  static async create(options: KrisJudgeOptions): Promise<KrisJudge> {
    const dir = options.promptsDir ?? builtInPromptsDir();
    const texts = await Promise.all(PROMPT_NAMES.map(async (name) => [name, stripComments(await readFile(path.join(dir, `${name}.md`), "utf8"))] as const));
    return new KrisJudge(options.chats, options.encodeImage, Object.fromEntries(texts) as Record<PromptName, string>);
  }

  get repeats(): number {
    return this.chats.length;
  }

  async judge(input: JudgeInput, signal?: AbortSignal): Promise<JudgedSample> {
    const [source, edited] = await Promise.all([this.encodeImage(input.source), this.encodeImage(input.edited)]);
    const repeats = await Promise.all(this.chats.map((chat) => this.judgeOnce(chat, input, source, edited, signal)));
    return {
      repeats: repeats.map((repeat) => repeat.scores),
      answers: repeats.map((repeat) => repeat.answer),
      calls: repeats.reduce((sum, repeat) => sum + repeat.calls, 0),
      tokens: repeats.reduce((sum, repeat) => sum + repeat.tokens, 0),
    };
  }

  private async judgeOnce(chat: ChatModel, input: JudgeInput, source: string, edited: string, signal?: AbortSignal) {
    const pair = [text("This is the original image:"), image(source), text("This is the edited image:"), image(edited)];
    const vars = { instruction: input.instruction, explanation: input.knowledgeHint ?? "" };
    const knowledge = KRIS_KNOWLEDGE_CATEGORIES.has(input.category);
    const instructionPrompt: PromptName = knowledge ? "kris-knowledge" : KRIS_ANOMALY_CATEGORIES.has(input.category) ? "kris-anomaly" : "kris-instruction";
    const [consistency, instruction, quality] = await Promise.all([
      this.ask(chat, "kris-consistency", vars, pair, signal),
      this.ask(chat, instructionPrompt, vars, pair, signal),
      this.ask(chat, "kris-quality", vars, [text("This is the image to evaluate:"), image(edited)], signal),
    ]);
    const answer: KrisAnswer = {
      consistency: consistency.reply?.consistency_score ?? null,
      instruction: instruction.reply?.instruction_score ?? null,
      quality: quality.reply?.quality_score ?? null,
      ...(knowledge ? { knowledge: (instruction.reply as { knowledge_score?: number } | null)?.knowledge_score ?? null } : {}),
    };
    const asked = [consistency, instruction, quality];
    return {
      answer,
      scores: scoresOf(answer),
      calls: asked.reduce((sum, call) => sum + call.calls, 0),
      tokens: asked.reduce((sum, call) => sum + call.tokens, 0),
    };
  }

  /** One call and, on an unusable reply, one corrective re-ask; the release would guess a score instead. */
  private async ask<N extends PromptName>(
    chat: ChatModel,
    name: N,
    vars: Record<string, string>,
    images: ChatContentPart[],
    signal?: AbortSignal,
  ): Promise<Asked<z.output<(typeof SCHEMAS)[N]>>> {
    const schema = SCHEMAS[name];
    const request: ChatRequest = {
      messages: [{ role: "user", content: [text(render(this.prompts[name], vars)), ...images] }],
      jsonSchema: { name, schema: z.toJSONSchema(schema) as Record<string, unknown> },
      temperature: 0,
      maxTokens: 1200,
    };
    const first = await chat.complete(request, signal);
    const responses: ChatResponse[] = [first];
    let parsed = parseReply(first.text, schema);
    if (!parsed.ok) {
      const correction: ChatMessage = {
        role: "user",
        content: `Your reply could not be used: ${parsed.error}.\nAnswer again with only one JSON object, no other text, in this shape:\n${SHAPES[name]}`,
      };
      const second = await chat.complete({ ...request, messages: [...request.messages, { role: "assistant", content: first.text }, correction] }, signal);
      responses.push(second);
      parsed = parseReply(second.text, schema);
    }
    return {
      reply: parsed.ok ? (parsed.value as z.output<(typeof SCHEMAS)[N]>) : null,
      calls: responses.length,
      tokens: responses.reduce((sum, response) => sum + response.usage.total, 0),
    };
  }
}

/** One repeat's 0–100 scores; KP is absent where the category has no knowledge criterion. */
export function scoresOf(answer: KrisAnswer): ScoreRecord {
  const norm = (value: number | null | undefined) => (value === null || value === undefined ? null : normaliseKris(value));
  const scores: ScoreRecord = { VC: norm(answer.consistency), VQ: norm(answer.quality), IF: norm(answer.instruction) };
  if ("knowledge" in answer) scores.KP = norm(answer.knowledge);
  const present = Object.values(scores).filter((value): value is number => value !== null);
  scores.score = present.length === 0 ? null : present.reduce((sum, value) => sum + value, 0) / present.length;
  return scores;
}

function stripComments(raw: string): string {
  return raw.replace(/\r\n?/g, "\n").replace(/<!--[\s\S]*?-->/g, "").trim();
}

/** {{name}} → its value, in one pass, so text inside a value is never expanded. */
function render(template: string, vars: Record<string, string>): string {
  return template.replace(/\{\{\s*([a-z_]+)\s*\}\}/g, (_match, name: string) => vars[name] ?? "");
}

function text(value: string): ChatContentPart {
  return { type: "text", text: value };
}

function image(url: string): ChatContentPart {
  return { type: "image_url", image_url: { url } };
}
