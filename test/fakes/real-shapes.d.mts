// Types for real-shapes.mjs.
import type { ChatReply, Fault } from "./fake-providers.mjs";

export declare const ROUTER_HEADERS: Record<string, string>;

export declare const realChat: {
  vllmReasoningContent(answer: string): ChatReply;
  vllmReasoningField(answer: string): ChatReply;
  llamaCppDeepseek(thoughts: string, answer: string): ChatReply;
  allBudgetThinking(thoughts: string): ChatReply;
  cutMidObject(answer: string): ChatReply;
  ollama(thoughts: string, answer: string): ChatReply;
  mistralThinkingParts(thoughts: string, answer: string): ChatReply;
  tgiThinkInContent(thoughts: string, answer: string): ChatReply;
  qwenEmptyThink(answer: string): ChatReply;
  qwenClosingTagOnly(thoughts: string, answer: string): ChatReply;
};

export declare const realFault: Record<
  | "insufficientQuota"
  | "routerCredits"
  | "falPayAsYouGo"
  | "vllmXgrammar"
  | "llamaCppNoMmproj"
  | "ollamaNoImages"
  | "lmStudioNoImages"
  | "tgiResponseFormat"
  | "falDetailArray"
  | "falRunnerDisconnected"
  | "falRequestTimeout",
  () => Fault
> & {
  modelLoading(seconds?: number): Fault;
  vllmNotMultimodal(model?: string): Fault;
  vllmOldNotMultimodal(model?: string): Fault;
  ollamaNotPulled(model?: string): Fault;
};

export declare function hubObjectMapping(
  model: string,
  entries: Array<{ provider: string; providerId: string; task: string; status?: "live" | "staging" | "error" }>,
): Record<string, unknown>;
