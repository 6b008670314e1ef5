// Wires the judge: its own chat model (hosted or --judge-url), through the same call cache as the loop.
import type { Logger } from "pino";
import { hostedModelOptions } from "../app/services.js";
import type { CallCache } from "../cache/call-cache.js";
import { cachingChatModel } from "../cache/caching-chat-model.js";
import type { Credentials, Settings } from "../config/settings.js";
import { ReasonEditError } from "../errors.js";
import { createChatModel } from "../providers/hf-chat-model.js";
import type { SharedThrottle } from "../providers/throttle.js";
import { MllmReasoner } from "../reasoning/mllm-reasoner.js";
import { loadPromptSet } from "../reasoning/prompt-templates.js";
import type { EvalOptions, MetricName } from "./eval-options.js";
import { imagesFirstChatModel, judgeRendering } from "./judge-images.js";
import { VieScoreJudge, seededChatModel, type BenchmarkJudge } from "./judge.js";
import { KrisJudge } from "./kris-judge.js";

export interface JudgeWiring {
  settings: Settings;
  credentials: Credentials;
  /** REASONEDIT_JUDGE_API_KEY: sent as Bearer to --judge-url only. */
  judgeApiKey?: string;
  options: Pick<EvalOptions, "judge" | "judgeProvider" | "judgeUrl" | "judgeRepeats" | "judgeImages">;
  metric: MetricName;
  cache: CallCache;
  logger: Logger;
  throttle: SharedThrottle;
  fetch?: typeof fetch;
}

export interface CreatedJudge {
  judge: BenchmarkJudge;
  /** model@provider or model@url, as in run records and cache keys. */
  id: string;
}

/** Always the built-in judge prompts, never --prompts: eval scores must stay comparable across runs and with the benchmark's. */
export async function createJudge(wiring: JudgeWiring): Promise<CreatedJudge> {
  const { settings, options } = wiring;
  const chat = cachingChatModel(createChatModel({ ...hostedModelOptions(judgeRoute(wiring), wiring), role: "judge" }), wiring.cache);
  const rendering = judgeRendering(options.judgeImages, options.judge);
  const rendered = rendering.imagesFirst && wiring.metric === "viescore" ? imagesFirstChatModel(chat) : chat;
  const chats = Array.from({ length: options.judgeRepeats }, (_, repeat) => seededChatModel(rendered, repeat === 0 ? undefined : repeat));
  if (wiring.metric === "kris") return { judge: await KrisJudge.create({ chats, encodeImage: rendering.encodeImage }), id: chat.id };
  const prompts = await loadPromptSet();
  const scorers = chats.map(
    (seeded) =>
      new MllmReasoner({
        chat: seeded,
        prompts,
        encodeImage: rendering.encodeImage,
        maxTokens: settings.maxTokens,
        onNotice: (message) => wiring.logger.warn(message),
      }),
  );
  return { judge: new VieScoreJudge(scorers), id: chat.id };
}

function judgeRoute({ options, judgeApiKey }: JudgeWiring) {
  return { model: options.judge, provider: options.judgeProvider, url: options.judgeUrl, apiKey: judgeApiKey };
}

/** The judge runs on Hugging Face unless --judge-url points elsewhere; --offline needs no token at all. */
export function assertJudgeCredentials(settings: Settings, credentials: Credentials, options: Pick<EvalOptions, "judge" | "judgeUrl">): void {
  if (options.judgeUrl || settings.offline || credentials.hfToken) return;
  throw new ReasonEditError("no_token", `HF_TOKEN is not set, and the judge (${options.judge}) runs on Hugging Face Inference Providers`, {
    hint: "export HF_TOKEN=hf_..., or point --judge-url at an OpenAI-compatible server (its key in REASONEDIT_JUDGE_API_KEY)",
  });
}
