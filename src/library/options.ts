// What every library call takes besides its own inputs: settings, credentials, folders, cancellation, progress.
import { pino, type Logger } from "pino";
import { resolveSettings, type Credentials, type Settings } from "../config/settings.js";
import { ReasonEditError } from "../errors.js";
import type { ProgressEvent } from "../app/progress.js";

/** The settings a call may set, by their config-file names (e.g. `{ rounds: 2, editorProvider: "fal-ai" }`). */
export type EditSettings = Partial<Omit<Settings, "json" | "quiet" | "verbose" | "logFormat">>;

export interface CallOptions {
  /** Overrides of the defaults; validated as the CLI validates flags. Nothing is read from files or the environment. */
  settings?: EditSettings;
  /** Authenticates hosted calls (Inference Providers); never sent to a custom URL. */
  hfToken?: string;
  /** Bearer key for `settings.mllmUrl`, sent there only. */
  mllmApiKey?: string;
  /** Bearer key for `settings.editorUrl`, sent there only. */
  editorApiKey?: string;
  /** Bills an organisation for hosted calls. */
  billTo?: string;
  /** Supplies the default run and cache folders (XDG_STATE_HOME, XDG_CACHE_HOME); pass `process.env` to follow the user's. */
  env?: Record<string, string | undefined>;
  /** Relative paths are resolved against this folder; defaults to the process's working directory. */
  cwd?: string;
  /** Aborting it stops every model call; the call then rejects with a ReasonEditError whose code is "interrupted". */
  signal?: AbortSignal;
  /** Told each step as it starts and ends (see ProgressEvent). */
  onProgress?: (event: ProgressEvent) => void;
  /** A pino logger for retries and warnings; silent when omitted. */
  logger?: Logger;
  /** Replaces the global fetch for every model call (proxies, tests). */
  fetch?: typeof fetch;
}

export interface ResolvedCall {
  settings: Settings;
  credentials: Credentials;
  env: Record<string, string | undefined>;
  cwd: string;
  logger: Logger;
}

export function resolveCall(options: CallOptions): ResolvedCall {
  const settings = resolveSettings({ file: { ...options.settings }, filePath: "the settings option" });
  const credentials: Credentials = { hfToken: options.hfToken, mllmApiKey: options.mllmApiKey, editorApiKey: options.editorApiKey, billTo: options.billTo };
  return { settings, credentials, env: options.env ?? {}, cwd: options.cwd ?? ".", logger: options.logger ?? pino({ level: "silent" }) };
}

/** Runs `work`; when `signal` ends it, rejects with the documented error rather than whatever a library threw. */
export async function abortable<T>(signal: AbortSignal | undefined, work: () => Promise<T>): Promise<T> {
  try {
    signal?.throwIfAborted();
    return await work();
  } catch (error) {
    if (signal?.aborted) throw abortError(signal.reason);
    throw error;
  }
}

function abortError(reason: unknown): ReasonEditError {
  if (ReasonEditError.is(reason)) return reason;
  return new ReasonEditError("interrupted", "the call was aborted", { hint: "what finished is in the run record", cause: reason });
}
