// Wraps the fetches of one provider call to keep what the library's errors drop: the status, body and headers of a
// failed answer (Retry-After, the request id, the provider the router chose), and whether a POST was already
// accepted (so a queued, billable job is not resubmitted). It also caps every answer's size while it streams.
//
// @huggingface/inference uses its `fetch` option only for the Hub lookup and the first POST; fal's status and result
// polls and every media download go through the global fetch. So for the length of a call the global fetch is
// wrapped too, and an AsyncLocalStorage tells the wrapper which call a request belongs to.
import { AsyncLocalStorage } from "node:async_hooks";
import { ReasonEditError } from "../errors.js";
import { queueNewsOf, type CallListener } from "./call-news.js";

export interface RecordedFailure {
  status: number;
  retryAfterMs: number | undefined;
  requestId: string | undefined;
  /** The start of the answer's body (a few KB), as text. */
  body?: string;
  /** The URL without its query, e.g. "https://router.huggingface.co/fal-ai/fal-ai/qwen-image-edit/requests/abc". */
  url?: string;
}

export interface FetchRecorder {
  readonly fetch: typeof fetch;
  /** The last non-OK answer seen through this fetch or, during the call, the global one. */
  lastFailure(): RecordedFailure | undefined;
  /** True once a POST got a 2xx: the provider has the job and may bill for it. */
  accepted(): boolean;
  /** The provider the auto router said it used (x-inference-provider), when it said. */
  routedProvider(): string | undefined;
}

export interface RecorderOptions {
  /** Answers longer than this are refused while they stream (default 16 MiB). */
  maxBodyBytes?: number;
  /** Names the other side in the size error. */
  provider?: string;
  /** Told the provider the router says it chose, and what fal's queue answers say about waiting. */
  onNews?: CallListener;
}

const REQUEST_ID_HEADERS = ["x-request-id", "x-fal-request-id", "request-id", "x-amzn-requestid"];
const MAX_RETRY_AFTER_MS = 24 * 3600 * 1000;
const FAILURE_BODY_BYTES = 8 * 1024;
const DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024;
/** A queue answer is a few hundred bytes; more is not a queue status. */
const QUEUE_ANSWER_BYTES = 16 * 1024;

/** One recorder per attempt: calls may run concurrently on one client, and their failures must not mix. */
export function createFetchRecorder(baseFetch: typeof fetch = globalThis.fetch, options: RecorderOptions = {}): FetchRecorder {
  let failure: RecordedFailure | undefined;
  let wasAccepted = false;
  let routed: string | undefined;
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const observe = async (response: Response, input: RequestInfo | URL, init: RequestInit | undefined): Promise<Response> => {
    const router = response.headers.get("x-inference-provider");
    if (router && router !== routed) options.onNews?.({ provider: router });
    routed = router ?? routed;
    if (!response.ok) failure = await describeFailure(response, urlOf(input));
    else if ((init?.method ?? "GET").toUpperCase() === "POST") wasAccepted = true;
    if (response.ok && options.onNews && isQueueUrl(input)) await tellQueueNews(response, options.onNews);
    return capBody(response, maxBodyBytes, options.provider ?? hostOf(input));
  };
  const recorder: FetchRecorder = {
    // Outside the call's store, so the global wrapper (which baseFetch may reach) does not observe it a second time.
    fetch: async (input, init) => observe(await activeCall.exit(() => baseFetch(input, init)), input, init),
    lastFailure: () => failure,
    accepted: () => wasAccepted,
    routedProvider: () => routed,
  };
  observers.set(recorder, observe);
  return recorder;
}

// ---- the global fetch, during a call -------------------------------------------------------------------

type Observe = (response: Response, input: RequestInfo | URL, init: RequestInit | undefined) => Promise<Response>;
const observers = new WeakMap<FetchRecorder, Observe>();
const activeCall = new AsyncLocalStorage<Observe>();
let wrapped: { wrapper: typeof fetch; underlying: typeof fetch } | undefined;
let callsInFlight = 0;

/**
 * Runs `run` with the global fetch observed by `recorder` (requests made through `recorder.fetch` are not counted
 * twice). The wrapper is installed while any call runs and removed after the last, unless someone replaced it.
 */
export async function withGlobalFetchRecorded<T>(recorder: FetchRecorder, run: () => Promise<T>): Promise<T> {
  const observe = observers.get(recorder);
  if (observe === undefined) return run();
  installWrapper();
  try {
    return await activeCall.run(observe, run);
  } finally {
    removeWrapper();
  }
}

function installWrapper(): void {
  callsInFlight++;
  if (wrapped !== undefined && globalThis.fetch === wrapped.wrapper) return;
  const underlying = globalThis.fetch;
  const wrapper: typeof fetch = async (input, init) => {
    const observe = activeCall.getStore();
    const response = await underlying(input, init);
    return observe === undefined ? response : observe(response, input, init);
  };
  wrapped = { wrapper, underlying };
  globalThis.fetch = wrapper;
}

function removeWrapper(): void {
  callsInFlight--;
  if (callsInFlight > 0 || wrapped === undefined) return;
  if (globalThis.fetch === wrapped.wrapper) globalThis.fetch = wrapped.underlying;
  wrapped = undefined;
}

// ---- reading answers -------------------------------------------------------------------------------------

/** fal's queue, through the router (`?_subdomain=queue`) or direct (queue.fal.run): submit, status and result answers. */
function isQueueUrl(input: RequestInfo | URL): boolean {
  try {
    const url = new URL(typeof input === "string" ? input : input instanceof URL ? input.href : input.url);
    return url.searchParams.get("_subdomain") === "queue" || url.host === "queue.fal.run";
  } catch {
    return false;
  }
}

/** Reads a copy of the answer, so the library still gets the whole of it. */
async function tellQueueNews(response: Response, listener: CallListener): Promise<void> {
  let body: unknown;
  try {
    body = JSON.parse(await peekText(response.clone(), QUEUE_ANSWER_BYTES));
  } catch {
    return; // not JSON, or cut short: the library will say what is wrong with it
  }
  const news = queueNewsOf(body);
  if (news) listener(news);
}

async function describeFailure(response: Response, url: string): Promise<RecordedFailure> {
  return {
    status: response.status,
    retryAfterMs: parseRetryAfter(response.headers.get("retry-after-ms"), response.headers.get("retry-after")),
    requestId: REQUEST_ID_HEADERS.map((name) => response.headers.get(name)).find((value) => !!value) ?? undefined,
    body: await peekText(response.clone(), FAILURE_BODY_BYTES),
    url,
  };
}

/** The first `limit` bytes of a body, without waiting for the rest (an error page may never end). */
async function peekText(response: Response, limit: number): Promise<string> {
  const reader = response.body?.getReader();
  if (reader === undefined) return "";
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < limit) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } catch {
    // a body cut short still says what it said so far
  } finally {
    reader.cancel().catch(() => {});
  }
  return new TextDecoder().decode(concat(chunks).subarray(0, limit));
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0));
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out;
}

/** The same answer, refused as soon as its declared or streamed size passes `maxBytes`. */
export function capBody(response: Response, maxBytes: number, who: string): Response {
  if (response.body === null) return response;
  const tooLarge = () =>
    new ReasonEditError("provider_output", `${who} sent an answer larger than ${formatBytes(maxBytes)}; it was refused`, {
      provider: who,
      retryable: false,
      hint: "A model reply or an edited image is never that large: the server may be misbehaving or not the one you meant.",
    });
  const declared = Number(response.headers.get("content-length"));
  if (Number.isFinite(declared) && declared > maxBytes) {
    response.body.cancel().catch(() => {});
    return withBody(response, new ReadableStream({ start: (controller) => controller.error(tooLarge()) }));
  }
  let seen = 0;
  const counted = response.body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        seen += chunk.byteLength;
        if (seen > maxBytes) controller.error(tooLarge());
        else controller.enqueue(chunk);
      },
    }),
  );
  return withBody(response, counted);
}

function withBody(response: Response, body: ReadableStream<Uint8Array>): Response {
  const copy = new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
  // A Response built by hand has an empty url; the library reads it for nothing, but keep it for our messages.
  Object.defineProperty(copy, "url", { value: response.url });
  return copy;
}

function formatBytes(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${Math.round(bytes / 1024 / 1024)} MB` : `${Math.round(bytes / 1024)} KB`;
}

function urlOf(input: RequestInfo | URL): string {
  const href = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
  return href.split("?")[0] ?? href;
}

function hostOf(input: RequestInfo | URL): string {
  try {
    return new URL(urlOf(input)).host;
  } catch {
    return "the server";
  }
}

/** Retry-After as seconds or an HTTP date; the non-standard retry-after-ms wins when present. */
export function parseRetryAfter(
  retryAfterMs: string | null,
  retryAfter: string | null,
  now: number = Date.now(),
): number | undefined {
  const ms = Number(retryAfterMs);
  if (retryAfterMs !== null && retryAfterMs.trim() !== "" && Number.isFinite(ms) && ms >= 0) return clampMs(ms);
  if (retryAfter === null || retryAfter.trim() === "") return undefined;
  const seconds = Number(retryAfter);
  if (Number.isFinite(seconds)) return seconds >= 0 ? clampMs(seconds * 1000) : undefined;
  const date = Date.parse(retryAfter);
  return Number.isNaN(date) ? undefined : clampMs(Math.max(0, date - now));
}

function clampMs(ms: number): number {
  return Math.min(Math.round(ms), MAX_RETRY_AFTER_MS);
}
