// One provider call as every adapter makes it: wait for the shared throttle, run under a deadline with a
// recording fetch, map failures to ReasonEditError, and retry the transient ones.
import type { Logger } from "pino";
import { ReasonEditError } from "../errors.js";
import { callListener } from "./call-news.js";
import { deadlineError, withDeadline } from "./deadline.js";
import { toReasonEditError, type ErrorContext, type ProviderRole } from "./error-mapping.js";
import { createFetchRecorder, withGlobalFetchRecorded } from "./fetch-recorder.js";
import { retryProviderCall } from "./retry.js";
import type { HostedModelOptions } from "./hosted-model-options.js";
import { displayUrl } from "./route.js";
import { SharedThrottle } from "./throttle.js";

export interface ProviderCallSettings {
  context: Omit<ErrorContext, "recorded">;
  timeoutMs: number;
  maxRetries: number;
  logger: Logger;
  throttle: SharedThrottle;
  /** The fetch the library gets; defaults to the global fetch looked up at call time. */
  fetch?: typeof fetch;
  /**
   * Queue providers bill a job once its submit is accepted: after that, a failure (a poll error, the
   * deadline) is final rather than a reason to submit and pay again.
   */
  finalOnceAccepted?: boolean;
  /** Answers longer than this are refused while they stream: a chat reply is a few MB at most. */
  maxBodyBytes?: number;
}

/** The call settings of a hosted-model adapter: errors name its route, secrets are redacted, one throttle. */
export function callSettingsFor(options: HostedModelOptions, role: ProviderRole): ProviderCallSettings {
  const custom = options.url !== undefined;
  return {
    context: {
      provider: custom ? displayUrl(options.url ?? "") : options.provider,
      model: options.model,
      role,
      custom,
      secrets: [options.hfToken, options.apiKey].filter((secret): secret is string => !!secret),
    },
    timeoutMs: options.timeoutMs,
    maxRetries: options.maxRetries,
    logger: options.logger,
    throttle: options.throttle ?? new SharedThrottle(),
    fetch: options.fetch,
  };
}

export interface CallScope {
  signal: AbortSignal;
  /** Hand this to the library (options.fetch) so its failures can be read back. */
  fetch: typeof fetch;
  /** Names the provider the route resolved to ("auto" → "fal-ai"), so a failure names who failed. */
  nameProvider(provider: string): void;
}

export function callProvider<T>(
  settings: ProviderCallSettings,
  signal: AbortSignal | undefined,
  run: (scope: CallScope) => Promise<T>,
): Promise<T> {
  let chosen: string | undefined; // kept across attempts: the route is resolved once
  // A custom server is its own route: a provider header from it (a proxy's) names nothing the user chose.
  const listen = settings.context.custom ? () => {} : callListener();
  const nameProvider = (name: string) => {
    if (name !== chosen) listen({ provider: name });
    chosen = name;
  };
  const attempt = async (): Promise<T> => {
    await settings.throttle.ready(signal);
    const base = settings.fetch ?? ((input, init) => globalThis.fetch(input, init));
    const recorder = createFetchRecorder(base, { maxBodyBytes: settings.maxBodyBytes, provider: settings.context.provider, onNews: listen });
    const scope = (scoped: AbortSignal): CallScope => ({ signal: scoped, fetch: recorder.fetch, nameProvider });
    try {
      const result = await withDeadline(settings.timeoutMs, signal, (scoped) => withGlobalFetchRecorded(recorder, () => run(scope(scoped))), {
        provider: chosen ?? settings.context.provider,
        flag: "--timeout",
      });
      settings.throttle.succeeded();
      return result;
    } catch (error) {
      if (signal?.aborted) throw error;
      const provider = chosen ?? recorder.routedProvider() ?? settings.context.provider;
      const named = isOurDeadline(error, settings) && provider !== settings.context.provider ? deadlineError(settings.timeoutMs, { provider, flag: "--timeout" }) : error;
      const mapped = toReasonEditError(named, { ...settings.context, provider, recorded: recorder.lastFailure() });
      if (mapped.code === "provider_rate_limited") settings.throttle.rateLimited(mapped.retryAfterMs);
      if (settings.finalOnceAccepted && recorder.accepted()) throw mapped.with({ retryable: false, hint: `${mapped.hint ?? ""} ${BILLED_NOTE}`.trim() });
      throw mapped;
    }
  };
  return retryProviderCall(attempt, {
    maxRetries: settings.maxRetries,
    logger: settings.logger,
    provider: settings.context.provider,
    signal,
    // A wait the provider asks for (Retry-After, a loading model's estimated_time) never exceeds one call's deadline.
    maxRetryAfterMs: settings.timeoutMs,
  });
}

/** The deadline was set before the route was known, so it names the configured provider ("auto"). */
function isOurDeadline(error: unknown, settings: ProviderCallSettings): boolean {
  return ReasonEditError.is(error) && error.code === "provider_timeout" && error.status === undefined && error.provider === settings.context.provider;
}

const BILLED_NOTE = "The job was accepted and may still finish and be billed, so it was not submitted again.";
