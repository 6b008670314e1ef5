// Wraps the fetch handed to @huggingface/inference to keep what its errors drop: Retry-After, the
// request id, and whether a POST was already accepted (so a queued, billable job is not resubmitted).

export interface RecordedFailure {
  status: number;
  retryAfterMs: number | undefined;
  requestId: string | undefined;
}

export interface FetchRecorder {
  readonly fetch: typeof fetch;
  /** The last non-OK answer seen through this fetch. */
  lastFailure(): RecordedFailure | undefined;
  /** True once a POST got a 2xx: the provider has the job and may bill for it. */
  accepted(): boolean;
}

const REQUEST_ID_HEADERS = ["x-request-id", "x-fal-request-id", "request-id", "x-amzn-requestid"];
const MAX_RETRY_AFTER_MS = 24 * 3600 * 1000;

/** One recorder per attempt: calls may run concurrently on one client, and their failures must not mix. */
export function createFetchRecorder(baseFetch: typeof fetch = globalThis.fetch): FetchRecorder {
  let failure: RecordedFailure | undefined;
  let wasAccepted = false;
  const recordingFetch: typeof fetch = async (input, init) => {
    const response = await baseFetch(input, init);
    if (!response.ok) failure = describeFailure(response);
    else if ((init?.method ?? "GET").toUpperCase() === "POST") wasAccepted = true;
    return response;
  };
  return { fetch: recordingFetch, lastFailure: () => failure, accepted: () => wasAccepted };
}

function describeFailure(response: Response): RecordedFailure {
  return {
    status: response.status,
    retryAfterMs: parseRetryAfter(response.headers.get("retry-after-ms"), response.headers.get("retry-after")),
    requestId: REQUEST_ID_HEADERS.map((name) => response.headers.get(name)).find((value) => !!value) ?? undefined,
  };
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
