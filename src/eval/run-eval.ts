// Runs every benchmark item through the requested modes, -j items at a time; the first fatal error stops them all.
import pLimit from "p-limit";
import { evaluateItem, type EvalContext } from "./evaluate-item.js";
import type { ItemOutcome } from "./outcome.js";

export type { EvalContext, EvalEditServices, EvalPlan } from "./evaluate-item.js";

/** Item order is the benchmark's, whatever order they finish in. */
export async function runEval(context: Omit<EvalContext, "signal"> & { signal?: AbortSignal }): Promise<ItemOutcome[]> {
  const controller = new AbortController();
  const stopAll = () => controller.abort(context.signal?.reason);
  context.signal?.addEventListener("abort", stopAll, { once: true });
  const limit = pLimit(Math.max(1, context.plan.concurrency));
  let fatal: { error: unknown } | undefined;
  const running = context.plan.items.map((item) =>
    limit(async () => {
      try {
        controller.signal.throwIfAborted();
        return await evaluateItem(item, { ...context, signal: controller.signal });
      } catch (error) {
        // The first failure is the one to report; the others are mostly the abort it caused.
        fatal ??= { error };
        controller.abort(error);
        throw error;
      }
    }),
  );
  const settled = await Promise.allSettled(running);
  context.signal?.removeEventListener("abort", stopAll);
  if (fatal) throw fatal.error;
  return settled.map((result) => (result as PromiseFulfilledResult<ItemOutcome>).value);
}
