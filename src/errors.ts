// The one error family the CLI maps to exit codes: every failure a user can act on is a ReasonEditError.

export const EXIT = {
  ok: 0,
  internal: 1,
  usage: 2,
  notAccepted: 3,
  provider: 4,
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
  | "input_too_large"
  | "input_download"
  | "output_unwritable"
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
  input_too_large: EXIT.usage,
  input_download: EXIT.usage,
  output_unwritable: EXIT.usage,
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
}

const MARKER = Symbol.for("reasonedit.error");

export class ReasonEditError extends Error {
  readonly [MARKER] = true;
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly provider: string | undefined;
  readonly status: number | undefined;
  readonly requestId: string | undefined;
  readonly retryAfterMs: number | undefined;

  constructor(code: ErrorCode, message: string, options: ReasonEditErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "ReasonEditError";
    this.code = code;
    this.hint = options.hint;
    this.provider = options.provider;
    this.status = options.status;
    this.requestId = options.requestId;
    this.retryAfterMs = options.retryAfterMs;
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

