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
import { parseReply, validateReply, type ParseResult } from "./parse-reply.js";
import { readPlainText, readTaggedConclusion } from "./parse-tags.js";
import {
  renderTemplate,
  TAGS_TEMPLATE_NAMES,
  TEMPLATE_OF,
  type PromptName,
  type PromptSet,
  type ReasoningStep,
  type ReplyFormat,
  type TagsTemplateName,
  type TemplateName,
  type TemplateVars,
} from "./prompt-templates.js";

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
  /**
   * "json" (default): every step answers JSON, with response_format where the server takes it. "tags": the released
   * ReasonEdit reasoner's own formats, so its tuned model can answer as it was trained: think in plain text, conclude
   * in <#Think> … <#Success> | <#Reflection> text | <#Failed> tags, images before the text, and no response_format
   * at all (describe, assess and the scores still answer JSON, which the release also asks of them).
   */
  replyFormat?: ReplyFormat;
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

/** What the corrective re-ask restates for the tags templates: their formats in words. */
export const TAGS_REPLY_SHAPES: Record<TagsTemplateName, string> = {
  "think-tags": "only the rewritten edit instruction, as plain text: no JSON, no tags, no other text",
  "describe-tags": "only the description of the target image, as plain text: no JSON, no tags, no other text",
  "conclude-tags":
    "exactly one of these formats and nothing else:\n<#Think> your reasoning <#Success>\n<#Think> your reasoning <#Reflection> the second edit instruction\n<#Think> your reasoning <#Failed>",
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

interface StepSpec<T> {
  step: ReasoningStep;
  template: PromptName;
  vars: TemplateVars;
  images: Picture[];
  /** The reply's text to the step's validated reply, or what is wrong with it (worded to quote back to the model). */
  read: (text: string) => ParseResult<T>;
  /** Sent as response_format where the server supports it; absent for the plain-text and tagged replies. */
  jsonSchema?: { name: string; schema: Record<string, unknown> };
  /** The corrective re-ask's second sentence: what to answer instead. */
  answerAgain: string;
  /** What the step's reply must be, for the error a user sees. */
  needs: string;
  /** Images before the text, as the released pipeline sends them to its reasoner. */
  imagesFirst: boolean;
  /** Plain text and tags read fine when cut off mid-sentence, so a reply stopped at max_tokens must not be used. */
  wholeReplyOnly?: boolean;
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

/** Checks a value read from a plain-text or tagged reply with the step's schema, as a JSON reply is checked. */
function validated<S extends z.ZodType>(
  read: ParseResult<Record<string, unknown>>,
  schema: S,
  check?: (reply: z.output<S>) => string | undefined,
): ParseResult<z.output<S>> {
  return read.ok ? validateReply(read.value, schema, check) : read;
}

/** The first request plus the model's own bad reply and what was wrong with it. */
function withReask(request: ChatRequest, badReply: string, error: string, answerAgain: string): ChatRequest {
  const correction = `Your reply could not be used: ${error}.\n${answerAgain}`;
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
  private readonly replyFormat: ReplyFormat;

  constructor(options: MllmReasonerOptions) {
    this.chat = options.chat;
    this.prompts = options.prompts;
    this.encodeImage = options.encodeImage;
    this.temperature = options.temperature ?? 0.2;
    this.maxTokens = options.maxTokens ?? 1024;
    this.forgetUnusableReplies = options.forgetUnusableReplies ?? false;
    this.onNotice = options.onNotice ?? (() => {});
    this.replyFormat = options.replyFormat ?? "json";
  }

  think(input: ThinkInput, signal?: AbortSignal): Promise<StepCall<ThinkReply>> {
    if (this.replyFormat === "tags") return this.thinkInPlainText(input, signal);
    const vars = { instruction: input.instruction, language: languageOf(input.instruction), ops: input.allowOps ? "on" : "" };
    const check = (reply: ThinkReply) => checkThink(reply, input.instruction, input.allowOps, input.opsBounds);
    return this.run(this.jsonSpec("think", REPLY_SCHEMAS.think, vars, [input.source], check), signal);
  }

  describe(input: DescribeInput, signal?: AbortSignal): Promise<StepCall<DescribeReply>> {
    if (this.replyFormat === "tags") return this.describeInPlainText(input, signal);
    return this.run(this.jsonSpec("describe", REPLY_SCHEMAS.describe, { instruction: input.instruction }, [input.source]), signal);
  }

  assess(input: AssessInput, signal?: AbortSignal): Promise<StepCall<AssessReply>> {
    const vars = { instruction: input.instruction, description: input.description };
    // The release sends assess its text before the image, unlike its other steps.
    return this.run({ ...this.jsonSpec("assess", REPLY_SCHEMAS.assess, vars, [input.edited]), imagesFirst: false }, signal);
  }

  conclude(input: ConcludeInput, signal?: AbortSignal): Promise<StepCall<ConcludeReply>> {
    const vars = {
      instruction: input.instruction,
      correction: input.correction ?? "",
      score: input.assessment === undefined ? "" : String(Number(input.assessment.score.toFixed(2))),
      reason: input.assessment?.reason ?? "",
      evidence: input.evidence === undefined ? "" : describeEvidence(input.evidence),
    };
    if (this.replyFormat === "tags") return this.concludeInTags(input, vars, signal);
    const images = input.evidence === undefined ? [input.source, input.edited] : [input.source, input.edited, input.evidence.heatmap];
    return this.run(this.jsonSpec("conclude", REPLY_SCHEMAS.conclude, vars, images), signal);
  }

  scoreSemantics(input: ScoreInput, signal?: AbortSignal): Promise<StepCall<ScoreReply>> {
    return this.run(this.jsonSpec("score_sc", REPLY_SCHEMAS["score-sc"], { instruction: input.instruction }, [input.source, input.edited]), signal);
  }

  scoreQuality(input: ScoreInput, signal?: AbortSignal): Promise<StepCall<ScoreReply>> {
    return this.run(this.jsonSpec("score_pq", REPLY_SCHEMAS["score-pq"], { instruction: input.instruction }, [input.edited]), signal);
  }

  /** The released think: the rewritten instruction as plain text, which replaces the request downstream. No exact ops. */
  private thinkInPlainText(input: ThinkInput, signal?: AbortSignal): Promise<StepCall<ThinkReply>> {
    const vars = { instruction: input.instruction, language: languageOf(input.instruction) };
    const read = (text: string) => {
      const instruction = readPlainText(text);
      const reply = instruction.ok ? { ok: true as const, value: { instruction: instruction.value, changed: instruction.value !== input.instruction.trim() } } : instruction;
      return validated(reply, REPLY_SCHEMAS.think, (value) => checkThink(value, input.instruction, false, undefined));
    };
    return this.run(this.tagsSpec("think", "think-tags", vars, [input.source], read), signal);
  }

  /** The released target description: plain text, as its describer answers. */
  private describeInPlainText(input: DescribeInput, signal?: AbortSignal): Promise<StepCall<DescribeReply>> {
    const vars = { instruction: input.instruction, language: languageOf(input.instruction) };
    const read = (text: string) => {
      const description = readPlainText(text);
      return validated(description.ok ? { ok: true as const, value: { target_description: description.value } } : description, REPLY_SCHEMAS.describe);
    };
    return this.run(this.tagsSpec("describe", "describe-tags", vars, [input.source], read), signal);
  }

  /**
   * The released reflection: two images (no change map: the tuned reasoner was trained on the source and the result
   * alone) and a tagged verdict. Unusable after the re-ask, the loop counts the round as failed and re-rolls from the
   * source, as the release does with its canned <#Failed>.
   */
  private concludeInTags(input: ConcludeInput, vars: TemplateVars, signal?: AbortSignal): Promise<StepCall<ConcludeReply>> {
    const read = (text: string) => {
      const tagged = readTaggedConclusion(text);
      const reply = tagged.ok ? { ok: true as const, value: { verdict: tagged.value.verdict, think: tagged.value.think, refined_instruction: tagged.value.refined_instruction } } : tagged;
      return validated(reply, REPLY_SCHEMAS.conclude);
    };
    return this.run(this.tagsSpec("conclude", "conclude-tags", vars, [input.source, input.edited], read), signal);
  }

  private jsonSpec<S extends z.ZodType>(
    step: ReasoningStep,
    schema: S,
    vars: TemplateVars,
    images: Picture[],
    check?: (reply: z.output<S>) => string | undefined,
  ): StepSpec<z.output<S>> {
    const template = TEMPLATE_OF[step];
    const tags = this.replyFormat === "tags";
    return {
      step,
      template,
      vars,
      images,
      read: (text) => parseReply(text, schema, check),
      // A server for the released reasoner needs no grammar, and vLLM's refuses some of these schemas' keywords.
      ...(tags ? {} : { jsonSchema: { name: template, schema: jsonSchemaOf(schema) } }),
      answerAgain: `Answer again with only one JSON object, no other text, in this shape:\n${REPLY_SHAPES[template]}`,
      needs: "the JSON",
      imagesFirst: tags,
    };
  }

  private tagsSpec<T>(step: ReasoningStep, template: TagsTemplateName, vars: TemplateVars, images: Picture[], read: (text: string) => ParseResult<T>): StepSpec<T> {
    const needs = template === "conclude-tags" ? "the <#Think> … <#Success> | <#Reflection> | <#Failed> reply" : "the plain-text answer";
    return { step, template, vars, images, read, answerAgain: `Answer again with ${TAGS_REPLY_SHAPES[template]}`, needs, imagesFirst: true, wholeReplyOnly: true };
  }

  private async buildMessages(spec: StepSpec<unknown>): Promise<ChatMessage[]> {
    const { system, user } = renderTemplate(this.prompts[spec.template], spec.vars);
    const urls = await Promise.all(spec.images.map((picture) => this.encodeImage(picture)));
    const images = urls.map((url) => ({ type: "image_url" as const, image_url: { url } }));
    const text: ChatContentPart = { type: "text", text: user };
    const content: ChatContentPart[] = spec.imagesFirst ? [...images, text] : [text, ...images];
    const userMessage: ChatMessage = { role: "user", content };
    return system === undefined ? [userMessage] : [{ role: "system", content: system }, userMessage];
  }

  private async run<T>(spec: StepSpec<T>, signal?: AbortSignal): Promise<StepCall<T>> {
    const started = performance.now();
    const template = spec.template;
    const request: ChatRequest = {
      messages: await this.buildMessages(spec),
      ...(spec.jsonSchema ? { jsonSchema: spec.jsonSchema } : {}),
      temperature: this.temperature,
      maxTokens: this.maxTokens,
    };
    const asked: ChatRequest[] = [request];
    const responses = [await this.chat.complete(request, signal)];
    let outcome = readResponse(spec, responses[0]!);
    const roomier = largerBudget(this.maxTokens);
    if (!outcome.ok && wasCutOff(responses[0]!) && roomier > this.maxTokens) {
      // The model ran out of budget (often while reasoning): the same question with more room, not a correction.
      const larger = { ...request, maxTokens: roomier };
      this.onNotice(`${template} reply from ${this.chat.id} was ${cutOffNote(responses[0]!, this.maxTokens)}; asking again with max_tokens ${larger.maxTokens}`);
      asked.push(larger);
      responses.push(await this.chat.complete(larger, signal));
      outcome = readResponse(spec, responses.at(-1)!);
    }
    if (!outcome.ok && !wasCutOff(responses.at(-1)!)) {
      const last = responses.at(-1)!;
      const reask = withReask(asked.at(-1)!, last.text, outcome.error, spec.answerAgain);
      asked.push(reask);
      responses.push(await this.chat.complete(reask, signal));
      outcome = readResponse(spec, responses.at(-1)!);
    }
    if (!outcome.ok) {
      // A cached refusal would fail every later edit the same way; drop them all so the next run asks again.
      if (this.forgetUnusableReplies) await Promise.all(asked.map((sent) => this.chat.forget?.(sent)));
      const spent = { attempts: responses.length, usage: sumUsage(responses), cached: responses.every((response) => response.cached === true) };
      throw this.invalidReplyError(spec, outcome.error, responses.at(-1)!, asked.at(-1)!.maxTokens ?? this.maxTokens, spent);
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

  private invalidReplyError(spec: StepSpec<unknown>, error: string, last: ChatResponse, budget: number, spent: CallSpend): ReasonEditError {
    const step = spec.template;
    if (wasCutOff(last)) {
      return new ReasonEditError("model_reply_invalid", `${step} reply from ${this.chat.id} was ${cutOffNote(last, budget)}: ${error}`, {
        hint: "Raise --max-tokens (REASONEDIT_MAX_TOKENS, or maxTokens in the config file), or turn the model's thinking off or down on the server.",
        spent,
      });
    }
    const template = this.prompts[step];
    const hint = invalidReplyHint(spec, template.builtIn ? undefined : template.file);
    return new ReasonEditError("model_reply_invalid", `${step} reply from ${this.chat.id} was not valid after one corrective re-ask: ${error}`, { hint, spent });
  }
}

function readResponse<T>(spec: StepSpec<T>, response: ChatResponse): ParseResult<T> {
  if (spec.wholeReplyOnly && wasCutOff(response)) return { ok: false, error: "the reply stopped at max_tokens before it ended, so its text may be cut short" };
  return spec.read(response.text);
}

function isTagsTemplate(name: PromptName): name is TagsTemplateName {
  return (TAGS_TEMPLATE_NAMES as readonly string[]).includes(name);
}

function invalidReplyHint(spec: StepSpec<unknown>, customFile: string | undefined): string {
  const missed = `The model did not return ${spec.needs} the ${spec.template} step needs.`;
  if (isTagsTemplate(spec.template)) {
    const shape = TAGS_REPLY_SHAPES[spec.template];
    const where = customFile === undefined ? "" : ` Check that ${customFile} asks for ${shape.split(":\n")[0]}.`;
    return `${missed}${where} --reply-format tags is meant for the released ReasonEdit reasoner; other models do better with --reply-format json.`;
  }
  if (customFile === undefined) return `${missed} Try a stronger --mllm model (an instruction-tuned vision model that can follow a JSON format).`;
  return `${missed} Check that ${customFile} asks for exactly these fields: ${REPLY_SHAPES[spec.template]} — or try a stronger --mllm model.`;
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
