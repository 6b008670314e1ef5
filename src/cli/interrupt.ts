// Ctrl-C: the first aborts in-flight model calls and ends with exit 130; what finished stays on disk.
import { ReasonEditError } from "../errors.js";

export async function withInterrupt<T>(say: (line: string) => void, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const onSignal = () => {
    if (controller.signal.aborted) process.exit(130);
    say("interrupted: stopping model calls (Ctrl-C again to quit at once)");
    controller.abort(new ReasonEditError("interrupted", "interrupted by the user", { hint: "what finished is in the run record" }));
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    return await run(controller.signal);
  } catch (error) {
    if (controller.signal.aborted) throw controller.signal.reason;
    throw error;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}
