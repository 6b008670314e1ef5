import { describe, expect, it, vi } from "vitest";
import { BatchTally, batchExitCode } from "../../src/batch/batch-tally.js";
import { errorLine, NO_CALLS, type ResultLine } from "../../src/batch/result-line.js";
import { createProgress, describeProgress } from "../../src/batch/progress.js";

const ok = (status: "accepted" | "not_accepted"): ResultLine => ({ ...errorLine({ id: "x", line: 1 }, { code: "x", message: "" }, NO_CALLS, 0), status, error: null });
const failed = (code: string) => errorLine({ id: "x", line: 1 }, { code, message: "m" }, NO_CALLS, 0);

function tallyOf(lines: ResultLine[]): BatchTally {
  const tally = new BatchTally();
  for (const line of lines) tally.add(line);
  return tally;
}

describe("the batch exit code", () => {
  const exit = (lines: ResultLine[], passThreshold = 1, interrupted = false) => batchExitCode(tallyOf(lines), { interrupted, passThreshold });

  it("is 0 when every item is accepted, 3 otherwise, unless the accepted share reaches --pass-threshold", () => {
    expect(exit([ok("accepted"), ok("accepted")])).toBe(0);
    expect(exit([ok("accepted"), ok("not_accepted")])).toBe(3);
    expect(exit([ok("accepted"), failed("manifest")])).toBe(3);
    expect(exit([...Array(9).fill(ok("accepted")), ok("not_accepted")], 0.9)).toBe(0);
    expect(exit([...Array(8).fill(ok("accepted")), ok("not_accepted"), ok("not_accepted")], 0.9)).toBe(3);
    expect(exit([])).toBe(0);
  });

  it("is 4 when a provider failed, 1 for a bug, and 130 when interrupted", () => {
    expect(exit([ok("accepted"), failed("provider_unavailable"), failed("manifest")], 0)).toBe(4);
    expect(exit([ok("accepted"), failed("internal")])).toBe(1);
    expect(exit([ok("accepted"), failed("provider_timeout")], 1, true)).toBe(130);
  });
});

describe("progress", () => {
  it("prints a plain line now and then when stderr is not a terminal, and nothing with -q", async () => {
    const written: string[] = [];
    const stream = { write: (text: string) => written.push(text) } as unknown as NodeJS.WritableStream;
    vi.useFakeTimers();
    try {
      const progress = createProgress({ mode: "lines", stream, intervalMs: 5 });
      progress.setTotal(4);
      progress.update(tallyOf([ok("accepted"), failed("input_missing")]));
      vi.advanceTimersByTime(30);
      progress.stop();
    } finally {
      vi.useRealTimers();
    }
    expect(written).toHaveLength(1);
    expect(written[0]).toMatch(/^batch: 2\/4 done \(1 accepted, 0 not accepted, 1 error\), [\d.]+\/min, ETA \d+s\n$/);

    const silent = createProgress({ mode: "off", stream });
    silent.update(tallyOf([ok("accepted")]));
    silent.stop();
    expect(written).toHaveLength(1);
  });

  it("leaves out the total and ETA when the manifest comes from stdin", () => {
    expect(describeProgress({ done: 3, total: undefined, accepted: 3, notAccepted: 0, errors: 0, perMinute: 12, etaMs: undefined })).toBe(
      "batch: 3 done (3 accepted, 0 not accepted, 0 errors), 12.0/min",
    );
  });
});
