// The one error family the CLI maps to exit codes: every failure a user can act on is a ReasonEditError.

export const EXIT = {
  ok: 0,
  internal: 1,
  usage: 2,
  notAccepted: 3,
  provider: 4,
  environment: 5,
  interrupted: 130,
  /** The reader of stdout went away (`| head -1`): 128 + SIGPIPE, as a shell reports it for any Unix tool. */
  brokenPipe: 141,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export type ErrorCode =
  | "usage"
  | "config"
  | "no_token"
  | "input_missing"
  | "input_unreadable"
  | "input_not_image"
  | "input_corrupt"
  | "input_too_large"
  | "input_download"
  | "output_unwritable"
  | "output_missing"
  | "environment"
  | "locked"
  | "manifest"
  | "prompt_template"
  | "cache_miss"
  | "provider_auth"
  | "provider_billing"
  | "provider_bad_request"
  | "provider_unavailable"
  | "provider_rate_limited"
  | "provider_timeout"
  | "provider_network"
  | "provider_output"
  | "model_unserved"
  | "model_incapable"
  | "model_reply_invalid"
  | "interrupted"
  | "internal";

const EXIT_BY_CODE: Record<ErrorCode, ExitCode> = {
  usage: EXIT.usage,
  config: EXIT.usage,
  no_token: EXIT.usage,
  input_missing: EXIT.usage,
  input_unreadable: EXIT.usage,
  input_not_image: EXIT.usage,
  input_corrupt: EXIT.usage,
  input_too_large: EXIT.usage,
  input_download: EXIT.usage,
  output_unwritable: EXIT.usage,
  output_missing: EXIT.usage,
  environment: EXIT.environment,
  locked: EXIT.environment,
  manifest: EXIT.usage,
  prompt_template: EXIT.usage,
  cache_miss: EXIT.usage,
  provider_auth: EXIT.provider,
  provider_billing: EXIT.provider,
  provider_bad_request: EXIT.provider,
  provider_unavailable: EXIT.provider,
  provider_rate_limited: EXIT.provider,
  provider_timeout: EXIT.provider,
  provider_network: EXIT.provider,
  provider_output: EXIT.provider,
  model_unserved: EXIT.provider,
  model_incapable: EXIT.provider,
  model_reply_invalid: EXIT.provider,
  interrupted: EXIT.interrupted,
  internal: EXIT.internal,
};

export interface ReasonEditErrorOptions {
  /** What the user can do about it. */
  hint?: string;
  cause?: unknown;
  /** Provider details, for provider_* codes. */
  provider?: string;
  status?: number;
  requestId?: string;
  /** Milliseconds the provider asked us to wait (Retry-After), when it said. */
  retryAfterMs?: number;
  /** Whether another attempt could succeed; defaults from the code (transient provider failures are). */
  retryable?: boolean;
  /** What the failed step spent, for model_reply_invalid: its asks and their tokens. */
  spent?: CallSpend;
}

/** The model calls behind one step: the ask plus any corrective re-ask, and the tokens of every reply. */
export interface CallSpend {
  attempts: number;
  usage: { prompt: number; completion: number; total: number };
  /** Every reply came from the call cache. */
  cached: boolean;
}

/** Transient by nature: 408/429/5xx, network failures, our own deadline. */
const RETRYABLE_CODES: ReadonlySet<ErrorCode> = new Set([
  "provider_rate_limited",
  "provider_unavailable",
  "provider_timeout",
  "provider_network",
]);

const MARKER = Symbol.for("reasonedit.error");

export class ReasonEditError extends Error {
  readonly [MARKER] = true;
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly provider: string | undefined;
  readonly status: number | undefined;
  readonly requestId: string | undefined;
  readonly retryAfterMs: number | undefined;
  readonly retryable: boolean;
  readonly spent: CallSpend | undefined;

  constructor(code: ErrorCode, message: string, options: ReasonEditErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "ReasonEditError";
    this.code = code;
    this.hint = options.hint;
    this.provider = options.provider;
    this.status = options.status;
    this.requestId = options.requestId;
    this.retryAfterMs = options.retryAfterMs;
    this.retryable = options.retryable ?? RETRYABLE_CODES.has(code);
    this.spent = options.spent;
  }

  /** A copy with some options changed, e.g. `error.with({ retryable: false })`. */
  with(changes: Partial<ReasonEditErrorOptions>): ReasonEditError {
    const { hint, cause, provider, status, requestId, retryAfterMs, retryable, spent } = this;
    return new ReasonEditError(this.code, this.message, { hint, cause, provider, status, requestId, retryAfterMs, retryable, spent, ...changes });
  }

  get exitCode(): ExitCode {
    return EXIT_BY_CODE[this.code];
  }

  /** Recognised by a marker rather than instanceof, so copies of the module in tests still match. */
  static is(error: unknown): error is ReasonEditError {
    return typeof error === "object" && error !== null && (error as Record<symbol, unknown>)[MARKER] === true;
  }
}

export function exitCodeFor(code: ErrorCode): ExitCode {
  return EXIT_BY_CODE[code];
}


/** One failure as every sink shows it: stderr, --json, batch lines, run.json and eval results. */
export interface ErrorReport {
  code: string;
  message: string;
  hint?: string;
  provider?: string;
  status?: number;
  request_id?: string;
}

/** An abort of ours (Ctrl-C, a stop signal) rather than a failure: recognised by name, as DOM and Node both name it. */
export function isAbortError(error: unknown): boolean {
  if (ReasonEditError.is(error)) return error.code === "interrupted";
  return error instanceof Error && error.name === "AbortError";
}

export function errorReport(error: unknown): ErrorReport {
  if (ReasonEditError.is(error)) {
    return {
      code: error.code,
      message: error.message,
      ...(error.hint ? { hint: error.hint } : {}),
      ...(error.provider ? { provider: error.provider } : {}),
      ...(error.status ? { status: error.status } : {}),
      ...(error.requestId ? { request_id: error.requestId } : {}),
    };
  }
  if (isAbortError(error)) return { code: "interrupted", message: "interrupted by the user" };
  return { code: "internal", message: error instanceof Error ? error.message : String(error) };
}

/** "hf-inference, HTTP 503, request abc": where a provider failure happened, for a sentence; "" when unknown. */
export function whereOf(report: ErrorReport): string {
  return [report.provider, report.status && `HTTP ${report.status}`, report.request_id && `request ${report.request_id}`].filter(Boolean).join(", ");
}

/** The report as one line of text: the message, then where it happened. */
export function describeReport(report: ErrorReport): string {
  const where = whereOf(report);
  return where ? `${report.message} (${where})` : report.message;
}
