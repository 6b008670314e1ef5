// Counters over result lines (the lines themselves are printed and dropped) and the batch's exit code.
import { EXIT } from "../errors.js";
import { exitClassOf, type ResultLine } from "./result-line.js";

export class BatchTally {
  items = 0;
  accepted = 0;
  notAccepted = 0;
  errors = 0;
  providerErrors = 0;
  inputErrors = 0;
  internalErrors = 0;
  environmentErrors = 0;
  interrupted = 0;
  resumed = 0;
  mllmCalls = 0;
  editorCalls = 0;
  cachedCalls = 0;
  tokens = 0;
  bytesWritten = 0;
  /** Accepted items no reflection judged (--no-reflect): edited, not known to be right. */
  notJudged = 0;

  add(result: ResultLine): void {
    this.items++;
    if (result.resumed) this.resumed++;
    this.mllmCalls += result.calls.mllm;
    this.editorCalls += result.calls.editor;
    this.cachedCalls += result.calls.cached;
    this.tokens += result.tokens;
    this.bytesWritten += result.bytes_written;
    if (result.status === "accepted" && result.stop_reason === "single_pass") this.notJudged++;
    if (result.status === "accepted") this.accepted++;
    else if (result.status === "not_accepted") this.notAccepted++;
    else this.countError(result.error?.code ?? "internal");
  }

  private countError(code: string): void {
    this.errors++;
    const exitClass = exitClassOf(code);
    if (exitClass === EXIT.provider) this.providerErrors++;
    else if (exitClass === EXIT.interrupted) this.interrupted++;
    else if (exitClass === EXIT.internal) this.internalErrors++;
    else if (exitClass === EXIT.environment) this.environmentErrors++;
    else this.inputErrors++;
  }

  get done(): number {
    return this.items;
  }
}

/**
 * 130 when interrupted; else 5 when the local environment failed (a full disk: fix it, then --resume);
 * else 4 when any item failed at a provider (worth --retry-errors); 1 for a bug;
 * else 0 when the accepted share reaches the threshold (1 = every item), 3 when it does not.
 */
export function batchExitCode(tally: BatchTally, options: { interrupted: boolean; passThreshold: number }): number {
  if (options.interrupted) return EXIT.interrupted;
  if (tally.environmentErrors > 0) return EXIT.environment;
  if (tally.providerErrors > 0) return EXIT.provider;
  if (tally.internalErrors > 0) return EXIT.internal;
  if (tally.items === 0) return EXIT.ok;
  // The epsilon keeps 9 of 10 at a 0.9 threshold from failing on floating-point rounding.
  return tally.accepted >= options.passThreshold * tally.items - 1e-9 ? EXIT.ok : EXIT.notAccepted;
}
