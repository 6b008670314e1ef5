// What real servers answer, copied from recorded traffic, maintainers' issues and the servers' own source, for the
// fake providers to replay. Each shape names where it was seen. Use these rather than what our code expects.
//
//   fake.setChat(() => realChat.vllmReasoningField(answer));
//   fake.fail("chat", realFault.llamaCppNoMmproj());

/** Router headers on a successful chat answer (recorded): request id, the router's own header, CloudFront. */
export const ROUTER_HEADERS = {
  "x-request-id": "Root=1-6745f3a2-1b2c3d4e5f60718293a4b5c6;0b3c2f1e-7d8a-4c5b-9e6f-1a2b3c4d5e6f",
  "x-powered-by": "huggingface-moon",
  "x-cache": "Miss from cloudfront",
  "via": "1.1 3f1c.cloudfront.net (CloudFront)",
  "x-ratelimit-remaining-requests": "59",
};

/** Chat replies (a ChatReply for the fake's chat responder) as each server shapes them. */
export const realChat = {
  /** vLLM before Nov 2025 with a reasoning parser that did not match the model: the answer in reasoning_content. */
  vllmReasoningContent: (answer) => ({ text: null, message: { reasoning_content: answer, tool_calls: [] } }),
  /** vLLM 0.17 (PR #27752): the field is `reasoning`; content null again (vllm#19839, QwenLM/Qwen3#1297). */
  vllmReasoningField: (answer) => ({ text: null, message: { reasoning: answer, tool_calls: [] } }),
  /** llama.cpp --reasoning-format deepseek: thoughts in reasoning_content, the answer in content, a timings block. */
  llamaCppDeepseek: (thoughts, answer) => ({
    text: answer,
    message: { reasoning_content: thoughts },
    extra: { timings: { prompt_n: 812, prompt_ms: 341.2, predicted_n: 96, predicted_ms: 2010.4 } },
  }),
  /** Every token spent thinking: no content, finish_reason "length" (igmarin/rs-nightshift#98). */
  allBudgetThinking: (thoughts) => ({ text: "", message: { reasoning_content: thoughts }, finishReason: "length" }),
  /** A JSON answer cut at max_tokens, mid-object. */
  cutMidObject: (answer) => ({ text: answer.slice(0, Math.floor(answer.length / 2)), finishReason: "length" }),
  /** Ollama's OpenAI layer: `reasoning` beside the content, fp_ollama (openai/openai.go). */
  ollama: (thoughts, answer) => ({ text: answer, message: { reasoning: thoughts }, extra: { system_fingerprint: "fp_ollama" } }),
  /** Mistral Magistral: content parts, a thinking part first (langchain4j#4474, vercel/ai#8072). */
  mistralThinkingParts: (thoughts, answer) => ({
    text: null,
    message: { content: [{ type: "thinking", thinking: [{ type: "text", text: thoughts }] }, { type: "text", text: answer }] },
  }),
  /** TGI: an empty id and its fingerprint, the <think> block left in content. */
  tgiThinkInContent: (thoughts, answer) => ({ text: `<think>${thoughts}</think>\n\n${answer}`, extra: { id: "", system_fingerprint: "3.2.1-native" } }),
  /** Qwen3 even in non-thinking mode: an empty block first (coze-dev/coze-studio#452). */
  qwenEmptyThink: (answer) => ({ text: `<think>\n\n</think>\n\n${answer}` }),
  /** Only the closing tag: the chat template opened the block, "the most common case" (THU-MAIC/OpenMAIC#750). */
  qwenClosingTagOnly: (thoughts, answer) => ({ text: `${thoughts}\n</think>\n\n${answer}` }),
};

/** Faults as real servers send them; each is a fake-providers Fault. */
export const realFault = {
  /** HF-Inference while a model loads (recorded): the body says how long, no Retry-After header. */
  modelLoading: (seconds = 20.0) => ({ type: "status", status: 503, body: { error: "Model Qwen/Qwen3-VL-8B-Instruct is currently loading", estimated_time: seconds } }),
  /** OpenAI's billing state, not a rate limit (recorded). */
  insufficientQuota: () => ({
    type: "status",
    status: 429,
    body: {
      error: {
        message: "You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.",
        type: "insufficient_quota",
        param: null,
        code: "insufficient_quota",
      },
    },
  }),
  /** The router out of credits (huggingface/agents-course#386). */
  routerCredits: () => ({
    type: "status",
    status: 402,
    body: { error: "You have exceeded your monthly included credits for Inference Providers. Subscribe to PRO to get 20x more monthly included credits." },
    headers: ROUTER_HEADERS,
  }),
  /** fal through the router without pay-as-you-go (fal-ai/fal#1043). */
  falPayAsYouGo: () => ({ type: "status", status: 402, body: { error: "Pay-as-you go is not enabled for provider fal-ai yet." }, headers: ROUTER_HEADERS }),
  /** vLLM ≥ 0.10.1 envelope, a text-only model sent an image (studio-dots-ai/dots.ocr#61). */
  vllmNotMultimodal: (model = "Qwen/Qwen3-8B") => ({
    type: "status",
    status: 400,
    body: { error: { message: `${model} is not a multimodal model None`, type: "BadRequestError", param: null, code: 400 } },
  }),
  /** vLLM before 0.10.1: the flat envelope (fms-guardrails-orchestrator#511). */
  vllmOldNotMultimodal: (model = "Qwen/Qwen3-8B") => ({
    type: "status",
    status: 400,
    body: { object: "error", message: `${model} is not a multimodal model None`, type: "BadRequestError", param: null, code: 400 },
  }),
  /** vLLM refusing our schema's features (vllm#16880). */
  vllmXgrammar: () => ({
    type: "status",
    status: 400,
    body: { error: { message: "The provided JSON schema contains features not supported by xgrammar.", type: "BadRequestError", param: null, code: 400 } },
  }),
  /** llama.cpp build 6139 without the projector (llama.cpp#15377). */
  llamaCppNoMmproj: () => ({
    type: "status",
    status: 500,
    body: { error: { code: 500, message: "image input is not supported - hint: if this is unexpected, you may need to provide the mmproj", type: "server_error" } },
  }),
  /** Ollama (cloud) with a text-only model (ollama#17301), in its OpenAI error envelope (openai.go:225). */
  ollamaNoImages: () => ({
    type: "status",
    status: 400,
    body: { error: { message: "this model does not support image input", type: "invalid_request_error", param: null, code: null } },
  }),
  /** Ollama, model not pulled (server/routes.go). */
  ollamaNotPulled: (model = "qwen3-vl") => ({
    type: "status",
    status: 404,
    body: { error: { message: `model "${model}" not found, try pulling it first`, type: "not_found_error", param: null, code: null } },
  }),
  /** LM Studio with a text-only model (lmstudio-bug-tracker#362). */
  lmStudioNoImages: () => ({ type: "status", status: 400, body: { error: "Model does not support images. Please use a model that does." } }),
  /** TGI's plain-text 422 for an OpenAI-style response_format (text-generation-inference#2899). */
  tgiResponseFormat: () => ({
    type: "text",
    status: 422,
    text: "Failed to deserialize the JSON body into the target type: response_format: missing field `value` at line 1 column 168",
  }),
  /** A fal model error after acceptance: a detail array (docs.fal.ai/errors). */
  falDetailArray: () => ({
    type: "status",
    status: 422,
    body: { detail: [{ loc: ["body", "image_url"], msg: "Failed to download the file. Please check if the URL is accessible.", type: "file_download_error" }] },
    headers: { "x-fal-retryable": "false" },
  }),
  /** A fal request error: flat {detail, error_type} with X-Fal-Error-Type (fal.ai request-errors). */
  falRunnerDisconnected: () => ({
    type: "status",
    status: 503,
    body: { detail: "The runner disconnected before completing the request.", error_type: "runner_disconnected" },
    headers: { "x-fal-error-type": "runner_disconnected" },
  }),
  falRequestTimeout: () => ({
    type: "status",
    status: 504,
    body: { detail: "The request timed out.", error_type: "request_timeout" },
    headers: { "x-fal-error-type": "request_timeout" },
  }),
};

/** A Hub mapping in today's object form (huggingface_hub cassettes, hub-docs hub-api.md). */
export function hubObjectMapping(model, entries) {
  return {
    _id: "66e9a7f1c2d3b4a5f6e7d8c9",
    id: model,
    inferenceProviderMapping: Object.fromEntries(
      entries.map(({ provider, ...entry }) => [provider, { status: "live", isModelAuthor: false, ...entry }]),
    ),
  };
}
