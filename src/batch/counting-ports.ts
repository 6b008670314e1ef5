// Per-item call counting around the shared reasoner and editor, so an item that fails still reports what it spent.
import type { Editor, Reasoner, StepCall } from "../loop/types.js";
import type { CallCount } from "./result-line.js";

export function countingReasoner(reasoner: Reasoner, count: CallCount): Reasoner {
  const counted = <I, T>(step: (input: I, signal?: AbortSignal) => Promise<StepCall<T>>) =>
    async (input: I, signal?: AbortSignal): Promise<StepCall<T>> => {
      try {
        const call = await step.call(reasoner, input, signal);
        if (call.cached) count.cached++;
        else {
          count.mllm += call.attempts;
          count.tokens += call.usage.total;
        }
        return call;
      } catch (error) {
        count.mllm++;
        throw error;
      }
    };
  return {
    think: counted(reasoner.think),
    describe: counted(reasoner.describe),
    assess: counted(reasoner.assess),
    conclude: counted(reasoner.conclude),
    scoreSemantics: counted(reasoner.scoreSemantics),
    scoreQuality: counted(reasoner.scoreQuality),
  };
}

export function countingEditor(editor: Editor, count: CallCount): Editor {
  return {
    async edit(request, signal) {
      try {
        const outcome = await editor.edit(request, signal);
        if (outcome.cached) count.cached++;
        else count.editor++;
        return outcome;
      } catch (error) {
        count.editor++;
        throw error;
      }
    },
  };
}
