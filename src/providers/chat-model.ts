// The port between reasoning and any chat-completions server: one request in, text and usage out.
import type { TokenUsage } from "../loop/types.js";

export type ChatContentPart = { type: "text"; text: string } | { type: "image_url"; image_url: { url: string } };

export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string | ChatContentPart[];
}

export interface ChatRequest {
  messages: ChatMessage[];
  /** Sent as response_format json_schema where the server supports it; replies are validated regardless. */
  jsonSchema?: { name: string; schema: Record<string, unknown> };
  maxTokens?: number;
  temperature?: number;
  seed?: number;
}

export interface ChatResponse {
  text: string;
  usage: TokenUsage;
  /** The server's finish_reason: "stop", or "length" when the reply was cut off at maxTokens. */
  finishReason?: string;
  /** True when the answer came from the call cache rather than the network. */
  cached?: boolean;
}

/** Something the model's server made us do without, for the rest of the run: said once, and kept in run records. */
export interface Degradation {
  kind: "response_format_dropped";
  /** The model's route id, as in run records' `models`. */
  model: string;
  provider: string;
  /** What was given up, and the server's own reason. */
  message: string;
}

export interface ChatModel {
  /** Identifies model + route (provider or URL) for logs, run records and cache keys. Never contains a token. */
  readonly id: string;
  complete(request: ChatRequest, signal?: AbortSignal): Promise<ChatResponse>;
  /** What this model has had to do without so far in this run (none: an empty list). */
  degradations?(): readonly Degradation[];
  /** Drops a stored answer to `request` that proved unusable, so the next run asks the model again. */
  forget?(request: ChatRequest): Promise<void>;
}
