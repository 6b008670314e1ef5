import { describe, expect, it } from "vitest";
import { assertCredentials, resolveSettings, settingsFromEnv } from "../../src/config/settings.js";

describe("settings", () => {
  it("resolve as defaults < config file < environment < flags", () => {
    const settings = resolveSettings({
      file: { rounds: 5, chain: "source", timeout: 60 },
      env: settingsFromEnv({ REASONEDIT_ROUNDS: "4", REASONEDIT_TIMEOUT: "90" }),
      flags: { rounds: "2" },
    });
    expect(settings).toMatchObject({ rounds: 2, timeout: 90, chain: "source", maxRetries: 4, mllm: "Qwen/Qwen3-VL-235B-A22B-Instruct" });
  });

  it("name the flag and where a bad value came from", () => {
    expect(() => resolveSettings({ env: settingsFromEnv({ REASONEDIT_ROUNDS: "many" }) })).toThrow(/--rounds \(from REASONEDIT_ROUNDS\)/);
    expect(() => resolveSettings({ file: { colour: "red" } as Record<string, unknown>, filePath: "/x/reasonedit.config.json" })).toThrow(/unknown setting colour in/);
  });

  it("switch exact ops and the change map off from the config file or the environment", () => {
    expect(resolveSettings({})).toMatchObject({ ops: true, changeMap: true, preserve: true });
    expect(resolveSettings({ file: { ops: false, changeMap: false } })).toMatchObject({ ops: false, changeMap: false });
    expect(resolveSettings({ env: settingsFromEnv({ REASONEDIT_OPS: "false", REASONEDIT_CHANGE_MAP: "0" }) })).toMatchObject({ ops: false, changeMap: false });
    expect(() => resolveSettings({ env: settingsFromEnv({ REASONEDIT_CHANGE_MAP: "maybe" }) })).toThrow(/--change-map \(from REASONEDIT_CHANGE_MAP\)/);
  });

  it("refuse several candidates without reflection, which is what compares them", () => {
    expect(() => resolveSettings({ flags: { candidates: "3", reflect: false } })).toThrow(/--candidates/);
    expect(resolveSettings({ flags: { candidates: "3" } }).candidates).toBe(3);
  });

  it("need HF_TOKEN unless both models are on custom URLs", () => {
    expect(() => assertCredentials(resolveSettings({}), {})).toThrow(/HF_TOKEN/);
    expect(() => assertCredentials(resolveSettings({ flags: { mllmUrl: "http://127.0.0.1:8000/v1" } }), {})).toThrow(/the editor/);
    expect(() => assertCredentials(resolveSettings({ flags: { mllmUrl: "http://127.0.0.1:8000/v1", editorUrl: "http://127.0.0.1:9000" } }), {})).not.toThrow();
    expect(() => assertCredentials(resolveSettings({}), { hfToken: "hf_x" })).not.toThrow();
  });
});

describe("config file mistakes", () => {
  it("name an unknown key and suggest the right one", () => {
    expect(() => resolveSettings({ file: { editorProvder: "fal-ai" } as Record<string, unknown>, filePath: "/x/reasonedit.config.json" })).toThrow(
      /unknown setting editorProvder \(did you mean editorProvider\?\) in \/x\/reasonedit.config.json/,
    );
  });

  it("say a number is expected in plain words", () => {
    expect(() => resolveSettings({ flags: { rounds: "abc" } })).toThrow(/--rounds \(from the command line\): must be a number/);
    expect(() => resolveSettings({ flags: { rounds: "1.5" } })).toThrow(/must be a whole number/);
  });
});
