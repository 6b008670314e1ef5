// An Editor that answers from the call cache when it can and stores what the inner editor returns.
import type { EditOutcome, EditRequest, Editor } from "../loop/types.js";
import { editCallKey, type EditCallKey } from "./cache-key.js";
import { offlineMissError, type CallCache } from "./call-cache.js";

/**
 * `editorId` names model + route (provider or URL); `params` holds every other editor setting that changes
 * the output (steps, guidance, negative prompt…), since both are part of the cache key.
 * Hit: the stored image, byte for byte, with `cached: true` and `ms: 0` — ms is what this call took, so replayed
 * runs report replay time, not the original editor's.
 * Miss: calls `inner` and stores its image (read-write) or throws cache_miss (offline). Mode off: `inner` itself.
 * A caller that joins an identical edit already in flight also gets `cached: true` and `ms: 0`.
 * Errors are never stored, so the next identical call asks the editor again.
 */
export function cachingEditor(inner: Editor, editorId: string, cache: CallCache, params: Record<string, unknown> = {}): Editor {
  if (cache.mode === "off") return inner;
  return {
    async edit(request: EditRequest, signal?: AbortSignal): Promise<EditOutcome> {
      const key = editCallKey(editorId, request, params);
      const { value, shared } = await cache.singleFlight(key, signal, (flightSignal) => answer(inner, editorId, cache, key, request, flightSignal));
      return shared ? { ...value, ms: 0, cached: true } : value;
    },
  };
}

async function answer(
  inner: Editor,
  editorId: string,
  cache: CallCache,
  key: EditCallKey,
  request: EditRequest,
  signal: AbortSignal,
): Promise<EditOutcome> {
  const stored = await cache.readEdit(key);
  if (stored) return { image: stored.image, ms: 0, cached: true };
  if (cache.mode === "offline") throw offlineMissError("edit", editorId);
  const outcome = await inner.edit(request, signal);
  await cache.writeEdit(key, outcome);
  return outcome;
}
