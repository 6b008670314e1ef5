// One error report for every sink, the abort test, and retryability read from the error itself.
import { describe, expect, it } from "vitest";
import { describeReport, errorReport, exitCodeFor, isAbortError, ReasonEditError } from "../src/errors.js";

describe("errorReport", () => {
  it("carries the provider, status and request id of a provider failure, without empty fields", () => {
    const error = new ReasonEditError("provider_unavailable", "the editor is unavailable", { provider: "fal-ai", status: 503, requestId: "r-1", hint: "try later" });
    expect(errorReport(error)).toEqual({ code: "provider_unavailable", message: "the editor is unavailable", hint: "try later", provider: "fal-ai", status: 503, request_id: "r-1" });
    expect(errorReport(new ReasonEditError("usage", "bad flag"))).toEqual({ code: "usage", message: "bad flag" });
    expect(describeReport(errorReport(error))).toBe("the editor is unavailable (fal-ai, HTTP 503, request r-1)");
  });

  it("calls an abort an interruption and anything else internal", () => {
    const abort = new DOMException("stopped", "AbortError");
    expect(isAbortError(abort)).toBe(true);
    expect(errorReport(abort)).toEqual({ code: "interrupted", message: "interrupted by the user" });
    expect(isAbortError(new ReasonEditError("interrupted", "Ctrl-C"))).toBe(true);
    expect(isAbortError(new Error("boom"))).toBe(false);
    expect(errorReport(new Error("boom"))).toEqual({ code: "internal", message: "boom" });
  });
});

describe("ReasonEditError", () => {
  it("is retryable by its code unless told otherwise, and .with keeps everything else", () => {
    const transient = new ReasonEditError("provider_timeout", "slow", { provider: "x", status: 504 });
    expect(transient.retryable).toBe(true);
    expect(new ReasonEditError("provider_auth", "401").retryable).toBe(false);
    const final = transient.with({ retryable: false, hint: "billed" });
    expect(final).toMatchObject({ code: "provider_timeout", message: "slow", provider: "x", status: 504, hint: "billed", retryable: false });
  });

  it("maps the local environment's failures to exit 5", () => {
    expect(exitCodeFor("environment")).toBe(5);
    expect(exitCodeFor("locked")).toBe(5);
  });
});
