import {
  InferenceClientHubApiError,
  InferenceClientInputError,
  InferenceClientProviderApiError,
  InferenceClientProviderOutputError,
  InferenceClientRoutingError,
} from "@huggingface/inference";
import { describe, expect, it } from "vitest";
import { ReasonEditError } from "../../src/errors.js";
import { toReasonEditError, type ErrorContext } from "../../src/providers/error-mapping.js";

const TOKEN = "hf_secretValue1234567890";
const context: ErrorContext = { provider: "fal-ai", model: "Qwen/Qwen-Image-Edit", role: "editor", custom: false, secrets: [TOKEN] };

function apiError(status: number, body: unknown, message = "Failed to perform inference: an HTTP error occurred when requesting the provider.") {
  return new InferenceClientProviderApiError(
    message,
    { url: "https://router.huggingface.co/fal-ai/x", method: "POST" },
    { requestId: "req-123", status, body: body as string },
  );
}

describe("toReasonEditError", () => {
  it("keeps the provider's own message from an OpenAI-style body, with the status and request id", () => {
    const error = toReasonEditError(apiError(400, { error: { message: "image_url: unsupported MIME type" } }), context);
    expect(error).toMatchObject({ code: "provider_bad_request", status: 400, requestId: "req-123", provider: "fal-ai" });
    expect(error.message).toBe("fal-ai answered 400: image_url: unsupported MIME type");
  });

  it("reads detail and message bodies, and FastAPI validation arrays", () => {
    expect(toReasonEditError(apiError(422, { detail: [{ msg: "field required" }] }), context).message).toContain("field required");
    expect(toReasonEditError(apiError(500, { message: "worker crashed" }), context).message).toContain("worker crashed");
  });

  it("scrubs tokens and truncates long provider messages", () => {
    const long = `bad token ${TOKEN} ${"x".repeat(1_000)}`;
    const error = toReasonEditError(apiError(400, { error: long }), context);
    expect(error.message).not.toContain(TOKEN);
    expect(error.message.length).toBeLessThan(400);
  });

  it("maps statuses to codes a user can act on", () => {
    const code = (status: number) => toReasonEditError(apiError(status, { error: "x" }), context).code;
    expect([401, 402, 403, 404, 408, 429, 500, 502, 503, 504].map(code)).toEqual([
      "provider_auth",
      "provider_billing",
      "provider_auth",
      "model_unserved",
      "provider_timeout",
      "provider_rate_limited",
      "provider_unavailable",
      "provider_unavailable",
      "provider_unavailable",
      "provider_timeout",
    ]);
  });

  it("says which model a provider does not serve and what to try", () => {
    const error = toReasonEditError(apiError(404, { error: "Model not found" }), context);
    expect(error.message).toBe("Qwen/Qwen-Image-Edit is not served by fal-ai: Model not found");
    expect(error.hint).toBe("Try --editor-provider auto or another model.");
  });

  it("takes Retry-After and a request id from what the fetch wrapper recorded", () => {
    const recorded = { status: 429, retryAfterMs: 4_000, requestId: "router-9" };
    const bare = new InferenceClientProviderApiError("x", { url: "u", method: "POST" }, { requestId: "", status: 429, body: "" });
    expect(toReasonEditError(bare, { ...context, recorded })).toMatchObject({ retryAfterMs: 4_000, requestId: "router-9" });
  });

  it("talks about the custom server's API key, not HF_TOKEN, for a custom url", () => {
    const error = toReasonEditError(apiError(401, { error: "bad key" }), { ...context, custom: true, role: "mllm", provider: "http://127.0.0.1:8000/v1" });
    expect(error.hint).toContain("REASONEDIT_MLLM_API_KEY");
  });

  it("maps Hub lookups, unserved tasks, routing and output errors", () => {
    const hub = new InferenceClientHubApiError("Failed", { url: "u", method: "GET" }, { requestId: "", status: 404, body: { error: "Repository not found" } });
    expect(toReasonEditError(hub, context).code).toBe("model_unserved");
    const task = new InferenceClientInputError(
      "Model Qwen/Qwen-Image-Edit is not supported for task image-to-image and provider fal-ai. Supported task: text-to-image.",
    );
    expect(toReasonEditError(task, context).code).toBe("model_unserved");
    expect(toReasonEditError(new InferenceClientInputError("Provider 'hyperbolic' not supported. Available providers: x"), context).code).toBe("config");
    expect(toReasonEditError(new InferenceClientRoutingError("Cannot select auto-router when using non-Hugging Face API key."), context).code).toBe("no_token");
    const output = toReasonEditError(new InferenceClientProviderOutputError("Received malformed response from Fal.ai image-to-image API"), context);
    expect(output.code).toBe("provider_output");
  });

  it("recognises fetch network failures by their cause", () => {
    const reset = new TypeError("fetch failed", { cause: Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" }) });
    const error = toReasonEditError(reset, context);
    expect(error.code).toBe("provider_network");
    expect(error.message).toBe("Could not reach fal-ai: ECONNRESET");
  });

  it("passes ReasonEditErrors through and calls anything else internal", () => {
    const own = new ReasonEditError("provider_timeout", "slow");
    expect(toReasonEditError(own, context)).toBe(own);
    expect(toReasonEditError(new RangeError("oops"), context).code).toBe("internal");
  });
});
