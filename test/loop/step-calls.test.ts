// One walk over a loop result's calls feeds run totals, batch counts and eval cost, and an invalid reply's cost is in all three.
import { describe, expect, it } from "vitest";
import { countingReasoner } from "../../src/batch/counting-ports.js";
import { NO_CALLS } from "../../src/batch/result-line.js";
import { ReasonEditError } from "../../src/errors.js";
import { callsOf } from "../../src/eval/evaluate-item.js";
import { DEFAULT_LOOP_SETTINGS, runEditLoop } from "../../src/loop/run-edit-loop.js";
import { spentOn, stepCallsOf, tallyCalls } from "../../src/loop/step-calls.js";
import { totalsOf } from "../../src/runs/run-folder.js";
import { LabellingEditor, ScriptedReasoner, invalidReply, picture, refine, success } from "./scripted-ports.js";

async function runWithInvalidAssess() {
  const count = { ...NO_CALLS };
  const scripted = new ScriptedReasoner([{ verdict: refine("remove the extra sun"), assess: invalidReply("assess") }, { verdict: success() }]);
  const reasoner = countingReasoner(scripted, count);
  const result = await runEditLoop({
    source: picture("source"),
    instruction: "make it look like sunset",
    settings: { ...DEFAULT_LOOP_SETTINGS, seed: 1 },
    ports: { reasoner, editor: new LabellingEditor() },
  });
  return { result, count };
}

describe("stepCallsOf", () => {
  it("walks every call in the order the loop made them, the invalid reply included with its cost", async () => {
    const { result } = await runWithInvalidAssess();
    const steps = [...stepCallsOf(result)].map((call) => `${call.step}${call.round ? `@${call.round}` : ""}:${call.attempts}`);
    expect(steps).toEqual([
      "think:1",
      "describe:1",
      "edit@1:1",
      "conclude@1:1",
      "score_sc@1:1",
      "score_pq@1:1",
      "edit@2:1",
      "assess@2:1",
      "conclude@2:1",
      "score_sc@2:1",
      "score_pq@2:1",
      "assess@1:2",
    ]);
    expect(result.failures[0]).toMatchObject({ step: "assess", round: 1, attempts: 2, usage: { total: 30 }, cached: false });
  });

  it("gives run totals, batch counts and eval cost the same calls and tokens, the invalid reply's 2 asks and 30 tokens included", async () => {
    const { result, count } = await runWithInvalidAssess();
    const totals = totalsOf(result, 0);
    const cost = callsOf(result);
    // 9 answered steps of 15 tokens each, plus the invalid assess: 2 asks, 30 tokens.
    expect(totals).toMatchObject({ mllm_calls: 11, editor_calls: 2, cached_calls: 0, tokens: 9 * 15 + 30 });
    expect(cost).toEqual({ mllm_calls: 11, editor_calls: 2, tokens: 9 * 15 + 30 });
    expect({ mllm: count.mllm, tokens: count.tokens }).toEqual({ mllm: 11, tokens: 9 * 15 + 30 });
  });

  it("leaves cached calls out of run totals but counts them for eval, whose replays must report the same cost", () => {
    const calls = [
      { step: "assess" as const, model: "mllm" as const, attempts: 1, usage: { prompt: 8, completion: 2, total: 10 }, cached: true },
      { step: "edit" as const, model: "editor" as const, attempts: 1, usage: { prompt: 0, completion: 0, total: 0 }, cached: true },
      { step: "conclude" as const, model: "mllm" as const, attempts: 2, usage: { prompt: 8, completion: 4, total: 12 }, cached: false },
    ];
    expect(tallyCalls(calls, { countCached: false })).toEqual({ mllmCalls: 2, editorCalls: 0, cachedSteps: 2, tokens: 12 });
    expect(tallyCalls(calls, { countCached: true })).toEqual({ mllmCalls: 3, editorCalls: 1, cachedSteps: 0, tokens: 22 });
  });

  it("counts a provider failure as the one call it made", () => {
    expect(spentOn(new ReasonEditError("provider_unavailable", "503"))).toEqual({ attempts: 1, usage: { prompt: 0, completion: 0, total: 0 }, cached: false });
    expect(spentOn(invalidReply("conclude")).attempts).toBe(2);
  });
});
