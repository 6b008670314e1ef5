// Which models need an HF token is one fact in config/: `edit` refuses to start and `doctor` fails its token check
// with the same list and the same words.
import { describe, expect, it } from "vitest";
import { checkToken } from "../../src/app/doctor/token-checks.js";
import { assertCredentials, hostedModelsNeedingToken, resolveSettings } from "../../src/config/settings.js";

const noToken = {};

function refusal(flags: Record<string, unknown>): string {
  try {
    assertCredentials(resolveSettings({ flags }), noToken);
  } catch (error) {
    return (error as Error).message;
  }
  return "(no refusal)";
}

describe("models that need an HF token", () => {
  it("are the hosted ones: none offline or when both are on custom URLs", () => {
    const settings = (flags: Record<string, unknown>) => resolveSettings({ flags });
    expect(hostedModelsNeedingToken(settings({ mllm: "a/mllm", editor: "b/editor" }))).toEqual([
      { role: "MLLM", model: "a/mllm" },
      { role: "editor", model: "b/editor" },
    ]);
    expect(hostedModelsNeedingToken(settings({ editor: "b/editor", mllmUrl: "http://127.0.0.1:9/v1" }))).toEqual([{ role: "editor", model: "b/editor" }]);
    expect(hostedModelsNeedingToken(settings({ mllmUrl: "http://127.0.0.1:9/v1", editorUrl: "http://127.0.0.1:9" }))).toEqual([]);
    expect(hostedModelsNeedingToken(settings({ offline: true }))).toEqual([]);
  });

  it("are named in the same words by edit's refusal and doctor's token check", () => {
    for (const flags of [{ mllm: "a/mllm", editor: "b/editor" }, { editor: "b/editor", mllmUrl: "http://127.0.0.1:9/v1" }]) {
      const check = checkToken(resolveSettings({ flags }), noToken);
      expect(check.status).toBe("fail");
      expect(check.detail).toBe(refusal(flags));
    }
    expect(refusal({ editor: "b/editor", mllmUrl: "http://127.0.0.1:9/v1" })).toBe(
      "HF_TOKEN is not set and no login token was found, and the editor (b/editor) runs on Hugging Face Inference Providers",
    );
    expect(refusal({ mllmUrl: "http://127.0.0.1:9/v1", editorUrl: "http://127.0.0.1:9" })).toBe("(no refusal)");
    expect(checkToken(resolveSettings({ flags: { offline: true } }), noToken)).toMatchObject({ status: "ok", detail: "not set (not needed: --offline answers from the cache)" });
  });
});
