// ChatModel over @huggingface/inference chatCompletion: Inference Providers (router) or any OpenAI-compatible URL.
import { InferenceClient } from "@huggingface/inference";
import { ReasonEditError } from "../errors.js";
import type { TokenUsage } from "../loop/types.js";
import type { ChatModel, ChatRequest, ChatResponse, Degradation } from "./chat-model.js";
import type { ProviderRole } from "./error-mapping.js";
import { callProvider, callSettingsFor } from "./provider-call.js";
import type { HostedModelOptions } from "./hosted-model-options.js";
import { routeId } from "./route.js";

export interface ChatModelOptions extends HostedModelOptions {
  /** Names the flags in hints: --mllm-provider, --judge-url… Defaults to "mllm". */
  role?: ProviderRole;
}

type ChatCompletionInput = Parameters<InferenceClient["chatCompletion"]>[0];
type ChatCompletionOutput = Awaited<ReturnType<InferenceClient["chatCompletion"]>>;

const FORMAT_REJECTION = /response_format|json_schema|structured output|guided_json|grammar/i;

export function createChatModel(options: ChatModelOptions): ChatModel {
  const custom = options.url !== undefined;
  const token = custom ? options.apiKey : options.hfToken;
  const client = new InferenceClient(token, { retry_on_error: false });
  const settings = { ...callSettingsFor(options, options.role ?? "mllm"), maxBodyBytes: MAX_CHAT_ANSWER_BYTES };
  const suffixProvider = options.url === undefined && options.provider === "auto" ? routerSuffix(options.model) : undefined;
  let acceptsResponseFormat = true;
  const degradations: Degradation[] = [];

  const send = (request: ChatRequest, withFormat: boolean, signal?: AbortSignal): Promise<ChatResponse> =>
    callProvider(settings, signal, async (scope) => {
      if (suffixProvider) scope.nameProvider(suffixProvider);
      const output = await client.chatCompletion(chatArgs(options, request, withFormat), {
        signal: scope.signal,
        fetch: scope.fetch,
        retry_on_error: false,
        billTo: custom ? undefined : options.billTo,
      });
      return readReply(output, settings.context.provider);
    });

  const id = routeId(options.model, options.provider, options.url);
  return {
    id,
    degradations: () => degradations,
    async complete(request, signal) {
      const withFormat = acceptsResponseFormat && request.jsonSchema !== undefined;
      try {
        return await send(request, withFormat, signal);
      } catch (error) {
        if (!withFormat || !isFormatRejection(error)) throw error;
        acceptsResponseFormat = false;
        // Once per model and run: replies are still validated, but the server no longer constrains them.
        const provider = error.provider ?? settings.context.provider;
        const message = `${provider} rejected response_format json_schema (${serverReason(error)}); asking ${options.model} without it from now on, replies are still checked`;
        degradations.push({ kind: "response_format_dropped", model: id, provider, message });
        options.logger.warn({ provider, model: options.model, status: error.status }, message);
        return send(request, false, signal);
      }
    },
  };
}

/** A chat reply is text: even a long reasoning trace is far below this. */
export const MAX_CHAT_ANSWER_BYTES = 8 * 1024 * 1024;

/** "<id>:novita" pins a provider through the router; ":fastest", ":cheapest" and ":preferred" are policies. */
function routerSuffix(model: string): string | undefined {
  const suffix = model.split(":")[1];
  return suffix && !["fastest", "cheapest", "preferred"].includes(suffix) ? suffix : undefined;
}

/** The server's own words, from "<who> answered 400: <words>". */
function serverReason(error: ReasonEditError): string {
  const said = /answered \d{3}: (.*)$/s.exec(error.message)?.[1] ?? error.message;
  return said.length > 200 ? `${said.slice(0, 200)}…` : said;
}

function chatArgs(options: ChatModelOptions, request: ChatRequest, withFormat: boolean): ChatCompletionInput & Record<string, unknown> {
  const route = options.url !== undefined ? { endpointUrl: options.url } : { provider: options.provider };
  return {
    model: options.model,
    ...route,
    messages: request.messages,
    ...(withFormat && request.jsonSchema
      ? { response_format: { type: "json_schema", json_schema: request.jsonSchema } }
      : {}),
    ...(request.maxTokens !== undefined ? { max_tokens: request.maxTokens } : {}),
    ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
    ...(request.seed !== undefined ? { seed: request.seed } : {}),
  } as ChatCompletionInput & Record<string, unknown>;
}

function readReply(output: ChatCompletionOutput, provider: string): ChatResponse {
  const choice: unknown = Array.isArray(output?.choices) ? output.choices[0] : undefined;
  if (typeof choice !== "object" || choice === null) {
    throw new ReasonEditError("provider_output", `${provider} answered without any choice (no choices[0] in the reply)`, {
      provider,
      hint: "The server may not speak the OpenAI chat-completions format: check the URL or the provider.",
    });
  }
  const { message, finish_reason: finishReason } = choice as { message?: Record<string, unknown>; finish_reason?: unknown };
  const usage = readUsage(output?.usage);
  const finish = typeof finishReason === "string" ? { finishReason } : {};
  const text = contentText(message?.content);
  if (text.trim() !== "") return { text, usage, ...finish };
  // With a reasoning parser that does not match the model, the answer lands in the reasoning field (vLLM, llama.cpp
  // --reasoning-format deepseek, Ollama). A reply cut off at max_tokens holds only thoughts there: not an answer.
  const reasoning = firstText(message?.reasoning_content, message?.reasoning);
  if (reasoning !== undefined && finishReason !== "length") return { text: reasoning, usage, ...finish };
  return { text: "", usage, ...finish };
}

/** Content as a string, or as parts (Mistral's Magistral: thinking parts, then text parts): only the text parts. */
function contentText(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content
    .map((part: unknown) => {
      const { type, text } = (part ?? {}) as { type?: unknown; text?: unknown };
      return (type === undefined || type === "text") && typeof text === "string" ? text : "";
    })
    .join("");
}

function firstText(...values: unknown[]): string | undefined {
  return values.find((value): value is string => typeof value === "string" && value.trim() !== "");
}

function readUsage(usage: unknown): TokenUsage {
  const record = (typeof usage === "object" && usage !== null ? usage : {}) as Record<string, unknown>;
  const count = (key: string) => (typeof record[key] === "number" ? (record[key] as number) : 0);
  const prompt = count("prompt_tokens");
  const completion = count("completion_tokens");
  return { prompt, completion, total: count("total_tokens") || prompt + completion };
}

function isFormatRejection(error: unknown): error is ReasonEditError {
  return (
    ReasonEditError.is(error) &&
    error.code === "provider_bad_request" &&
    (error.status === 400 || error.status === 422) &&
    FORMAT_REJECTION.test(error.message)
  );
}
