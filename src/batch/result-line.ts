// The JSONL result line of one item, as printed on stdout the moment the item finishes.
import { errorReport, EXIT, exitCodeFor, type ErrorCode, type ErrorReport } from "../errors.js";
import type { RunRecord } from "../runs/run-record.js";

export type ItemStatus = "accepted" | "not_accepted" | "error";

export interface ResultLine {
  id: string | null;
  line: number;
  status: ItemStatus;
  output: string | null;
  rounds: number;
  error: ErrorReport | null;
  /** Calls made by this process for the item (0 for an item skipped by --resume); cached: answered from the cache. */
  calls: { mllm: number; editor: number; cached: number };
  tokens: number;
  /** Why the item's loop stopped (single_pass: no reflection judged it); null for an error. */
  stop_reason: string | null;
  /** Bytes this run wrote for the item: its result and its run record. */
  bytes_written: number;
  wall_ms: number;
  run_record: string | null;
  /** True when --resume took the outcome from an earlier run instead of running the item. */
  resumed: boolean;
}

export interface CallCount {
  mllm: number;
  editor: number;
  cached: number;
  tokens: number;
  rounds: number;
}

export const NO_CALLS: CallCount = { mllm: 0, editor: 0, cached: 0, tokens: 0, rounds: 0 };

export function finishedLine(item: { id: string; line: number }, record: RunRecord, recordPath: string, wallMs: number, bytesWritten = 0): ResultLine {
  return {
    id: item.id,
    line: item.line,
    status: record.status === "accepted" ? "accepted" : "not_accepted",
    output: record.output,
    rounds: record.rounds.length,
    error: null,
    calls: { mllm: record.totals.mllm_calls, editor: record.totals.editor_calls, cached: record.totals.cached_calls },
    tokens: record.totals.tokens,
    stop_reason: record.stop_reason,
    bytes_written: bytesWritten,
    wall_ms: Math.round(wallMs),
    run_record: recordPath,
    resumed: false,
  };
}

/** An item an earlier run settled: its outcome as recorded, at no cost now. */
export function resumedLine(item: { id: string; line: number }, record: RunRecord, recordPath: string): ResultLine {
  const settled = record.status === "error" ? errorLine(item, errorOfRecord(record), NO_CALLS, 0) : finishedLine(item, record, recordPath, 0);
  return { ...settled, rounds: record.rounds.length, calls: { mllm: 0, editor: 0, cached: 0 }, tokens: 0, bytes_written: 0, run_record: recordPath, resumed: true };
}

export function errorLine(
  item: { id: string | null; line: number },
  error: ErrorReport,
  count: CallCount,
  wallMs: number,
  recordPath: string | null = null,
  bytesWritten = 0,
): ResultLine {
  return {
    id: item.id,
    line: item.line,
    status: "error",
    output: null,
    rounds: count.rounds,
    error,
    calls: { mllm: count.mllm, editor: count.editor, cached: count.cached },
    tokens: count.tokens,
    stop_reason: null,
    bytes_written: bytesWritten,
    wall_ms: Math.round(wallMs),
    run_record: recordPath,
    resumed: false,
  };
}

export function describeError(error: unknown): ErrorReport {
  return errorReport(error);
}

function errorOfRecord(record: RunRecord): ErrorReport {
  return record.error ?? { code: "internal", message: "the earlier run ended in an error" };
}

/** The exit code an item error maps to on its own: 4 for provider failures, 130 for interrupts, 1 for bugs, 2 for bad input. */
export function exitClassOf(code: string): number {
  return (exitCodeFor(code as ErrorCode) as number | undefined) ?? EXIT.internal;
}
