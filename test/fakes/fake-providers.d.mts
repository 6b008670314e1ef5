// Types for fake-providers.mjs (kept in JavaScript so child processes can run it without a TS loader).

export type CallKind = "hub" | "chat" | "edit" | "fal-submit" | "fal-status" | "fal-result" | "media" | "unknown";

export type Fault =
  | { type: "status"; status: number; body?: unknown; headers?: Record<string, string> }
  | { type: "reset" }
  | { type: "hang" }
  | { type: "not-image"; contentType: string }
  | { type: "text"; status: number; text: string; contentType: string; headers?: Record<string, string> }
  | ({ type: "flood" } & Required<FloodOptions>);

export interface FloodOptions {
  contentType?: string;
  /** Sent first, e.g. the start of a JSON chat answer or a PNG signature. */
  prefix?: string;
  /** The byte repeated after the prefix. */
  fill?: string;
  /** Infinity (the default): the body never ends. */
  totalBytes?: number;
  chunkBytes?: number;
  /** Pause between chunks; 0 writes as fast as the client reads. */
  intervalMs?: number;
  /** Send Content-Length: totalBytes (a server that says up front how large the answer is). */
  declareLength?: boolean;
}

export declare const fault: {
  status(status: number, options?: { body?: unknown; headers?: Record<string, string> }): Fault;
  /** 429, with a Retry-After header when `retryAfter` is given (seconds or an HTTP date). */
  rateLimited(retryAfter?: number | string): Fault;
  unavailable(): Fault;
  serverError(): Fault;
  authError(status?: 401 | 402 | 403): Fault;
  reset(): Fault;
  hang(): Fault;
  notImage(contentType?: string): Fault;
  text(status: number, text: string, contentType?: string): Fault;
  /** 200 with a body far too large, or one that never ends. */
  flood(options?: FloodOptions): Fault;
};

export interface RecordedImage {
  bytes: number;
  sha256: string;
  mimeType: string | undefined;
  /** The decoded bytes, for tests that want to look at them. */
  data: Buffer;
}

export interface RecordedRequest {
  kind: CallKind;
  method: string;
  /** Path and query as received, e.g. "/router/fal-ai/fal-ai/qwen-image-edit?_subdomain=queue". */
  path: string;
  /** Lower-cased header names, as node:http gives them. */
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON with every image (data URL or long base64) replaced by "<image … bytes sha256:…>"; null for binary bodies. */
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- whatever JSON the client sent
  bodyBytes: number;
  /** Images found in the body, in order (a binary body counts as one). */
  images: RecordedImage[];
  raw: Buffer;
  at: number;
}

export interface ChatReply {
  /** The message's content (null for a server that put the answer in a reasoning field). */
  text: string | null;
  /** Omit to get an estimate; null to leave `usage` out of the answer entirely. */
  usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number } | null;
  /** choices[0].finish_reason; default "stop". */
  finishReason?: string;
  /** Merged over {role, content}: reasoning_content, reasoning, a content array, tool_calls… */
  message?: Record<string, unknown>;
  /** Top-level fields beside choices: system_fingerprint, timings, time_info… */
  extra?: Record<string, unknown>;
  /** Response headers: x-request-id, x-inference-provider… */
  headers?: Record<string, string>;
}

/** Gets the parsed (image-stripped) request body; returns the assistant's text. */
export type ChatResponder = (body: any, request: RecordedRequest) => string | ChatReply | Promise<string | ChatReply>; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface EditInput {
  image: Buffer;
  mimeType: string | undefined;
  /** HF-Inference `parameters`, or the fal submit body minus image_url/image_urls. */
  parameters: Record<string, unknown>;
  kind: "edit" | "fal";
}

export type EditResponder = (
  input: EditInput,
) => Buffer | Uint8Array | { bytes: Buffer | Uint8Array; contentType: string } | Promise<Buffer | Uint8Array | { bytes: Buffer | Uint8Array; contentType: string }>;

export interface MappingEntry {
  provider: string;
  providerId: string;
  task: string;
  status?: "live" | "staging" | "error";
  adapter?: string;
  adapterWeightsPath?: string;
}

export interface FakeProvidersOptions {
  chat?: ChatResponder;
  /** Default: the input tinted red, same size, PNG. */
  edit?: EditResponder;
  /** Hub mappings by model id (array form). */
  mappings?: Record<string, MappingEntry[]>;
  /** Mapping for models not in `mappings`; default fal-ai/qwen-image-edit image-to-image; null → 404. */
  defaultMapping?: MappingEntry[] | null;
  /** fal status answers before COMPLETED (IN_QUEUE, then IN_PROGRESS). Default 0. */
  falPolls?: number;
  /** Jobs ahead of each fal submit: its status answers count them down (IN_QUEUE, queue_position N-1 … 0) before `falPolls`. Default 0. */
  falQueueAhead?: number;
  /** The provider the router's auto route names in x-inference-provider on chat answers; none when unset. */
  routerChatProvider?: string;
  /** Real delay before answering, per kind. */
  latencyMs?: Partial<Record<CallKind, number>>;
  /** Answer 400 (OpenAI shape) to any chat request carrying response_format. */
  rejectResponseFormat?: boolean;
}

export interface FakeProviders {
  /** http://127.0.0.1:<port> */
  url: string;
  port: number;
  /** Every request received, in order (live array). */
  requests: RecordedRequest[];
  requestsOf(kind: CallKind): RecordedRequest[];
  /** Queues faults for the next requests of `kind`, answered in order before normal service resumes. */
  fail(kind: CallKind, ...faults: Fault[]): void;
  pendingFaults(kind: CallKind): number;
  setChat(responder: ChatResponder): void;
  setEdit(responder: EditResponder): void;
  setMapping(model: string, entries: MappingEntry[]): void;
  /** The Hub's whole answer for `model`, e.g. the object form from real-shapes.mjs hubObjectMapping(). */
  setHubBody(model: string, body: unknown): void;
  /** Mapping for models without their own; null makes the Hub answer 404. */
  setDefaultMapping(entries: MappingEntry[] | null): void;
  setFalPolls(polls: number): void;
  setFalQueueAhead(ahead: number): void;
  setRouterChatProvider(provider: string | undefined): void;
  setLatency(kind: CallKind, ms: number): void;
  setRejectResponseFormat(reject: boolean): void;
  /**
   * Requests received and not yet done with: not answered (hung ones included), or whose client left while the fake
   * was still holding them (their latency); a request whose client left is never answered and takes no fault.
   */
  inFlight(): number;
  /** Resolves once `condition` (over requests and inFlight) holds, re-checked whenever a request arrives or leaves. */
  until(condition: () => boolean): Promise<void>;
  /** Resolves once `count` requests of `kind` have arrived (since the start or the last emptying of `requests`). */
  received(kind: CallKind, count?: number): Promise<void>;
  /** Resolves once no request is in flight (see inFlight). */
  idle(): Promise<void>;
  /** Drops every connection (hung ones too) and stops listening. */
  close(): Promise<void>;
}

export declare function startFakeProviders(options?: FakeProvidersOptions): Promise<FakeProviders>;
export declare function tintedCopy(input: EditInput): Promise<{ bytes: Buffer; contentType: string }>;
export declare function sha256(bytes: Uint8Array): string;
