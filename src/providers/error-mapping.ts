// Turns whatever @huggingface/inference or fetch threw into a ReasonEditError a user can act on.
import { ReasonEditError, type ErrorCode } from "../errors.js";
import { redactSecrets } from "../logging.js";
import type { RecordedFailure } from "./fetch-recorder.js";
import { networkCode, networkReason } from "./network-reason.js";

export type ProviderRole = "mllm" | "editor" | "judge";

export interface ErrorContext {
  /** Provider name ("fal-ai", "auto") or the custom URL without credentials. */
  provider: string;
  model: string;
  role: ProviderRole;
  /** True for a custom --*-url server: hints then talk about its API key, not HF_TOKEN. */
  custom: boolean;
  /** What the fetch wrapper saw; fills in Retry-After and the request id the library drops. */
  recorded?: RecordedFailure;
  /** Token values to scrub from messages, on top of the usual credential patterns. */
  secrets?: readonly string[];
}

interface HttpErrorShape {
  name: string;
  message: string;
  httpResponse: { status: number; requestId?: string; body?: unknown };
}

const MAX_PROVIDER_MESSAGE = 300;
const NETWORK_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ETIMEDOUT",
  "EPIPE",
  "ENETUNREACH",
  "EHOSTUNREACH",
  "UND_ERR_SOCKET",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
  "UND_ERR_CLOSED",
]);
const FETCH_FAILURE_MESSAGES = new Set(["fetch failed", "terminated", "Failed to fetch", "Load failed"]);

export function toReasonEditError(error: unknown, context: ErrorContext): ReasonEditError {
  if (ReasonEditError.is(error)) return error;
  if (isHttpError(error)) return fromHttpError(error, context);
  if (!(error instanceof Error)) return unexpected(error, String(error), context);
  if (error.name === "ProviderOutputError") return fromOutputError(error, context);
  if (error.name === "InputError") return fromInputError(error, context);
  if (error.name === "RoutingError") return fromRoutingError(error, context);
  if (isNetworkFailure(error)) return fromNetworkFailure(error, context);
  return unexpected(error, error.message, context);
}

function unexpected(error: unknown, message: string, context: ErrorContext): ReasonEditError {
  return new ReasonEditError("internal", `Unexpected failure calling ${context.provider}: ${scrub(message, context)}`, {
    cause: error,
    provider: context.provider,
  });
}

/** Fetch-level failures: refused/reset connections, DNS, sockets closed mid-answer. */
export function isNetworkFailure(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (NETWORK_CODES.has(errorCode(error) ?? "")) return true;
  if (!(error instanceof TypeError)) return false;
  return FETCH_FAILURE_MESSAGES.has(error.message) || NETWORK_CODES.has(errorCode(error.cause) ?? "");
}

function fromHttpError(error: HttpErrorShape, context: ErrorContext): ReasonEditError {
  const { status, requestId, body } = error.httpResponse;
  const recorded = context.recorded?.status === status ? context.recorded : undefined;
  const details = {
    cause: error,
    provider: context.provider,
    status,
    requestId: requestId || recorded?.requestId || undefined,
    retryAfterMs: recorded?.retryAfterMs,
  };
  const said = providerMessage(body, error.message, context);
  if (error.name === "HubApiError") return fromHubError(status, said, details, context);
  if (CAPABILITY_REFUSAL.test(said)) return capabilityRefusal(status, said, details, context);
  if (status === 429 && isQuotaExhausted(body)) {
    return new ReasonEditError("provider_billing", `${speaker(context)} answered 429 insufficient_quota: ${said}`, {
      ...details,
      retryable: false,
      hint: quotaHint(context),
    });
  }
  const code = codeForStatus(status);
  const message = code === "model_unserved" ? unservedMessage(context) : `${speaker(context)} answered ${status}`;
  const loading = status === 503 ? estimatedTimeMs(body) : undefined;
  const retryAfterMs = details.retryAfterMs ?? loading;
  return new ReasonEditError(code, said ? `${message}: ${said}` : message, { ...details, retryAfterMs, hint: hintFor(code, context, status) });
}

/** The server cannot look at images at all: asking again, or elsewhere on the same model, cannot help. */
const CAPABILITY_REFUSAL =
  /not a multimodal model|image input is not supported|provide the mmproj|does not support image|model does not support images|does not support vision|no vision support/i;

function capabilityRefusal(status: number, said: string, details: HttpDetails, context: ErrorContext): ReasonEditError {
  const flag = `--${context.role}`;
  const hint = context.custom
    ? `${context.model} on ${context.provider} cannot see images: serve a vision model (e.g. Qwen2.5-VL or Qwen3-VL; for llama.cpp also pass --mmproj) and name it with ${flag}.`
    : `${context.model} cannot see images on ${context.provider}: choose a vision-language model with ${flag}, e.g. Qwen/Qwen3-VL-235B-A22B-Instruct.`;
  return new ReasonEditError("model_incapable", `${speaker(context)} answered ${status}: ${context.model} does not accept images (${said})`, {
    ...details,
    retryable: false,
    hint,
  });
}

/** OpenAI-style {"error": {"code": "insufficient_quota"}}: a billing state, not a rate limit. */
function isQuotaExhausted(body: unknown): boolean {
  const error = (body as { error?: { code?: unknown; type?: unknown } } | null)?.error;
  return typeof error === "object" && error !== null && (error.code === "insufficient_quota" || error.type === "insufficient_quota");
}

function quotaHint(context: ErrorContext): string {
  return context.custom
    ? `The account behind REASONEDIT_${context.role.toUpperCase()}_API_KEY is out of quota: check its plan and billing with ${context.provider}'s provider.`
    : `Your ${context.provider} quota is used up: check the plan and billing of that account; waiting will not help.`;
}

/** HF-Inference while a model loads: {"error": "… is currently loading", "estimated_time": 20.0}. */
function estimatedTimeMs(body: unknown): number | undefined {
  const seconds = (body as { estimated_time?: unknown } | null)?.estimated_time;
  return typeof seconds === "number" && Number.isFinite(seconds) && seconds > 0 ? Math.round(seconds * 1000) : undefined;
}

type HttpDetails = { cause: unknown; provider: string; status: number; requestId?: string; retryAfterMs?: number };

function fromHubError(status: number, said: string, details: HttpDetails, context: ErrorContext): ReasonEditError {
  const code = hubCode(status, said);
  const base =
    code !== "model_unserved"
      ? `The Hugging Face Hub answered ${status} while looking up ${context.model}`
      : status >= 400
        ? `${context.model} was not found on the Hugging Face Hub (${status})`
        : `${context.model} has no Inference Providers mapping on the Hugging Face Hub`;
  return new ReasonEditError(code, said ? `${base}: ${said}` : base, { ...details, hint: hintFor(code, context, status) });
}

/** The Hub answers 401 both for bad credentials and for repositories it will not admit exist. */
function hubCode(status: number, said: string): ErrorCode {
  if (status === 401 && /not found/i.test(said)) return "model_unserved";
  if (status === 404 || (status >= 200 && status < 300)) return "model_unserved";
  return codeForStatus(status);
}

function codeForStatus(status: number): ErrorCode {
  if (status === 401 || status === 403) return "provider_auth";
  if (status === 402) return "provider_billing";
  if (status === 404) return "model_unserved";
  if (status === 408 || status === 504) return "provider_timeout";
  if (status === 429) return "provider_rate_limited";
  if (status >= 500) return "provider_unavailable";
  return "provider_bad_request";
}

function hintFor(code: ErrorCode, context: ErrorContext, status?: number): string | undefined {
  switch (code) {
    case "provider_auth":
      return authHint(context, status);
    case "provider_billing":
      return `Out of Inference Providers credits, or pay-as-you-go is not enabled for ${context.provider}: see https://huggingface.co/settings/billing`;
    case "model_unserved":
      return context.custom
        ? `Check --${context.role}-url (the server's base URL, e.g. http://127.0.0.1:8000/v1) and the model name.`
        : `Try --${context.role}-provider auto or another model.`;
    case "provider_rate_limited":
      return `${context.provider} is rate-limiting: lower --concurrency or try again later.`;
    case "provider_unavailable":
      return `${context.provider} is failing or overloaded: try again later or pick another provider.`;
    case "provider_timeout":
      return `Raise the per-call limit with --timeout <seconds> if ${context.provider} is just slow or queued.`;
    default:
      return undefined;
  }
}

function authHint(context: ErrorContext, status?: number): string {
  if (context.custom) {
    return `${context.provider} rejected the API key: set REASONEDIT_${context.role.toUpperCase()}_API_KEY to a key that server accepts.`;
  }
  if (status === 403) {
    return (
      "HF_TOKEN is not allowed to make this call: give the fine-grained token 'Make calls to Inference Providers' at https://huggingface.co/settings/tokens," +
      ` and for a gated model accept its terms at https://huggingface.co/${context.model}`
    );
  }
  return "HF_TOKEN is invalid or expired: create a fine-grained token with 'Make calls to Inference Providers' at https://huggingface.co/settings/tokens";
}

/** How messages name the other side: "auto" means the router chose. */
function speaker(context: ErrorContext): string {
  return context.provider === "auto" ? "The Inference Providers router" : context.provider;
}

function unservedMessage(context: ErrorContext): string {
  return `${context.model} is not served by ${context.provider}`;
}

function fromOutputError(error: Error, context: ErrorContext): ReasonEditError {
  const failed = context.recorded;
  if (failed !== undefined) {
    // fal's result is fetched outside the library's checks, so its error answer arrives as "malformed": the status
    // and the provider's words come from what the fetch saw, the library's sentence stays beside them.
    const said = truncate(scrub(extractMessage(parseMaybeJson(failed.body)) ?? "", context));
    const code = codeForStatus(failed.status);
    const sentence = truncate(scrub(error.message.replace(/, got instead: [\s\S]*$/, "").replace(/: expected \{[\s\S]*$/, ""), context));
    return new ReasonEditError(code, `${speaker(context)} answered ${failed.status} for ${context.model}${said ? `: ${said}` : ""} (${sentence})`, {
      cause: error,
      provider: context.provider,
      status: failed.status,
      requestId: failed.requestId,
      retryAfterMs: failed.retryAfterMs,
      hint: hintFor(code, context, failed.status),
    });
  }
  return new ReasonEditError(
    "provider_output",
    `${speaker(context)} sent an unexpected answer for ${context.model}: ${truncate(scrub(error.message, context))}`,
    { cause: error, provider: context.provider },
  );
}

function parseMaybeJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function fromInputError(error: Error, context: ErrorContext): ReasonEditError {
  const message = scrub(error.message, context);
  const unserved =
    /not supported for task|not been able to find inference provider|No Inference Provider available|not supported for provider/i;
  if (unserved.test(message)) {
    return new ReasonEditError("model_unserved", `${unservedMessage(context)}: ${message}`, {
      cause: error,
      provider: context.provider,
      hint: hintFor("model_unserved", context),
    });
  }
  if (/^Provider '.*' not supported/.test(message)) {
    return new ReasonEditError("config", `Unknown provider ${context.provider}: ${message}`, {
      cause: error,
      hint: `Use --${context.role}-provider auto with a "<model>:<provider>" suffix to reach providers the client does not list.`,
    });
  }
  return new ReasonEditError("provider_bad_request", `The request for ${context.provider} was refused before sending: ${message}`, {
    cause: error,
    provider: context.provider,
  });
}

function fromRoutingError(error: Error, context: ErrorContext): ReasonEditError {
  return new ReasonEditError("no_token", `The Hugging Face router needs an HF token (hf_…): ${scrub(error.message, context)}`, {
    cause: error,
    provider: context.provider,
    hint: `Set HF_TOKEN, or pin --${context.role}-provider <name> when using that provider's own key.`,
  });
}

function fromNetworkFailure(error: Error, context: ErrorContext): ReasonEditError {
  const reason = networkReason(error);
  if (networkCode(error) === "ENOTFOUND") {
    // A name that does not resolve will not resolve in a second either: fail at once, and say where to look.
    const host = hostnameOf(error.cause) ?? hostnameOf(error);
    return new ReasonEditError("provider_network", `Could not reach ${speaker(context)}: the name ${host ?? "of the server"} does not resolve (ENOTFOUND)`, {
      cause: error,
      provider: context.provider,
      retryable: false,
      hint: context.custom
        ? `Check the host in --${context.role}-url; behind a proxy, set HTTPS_PROXY (and NO_PROXY for local servers). \`reasonedit doctor\` shows what is reachable.`
        : "Check the network and DNS; behind a corporate proxy set HTTPS_PROXY (reasonedit honours it). `reasonedit doctor` shows what is reachable and which proxy is used.",
    });
  }
  const viaProxy = reason.startsWith("the proxy");
  return new ReasonEditError("provider_network", `Could not reach ${speaker(context)}: ${scrub(reason, context)}`, {
    cause: error,
    provider: context.provider,
    hint: viaProxy
      ? "Check HTTPS_PROXY / HTTP_PROXY and that the proxy allows this host (NO_PROXY lists hosts reached directly). `reasonedit doctor` shows the proxy in use."
      : context.custom
        ? `Check that the server at ${context.provider} is running.`
        : "Check the network connection and try again.",
  });
}

function hostnameOf(error: unknown): string | undefined {
  const host = (error as { hostname?: unknown } | undefined)?.hostname;
  return typeof host === "string" ? host : undefined;
}

/** The provider's own words, from the usual JSON error shapes, else the library's message. */
function providerMessage(body: unknown, fallback: string, context: ErrorContext): string {
  const said = extractMessage(typeof body === "string" ? parseMaybeJson(body) : body) ?? stripLibraryPrefix(fallback);
  return truncate(scrub(said, context));
}

function extractMessage(body: unknown): string | undefined {
  if (typeof body === "string") return body.trim() || undefined;
  if (typeof body !== "object" || body === null) return undefined;
  const record = body as Record<string, unknown>;
  for (const key of ["error", "message", "detail"]) {
    const value = record[key];
    if (typeof value === "string" && value.trim()) return value.trim();
    if (Array.isArray(value)) return value.map((item: unknown) => (typeof (item as { msg?: unknown })?.msg === "string" ? (item as { msg: string }).msg : JSON.stringify(item))).join("; ");
    if (typeof value === "object" && value !== null) {
      const nested = extractMessage(value);
      if (nested) return nested;
    }
  }
  if (typeof record.msg === "string") return record.msg;
  return undefined;
}

function stripLibraryPrefix(message: string): string {
  const generic = /an HTTP error occurred when requesting the provider/;
  return generic.test(message) ? "" : message.replace(/^Failed to perform inference: /, "");
}

function truncate(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > MAX_PROVIDER_MESSAGE ? `${flat.slice(0, MAX_PROVIDER_MESSAGE)}…` : flat;
}

function scrub(text: string, context: ErrorContext): string {
  return redactSecrets(text, context.secrets ?? []);
}

function isHttpError(error: unknown): error is HttpErrorShape {
  if (!(error instanceof Error) || (error.name !== "ProviderApiError" && error.name !== "HubApiError")) return false;
  const response = (error as Partial<HttpErrorShape>).httpResponse;
  return typeof response === "object" && response !== null && typeof response.status === "number";
}

function errorCode(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" ? code : undefined;
}


