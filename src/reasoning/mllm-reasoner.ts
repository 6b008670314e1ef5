// The Reasoner on a multimodal chat model: one templated call per step, one corrective re-ask on a bad reply.
import { z } from "zod";
import { ReasonEditError, type CallSpend } from "../errors.js";
import {
  AssessReplySchema,
  ConcludeReplySchema,
  DescribeReplySchema,
  ScoreReplySchema,
  ThinkReplySchema,
  type AssessReply,
  type ConcludeReply,
  type DescribeReply,
  type ScoreReply,
  type ThinkReply,
} from "../loop/replies.js";
import type {
  AssessInput,
  ChangeEvidence,
  ConcludeInput,
  DescribeInput,
  Picture,
  Reasoner,
  ScoreInput,
  StepCall,
  ThinkInput,
  TokenUsage,
} from "../loop/types.js";
import type { ChatContentPart, ChatMessage, ChatModel, ChatRequest, ChatResponse } from "../providers/chat-model.js";
import { opsProblem, type OpsBounds } from "../loop/op-bounds.js";
import { languageMismatch, languageOf } from "./language.js";
import { parseReply, type ParseResult } from "./parse-reply.js";
import { renderTemplate, TEMPLATE_OF, type PromptSet, type ReasoningStep, type TemplateName, type TemplateVars } from "./prompt-templates.js";

export interface MllmReasonerOptions {
  chat: ChatModel;
  prompts: PromptSet;
  /** Turns a picture into the data URL sent as an image_url part. */
  encodeImage: (picture: Picture) => Promise<string>;
  /** Default 0.2: judges should be steady, yet a re-ask must be able to change its answer. */
  temperature?: number;
  /** Default 1024: room for conclude's reasoning before its JSON; a cut-off reply cannot be parsed. */
  maxTokens?: number;
  /**
   * Told when a step degrades in a way the user should know about (a reply cut off at the token budget and asked
   * again with a larger one). Default: nothing.
   */
  onNotice?: (message: string) => void;
  /**
   * Drop replies that stayed invalid from the call cache, so a later run asks again (edit, batch). Off where a
   * replay must be exact, invalid replies included (eval).
   */
  forgetUnusableReplies?: boolean;
}

/** The JSON each step must return, restated in the corrective re-ask. */
export const REPLY_SHAPES: Record<TemplateName, string> = {
  think:
    '{"instruction": string or null (null only when "ops" cover the whole request), "changed": boolean, "rationale": string, "scope": "local" or "global", "ops": [exact operation objects, or []]}',
  describe: '{"target_description": string}',
  assess:
    '{"meets_instruction": "yes" or "partial" or "no", "major_conflicts": integer >= 0, "minor_conflicts": integer >= 0, "hallucinations": integer >= 0, "omissions": integer >= 0, "raw_score": number 0-10, "reason": string}',
  conclude:
    '{"think": string, "verdict": "success" or "refine" or "failed", "refined_instruction": string (required for "refine") or null, "unintended_changes": [strings]}',
  "score-sc": '{"score": [number 0-10, number 0-10], "reasoning": string}',
  "score-pq": '{"score": [number 0-10, number 0-10], "reasoning": string}',
};

/** The zod schema each template's reply is validated with. */
export const REPLY_SCHEMAS = {
  think: ThinkReplySchema,
  describe: DescribeReplySchema,
  assess: AssessReplySchema,
  conclude: ConcludeReplySchema,
  "score-sc": ScoreReplySchema,
  "score-pq": ScoreReplySchema,
} as const satisfies Record<TemplateName, z.ZodType>;

interface StepSpec<S extends z.ZodType> {
  step: ReasoningStep;
  schema: S;
  vars: TemplateVars;
  images: Picture[];
  /** Rules zod cannot see because they depend on the input. */
  check?: (reply: z.output<S>) => string | undefined;
}

const jsonSchemaCache = new Map<z.ZodType, Record<string, unknown>>();

function jsonSchemaOf(schema: z.ZodType): Record<string, unknown> {
  let json = jsonSchemaCache.get(schema);
  if (json === undefined) jsonSchemaCache.set(schema, (json = z.toJSONSchema(schema) as Record<string, unknown>));
  return json;
}

function sumUsage(responses: readonly ChatResponse[]): TokenUsage {
  return responses.reduce(
    (sum, { usage }) => ({ prompt: sum.prompt + usage.prompt, completion: sum.completion + usage.completion, total: sum.total + usage.total }),
    { prompt: 0, completion: 0, total: 0 },
  );
}

function percent(share: number): string {
  return `${(share * 100).toFixed(1)}%`;
}

/** The change map's numbers in words, for conclude's {{evidence}}. */
export function describeEvidence(evidence: ChangeEvidence, maxRegions = 6): string {
  const changed = `${percent(evidence.changedShare)} of the pixels changed.`;
  if (evidence.boxes.length === 0) return `${changed} No changed region stands out.`;
  const regions = evidence.boxes
    .slice(0, maxRegions)
    .map((box) => `left ${box.left.toFixed(2)}, top ${box.top.toFixed(2)}, width ${box.width.toFixed(2)}, height ${box.height.toFixed(2)} (${percent(box.share)} of the image)`);
  const rest = evidence.boxes.length - regions.length;
  const more = rest > 0 ? `; and ${rest} smaller region${rest > 1 ? "s" : ""}` : "";
  return `${changed} Changed regions, as fractions of the image's width and height from its top-left corner, largest first: ${regions.join("; ")}${more}.`;
}

function checkThink(reply: ThinkReply, request: string, allowOps: boolean, opsBounds: OpsBounds | undefined): string | undefined {
  const tooLarge = allowOps && reply.ops && opsBounds ? opsProblem(reply.ops, opsBounds) : undefined;
  if (tooLarge) return tooLarge;
  if (reply.instruction === null) {
    if (!allowOps) return "instruction: must be the edit instruction; exact operations are off, so it can never be null";
    return reply.ops?.length ? undefined : 'instruction: null is allowed only when "ops" cover the whole request, and "ops" is empty';
  }
  const mismatch = languageMismatch(request, reply.instruction);
  return mismatch === undefined ? undefined : `instruction: ${mismatch}`;
}

/** The first request plus the model's own bad reply and what was wrong with it. */
function withReask(request: ChatRequest, badReply: string, error: string, template: TemplateName): ChatRequest {
  const correction =
    `Your reply could not be used: ${error}.\n` +
    `Answer again with only one JSON object, no other text, in this shape:\n${REPLY_SHAPES[template]}`;
  const messages: ChatMessage[] = [...request.messages, { role: "assistant", content: badReply }, { role: "user", content: correction }];
  return { ...request, messages };
}

export class MllmReasoner implements Reasoner {
  private readonly chat: ChatModel;
  private readonly prompts: PromptSet;
  private readonly encodeImage: (picture: Picture) => Promise<string>;
  private readonly temperature: number;
  private readonly maxTokens: number;
  private readonly forgetUnusableReplies: boolean;
  private readonly onNotice: (message: string) => void;

  constructor(options: MllmReasonerOptions) {
    this.chat = options.chat;
    this.prompts = options.prompts;
    this.encodeImage = options.encodeImage;
    this.temperature = options.temperature ?? 0.2;
    this.maxTokens = options.maxTokens ?? 1024;
    this.forgetUnusableReplies = options.forgetUnusableReplies ?? false;
    this.onNotice = options.onNotice ?? (() => {});
  }

  think(input: ThinkInput, signal?: AbortSignal): Promise<StepCall<ThinkReply>> {
    const vars = { instruction: input.instruction, language: languageOf(input.instruction), ops: input.allowOps ? "on" : "" };
    const check = (reply: ThinkReply) => checkThink(reply, input.instruction, input.allowOps, input.opsBounds);
    return this.run({ step: "think", schema: REPLY_SCHEMAS.think, vars, images: [input.source], check }, signal);
  }

  describe(input: DescribeInput, signal?: AbortSignal): Promise<StepCall<DescribeReply>> {
    return this.run({ step: "describe", schema: REPLY_SCHEMAS.describe, vars: { instruction: input.instruction }, images: [input.source] }, signal);
  }

  assess(input: AssessInput, signal?: AbortSignal): Promise<StepCall<AssessReply>> {
    const vars = { instruction: input.instruction, description: input.description };
    return this.run({ step: "assess", schema: REPLY_SCHEMAS.assess, vars, images: [input.edited] }, signal);
  }

  conclude(input: ConcludeInput, signal?: AbortSignal): Promise<StepCall<ConcludeReply>> {
    const vars = {
      instruction: input.instruction,
      correction: input.correction ?? "",
      score: input.assessment === undefined ? "" : String(Number(input.assessment.score.toFixed(2))),
      reason: input.assessment?.reason ?? "",
      evidence: input.evidence === undefined ? "" : describeEvidence(input.evidence),
    };
    const images = input.evidence === undefined ? [input.source, input.edited] : [input.source, input.edited, input.evidence.heatmap];
    return this.run({ step: "conclude", schema: REPLY_SCHEMAS.conclude, vars, images }, signal);
  }

  scoreSemantics(input: ScoreInput, signal?: AbortSignal): Promise<StepCall<ScoreReply>> {
    return this.run({ step: "score_sc", schema: REPLY_SCHEMAS["score-sc"], vars: { instruction: input.instruction }, images: [input.source, input.edited] }, signal);
  }

  scoreQuality(input: ScoreInput, signal?: AbortSignal): Promise<StepCall<ScoreReply>> {
    return this.run({ step: "score_pq", schema: REPLY_SCHEMAS["score-pq"], vars: { instruction: input.instruction }, images: [input.edited] }, signal);
  }

  private async buildMessages(spec: StepSpec<z.ZodType>): Promise<ChatMessage[]> {
    const { system, user } = renderTemplate(this.prompts[TEMPLATE_OF[spec.step]], spec.vars);
    const urls = await Promise.all(spec.images.map((picture) => this.encodeImage(picture)));
    const content: ChatContentPart[] = [{ type: "text", text: user }, ...urls.map((url) => ({ type: "image_url" as const, image_url: { url } }))];
    const userMessage: ChatMessage = { role: "user", content };
    return system === undefined ? [userMessage] : [{ role: "system", content: system }, userMessage];
  }

  private validate<S extends z.ZodType>(spec: StepSpec<S>, text: string): ParseResult<z.output<S>> {
    return parseReply(text, spec.schema, spec.check);
  }

  private async run<S extends z.ZodType>(spec: StepSpec<S>, signal?: AbortSignal): Promise<StepCall<z.output<S>>> {
    const started = performance.now();
    const template = TEMPLATE_OF[spec.step];
    const request: ChatRequest = {
      messages: await this.buildMessages(spec),
      jsonSchema: { name: template, schema: jsonSchemaOf(spec.schema) },
      temperature: this.temperature,
      maxTokens: this.maxTokens,
    };
    const asked: ChatRequest[] = [request];
    const responses = [await this.chat.complete(request, signal)];
    let outcome = this.validate(spec, responses[0]!.text);
    const roomier = largerBudget(this.maxTokens);
    if (!outcome.ok && wasCutOff(responses[0]!) && roomier > this.maxTokens) {
      // The model ran out of budget (often while reasoning): the same question with more room, not a correction.
      const larger = { ...request, maxTokens: roomier };
      this.onNotice(`${template} reply from ${this.chat.id} was ${cutOffNote(responses[0]!, this.maxTokens)}; asking again with max_tokens ${larger.maxTokens}`);
      asked.push(larger);
      responses.push(await this.chat.complete(larger, signal));
      outcome = this.validate(spec, responses.at(-1)!.text);
    }
    if (!outcome.ok && !wasCutOff(responses.at(-1)!)) {
      const last = responses.at(-1)!;
      const reask = withReask(asked.at(-1)!, last.text, outcome.error, template);
      asked.push(reask);
      responses.push(await this.chat.complete(reask, signal));
      outcome = this.validate(spec, responses.at(-1)!.text);
    }
    if (!outcome.ok) {
      // A cached refusal would fail every later edit the same way; drop them all so the next run asks again.
      if (this.forgetUnusableReplies) await Promise.all(asked.map((sent) => this.chat.forget?.(sent)));
      const spent = { attempts: responses.length, usage: sumUsage(responses), cached: responses.every((response) => response.cached === true) };
      throw this.invalidReplyError(template, outcome.error, responses.at(-1)!, asked.at(-1)!.maxTokens ?? this.maxTokens, spent);
    }
    return {
      reply: outcome.value,
      promptId: this.prompts[template].promptId,
      usage: sumUsage(responses),
      ms: Math.round(performance.now() - started),
      attempts: responses.length,
      cached: responses.every((response) => response.cached === true),
    };
  }

  private invalidReplyError(step: TemplateName, error: string, last: ChatResponse, budget: number, spent: CallSpend): ReasonEditError {
    if (wasCutOff(last)) {
      return new ReasonEditError("model_reply_invalid", `${step} reply from ${this.chat.id} was ${cutOffNote(last, budget)}: ${error}`, {
        hint: "Raise --max-tokens (REASONEDIT_MAX_TOKENS, or maxTokens in the config file), or turn the model's thinking off or down on the server.",
        spent,
      });
    }
    const template = this.prompts[step];
    const hint = template.builtIn
      ? `The model did not return the JSON the ${step} step needs. Try a stronger --mllm model (an instruction-tuned vision model that can follow a JSON format).`
      : `The model did not return the JSON the ${step} step needs. Check that ${template.file} asks for exactly these fields: ${REPLY_SHAPES[step]} — or try a stronger --mllm model.`;
    return new ReasonEditError("model_reply_invalid", `${step} reply from ${this.chat.id} was not valid after one corrective re-ask: ${error}`, { hint, spent });
  }
}

/** finish_reason "length": the server stopped at max_tokens, so the reply may end mid-object or before any answer. */
function wasCutOff(response: ChatResponse): boolean {
  return response.finishReason === "length";
}

function cutOffNote(response: ChatResponse, budget: number): string {
  const where = response.text.trim() === "" ? " before any answer (the budget went to reasoning)" : "";
  return `cut off at max_tokens ${budget}${where}`;
}

/** Enough room for a reasoning model's thinking before its JSON; capped so one re-ask cannot cost without bound. */
export function largerBudget(budget: number): number {
  return Math.min(Math.max(budget * 4, 4096), 32_768);
}
