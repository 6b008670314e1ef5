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
import type { Editor, Reasoner } from "../loop/types.js";
import type { ChatModel } from "../providers/chat-model.js";
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
}

export interface ServiceOverrides {
  /** Eval replays must be exact, invalid replies included; edit and batch ask again after one. */
  exactReplays?: boolean;
  /** Used by tests and the benchmark to route hosted calls to a loopback fake. */
  fetch?: typeof fetch;
  throttle?: SharedThrottle;
  signal?: AbortSignal;
  env?: NodeJS.ProcessEnv;
}

export async function createServices(settings: Settings, credentials: Credentials, logger: Logger, overrides: ServiceOverrides = {}): Promise<Services> {
  routeLibraryLogs(logger);
  const env = overrides.env ?? process.env;
  const throttle = overrides.throttle ?? new SharedThrottle();
  const cache = new CallCache({ dir: settings.cacheDir ?? defaultCacheDir(env), mode: cacheMode(settings), logger, maxBytes: settings.cacheMaxSize });
  const common = {
    timeoutMs: settings.timeout * 1000,
    maxRetries: settings.maxRetries,
    logger,
    throttle,
    ...(credentials.hfToken ? { hfToken: credentials.hfToken } : {}),
    ...(credentials.billTo ? { billTo: credentials.billTo } : {}),
    ...(overrides.fetch ? { fetch: overrides.fetch } : {}),
  };
  const chat = cachingChatModel(
    createChatModel({
      ...common,
      model: settings.mllm,
      provider: settings.mllmProvider,
      ...(settings.mllmUrl ? { url: settings.mllmUrl } : {}),
      ...(credentials.mllmApiKey ? { apiKey: credentials.mllmApiKey } : {}),
    }),
    cache,
  );
  const rawEditor = createEditor({
    ...common,
    model: settings.editor,
    provider: settings.editorProvider,
    ...(settings.editorUrl ? { url: settings.editorUrl } : {}),
    ...(credentials.editorApiKey ? { apiKey: credentials.editorApiKey } : {}),
    ...(settings.steps ? { steps: settings.steps } : {}),
    ...(settings.guidance !== undefined ? { guidance: settings.guidance } : {}),
    decode: decodeEditorOutput,
  });
  const editorParams = { steps: settings.steps ?? null, guidance: settings.guidance ?? null };
  const editor = cachingEditor(uploadAsJpeg(rawEditor), rawEditor.id, cache, editorParams);
  const prompts = await loadPromptSet(settings.prompts);
  const reasoner = new MllmReasoner({
    chat,
    prompts,
    encodeImage: toMllmDataUrl,
    maxTokens: settings.maxTokens,
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
  };
}

function cacheMode(settings: Settings): "read-write" | "offline" | "off" {
  if (settings.offline) return "offline";
  return settings.cache ? "read-write" : "off";
}

export function loopSettings(settings: Settings): LoopSettings {
  return {
    rounds: settings.rounds,
    think: settings.think,
    reflect: settings.reflect,
    chain: settings.chain,
    seed: settings.seed ?? Math.floor(Math.random() * 2 ** 31),
    candidates: settings.candidates,
    preserve: settings.preserve,
    ops: settings.ops,
    changeMap: settings.changeMap,
  };
}

/** Settings as recorded in run.json: everything that shapes the result, nothing secret, no output flags. */
export function recordableSettings(settings: Settings): Record<string, unknown> {
  const { quiet: _q, verbose: _v, json: _j, logFormat: _l, ...rest } = settings;
  return rest;
}
