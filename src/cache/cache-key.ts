// What identifies a model call in the cache: everything that can change the answer, and nothing else.
import { createHash } from "node:crypto";
import type { ChatContentPart, ChatMessage, ChatRequest } from "../providers/chat-model.js";
import type { EditRequest } from "../loop/types.js";

/** Part of every key, so changing how keys or entries are shaped retires all older entries at once. */
export const CACHE_FORMAT_VERSION = 1;

export interface ChatCallKey {
  v: number;
  kind: "chat";
  model: string;
  messages: ChatMessage[];
  jsonSchema: ChatRequest["jsonSchema"] | null;
  maxTokens: number | null;
  temperature: number | null;
  seed: number | null;
}

export interface EditCallKey {
  v: number;
  kind: "edit";
  editor: string;
  image: { sha256: string; mimeType: string; width: number; height: number };
  instruction: string;
  seed: number;
  params: Record<string, unknown>;
}

export type CallKey = ChatCallKey | EditCallKey;
export type CallKind = CallKey["kind"];

export function sha256Hex(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/** JSON with object keys sorted at every depth, so equal values always hash alike. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

export function hashCallKey(key: CallKey): string {
  return sha256Hex(canonicalJson(key));
}

/** `modelId` is ChatModel.id: model plus provider or URL. */
export function chatCallKey(modelId: string, request: ChatRequest): ChatCallKey {
  return {
    v: CACHE_FORMAT_VERSION,
    kind: "chat",
    model: modelId,
    messages: request.messages.map(withImagesHashed),
    jsonSchema: request.jsonSchema ?? null,
    maxTokens: request.maxTokens ?? null,
    temperature: request.temperature ?? null,
    seed: request.seed ?? null,
  };
}

/** `params` holds every editor setting besides image, instruction and seed that changes the output. */
export function editCallKey(editorId: string, request: EditRequest, params: Record<string, unknown> = {}): EditCallKey {
  const { bytes, mimeType, width, height } = request.image;
  return {
    v: CACHE_FORMAT_VERSION,
    kind: "edit",
    editor: editorId,
    image: { sha256: sha256Hex(bytes), mimeType, width, height },
    instruction: request.instruction,
    seed: request.seed,
    params,
  };
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value !== "object" || value === null) return value;
  const record = value as Record<string, unknown>;
  return Object.fromEntries(
    Object.keys(record)
      .sort()
      .map((name) => [name, sortKeys(record[name])]),
  );
}

function withImagesHashed(message: ChatMessage): ChatMessage {
  if (typeof message.content === "string") return message;
  return { ...message, content: message.content.map(withImageHashed) };
}

// Keys stay small and readable, and two encodings of the same bytes (base64 line breaks, padding) hit alike.
function withImageHashed(part: ChatContentPart): ChatContentPart {
  if (part.type !== "image_url" || !part.image_url.url.startsWith("data:")) return part;
  const { mimeType, bytes } = decodeDataUrl(part.image_url.url);
  return { type: "image_url", image_url: { url: `data:${mimeType};sha256,${sha256Hex(bytes)}` } };
}

function decodeDataUrl(url: string): { mimeType: string; bytes: Uint8Array } {
  const comma = url.indexOf(",");
  const header = url.slice("data:".length, comma < 0 ? url.length : comma);
  const payload = comma < 0 ? "" : url.slice(comma + 1);
  const isBase64 = header.endsWith(";base64");
  const mimeType = (isBase64 ? header.slice(0, -";base64".length) : header).split(";")[0] ?? "";
  const bytes = isBase64 ? Buffer.from(payload, "base64") : Buffer.from(percentDecoded(payload), "utf8");
  return { mimeType, bytes };
}

function percentDecoded(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text; // malformed escapes: the raw text still identifies the image
  }
}
