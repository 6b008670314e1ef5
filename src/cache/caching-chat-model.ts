// A ChatModel that answers from the call cache when it can and stores what the inner model says.
import type { ChatModel, ChatRequest, ChatResponse } from "../providers/chat-model.js";
import { chatCallKey, type ChatCallKey } from "./cache-key.js";
import { offlineMissError, type CallCache } from "./call-cache.js";

/**
 * Hit: the stored text and usage with `cached: true` (usage is what the original call cost).
 * Miss: calls `inner` and stores its answer (read-write) or throws cache_miss (offline). Mode off: `inner` itself.
 * A caller that joins an identical call already in flight also gets `cached: true`: it paid for nothing.
 * Errors are never stored, so the next identical call asks the model again; nor, via `forget`, are replies the
 * reasoner could not use after its re-ask.
 */
export function cachingChatModel(inner: ChatModel, cache: CallCache): ChatModel {
  if (cache.mode === "off") return inner;
  return {
    id: inner.id,
    async complete(request: ChatRequest, signal?: AbortSignal): Promise<ChatResponse> {
      const key = chatCallKey(inner.id, request);
      const { value, shared } = await cache.singleFlight(key, signal, (flightSignal) => answer(inner, cache, key, request, flightSignal));
      return shared ? { ...value, cached: true } : value;
    },
    forget: (request: ChatRequest) => cache.forgetChat(chatCallKey(inner.id, request)),
    ...(inner.degradations ? { degradations: inner.degradations.bind(inner) } : {}),
  };
}

async function answer(inner: ChatModel, cache: CallCache, key: ChatCallKey, request: ChatRequest, signal: AbortSignal): Promise<ChatResponse> {
  const stored = await cache.readChat(key);
  if (stored) return { ...stored, cached: true };
  if (cache.mode === "offline") throw offlineMissError("chat", inner.id);
  const response = await inner.complete(request, signal);
  await cache.writeChat(key, response);
  return response;
}
