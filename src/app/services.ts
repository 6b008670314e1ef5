// Wires the adapters behind the loop's ports from settings: hosted or custom models, the cache, the workbench.
import type { Logger } from "pino";
import { CallCache, defaultCacheDir } from "../cache/call-cache.js";
import { cachingChatModel } from "../cache/caching-chat-model.js";
import { cachingEditor } from "../cache/caching-editor.js";
import type { Credentials, Settings } from "../config/settings.js";
import { uploadAsJpeg } from "../images/editor-upload.js";
import { decodeEditorOutput, toMllmDataUrl } from "../images/shape.js";
import { SharpWorkbench } from "../images/workbench.js";
import type { LoopSettings } from "../loop/run-edit-loop.js";
import type { HostedModelOptions } from "../providers/hosted-model-options.js";
import type { Editor, Reasoner } from "../loop/types.js";
import type { ChatModel, Degradation } from "../providers/chat-model.js";
import { createChatModel } from "../providers/hf-chat-model.js";
import { createEditor } from "../providers/hf-editor.js";
import { routeLibraryLogs } from "../providers/library-logger.js";
import { SharedThrottle } from "../providers/throttle.js";
import { MllmReasoner } from "../reasoning/mllm-reasoner.js";
import { loadPromptSet } from "../reasoning/prompt-templates.js";
import { defaultRunsRoot } from "../runs/run-folder.js";
import { VERSION } from "../version.js";

export interface Services {
  reasoner: Reasoner;
  editor: Editor;
  workbench: SharpWorkbench;
  chat: ChatModel;
  cache: CallCache;
  models: { mllm: string; editor: string };
  logger: Logger;
  runsRoot: string;
  toolVersion: string;
  /** The reflection MLLM's degradations so far (a server that rejected response_format), for run records. */
  degradations: () => readonly Degradation[];
}

export interface ServiceOverrides {
  /** Eval replays must be exact, invalid replies included; edit and batch ask again after one. */
  exactReplays?: boolean;
  /** Used by tests and the benchmark to route hosted calls to a loopback fake. */
  fetch?: typeof fetch;
  throttle?: SharedThrottle;
  signal?: AbortSignal;
}

/** What every hosted or custom model call shares, whichever model it is for. */
export interface CallContext {
  settings: Pick<Settings, "timeout" | "maxRetries">;
  credentials: Credentials;
  logger: Logger;
  throttle: SharedThrottle;
  fetch?: typeof fetch;
}

/** The one place a model's route, credentials and patience become adapter options: MLLM, editor and judge alike. */
export function hostedModelOptions(route: Pick<HostedModelOptions, "model" | "provider" | "url" | "apiKey">, context: CallContext): HostedModelOptions {
  return {
    ...route,
    hfToken: context.credentials.hfToken,
    billTo: context.credentials.billTo,
    fetch: context.fetch,
    timeoutMs: context.settings.timeout * 1000,
    maxRetries: context.settings.maxRetries,
    logger: context.logger,
    throttle: context.throttle,
  };
}

/** `env` supplies the default run and cache folders (XDG_STATE_HOME, XDG_CACHE_HOME, HOME): the CLI passes its own. */
export async function createServices(
  settings: Settings,
  credentials: Credentials,
  logger: Logger,
  env: NodeJS.ProcessEnv,
  overrides: ServiceOverrides = {},
): Promise<Services> {
  routeLibraryLogs(logger);
  const throttle = overrides.throttle ?? new SharedThrottle();
  const cache = new CallCache({ dir: settings.cacheDir ?? defaultCacheDir(env), mode: cacheMode(settings), logger, maxBytes: settings.cacheMaxSize });
  const context: CallContext = { settings, credentials, logger, throttle, fetch: overrides.fetch };
  const mllmRoute = { model: settings.mllm, provider: settings.mllmProvider, url: settings.mllmUrl, apiKey: credentials.mllmApiKey };
  const chat = cachingChatModel(createChatModel(hostedModelOptions(mllmRoute, context)), cache);
  const editorRoute = { model: settings.editor, provider: settings.editorProvider, url: settings.editorUrl, apiKey: credentials.editorApiKey };
  const rawEditor = createEditor({ ...hostedModelOptions(editorRoute, context), steps: settings.steps, guidance: settings.guidance, decode: decodeEditorOutput });
  const editorParams = { steps: settings.steps ?? null, guidance: settings.guidance ?? null };
  const editor = cachingEditor(uploadAsJpeg(rawEditor), rawEditor.id, cache, editorParams);
  const prompts = await loadPromptSet(settings.prompts);
  const reasoner = new MllmReasoner({
    chat,
    prompts,
    encodeImage: toMllmDataUrl,
    maxTokens: settings.maxTokens,
    replyFormat: settings.replyFormat,
    forgetUnusableReplies: !overrides.exactReplays,
    onNotice: (message) => logger.warn(message),
  });
  return {
    reasoner,
    editor,
    workbench: new SharpWorkbench(),
    chat,
    cache,
    models: { mllm: chat.id, editor: rawEditor.id },
    logger,
    runsRoot: settings.runDir ?? defaultRunsRoot(env),
    toolVersion: VERSION,
    degradations: () => chat.degradations?.() ?? [],
  };
}

function cacheMode(settings: Settings): "read-write" | "offline" | "off" {
  if (settings.offline) return "offline";
  return settings.cache ? "read-write" : "off";
}

/** The loop's policy from settings; each job adds its own seed (see randomSeed). */
export type LoopPolicy = Omit<LoopSettings, "seed">;

export function loopPolicy(settings: Settings): LoopPolicy {
  return {
    rounds: settings.rounds,
    think: settings.think,
    reflect: settings.reflect,
    chain: settings.chain,
    candidates: settings.candidates,
    preserve: settings.preserve,
    ops: settings.ops,
    changeMap: settings.changeMap,
  };
}

export function loopSettings(settings: Settings, seed: number): LoopSettings {
  return { ...loopPolicy(settings), seed };
}

/** A job without a --seed draws one, and records it, so the run can be repeated exactly. */
export function randomSeed(): number {
  return Math.floor(Math.random() * 2 ** 31);
}

/** Settings as recorded in run.json: everything that shapes the result, nothing secret, no output flags. */
export type RecordedSettings = Omit<Settings, "quiet" | "verbose" | "json" | "logFormat"> & {
  /** Batch: which manifest row this run is. */
  batch?: { manifest: string; line: number; id: string };
  /** Eval: the mode (or reroll sample) that made this run. */
  eval_mode?: string;
  /** Eval: the judge's route id. */
  judge?: string;
};

export function recordableSettings(settings: Settings): RecordedSettings {
  const { quiet: _q, verbose: _v, json: _j, logFormat: _l, ...rest } = settings;
  return rest;
}
