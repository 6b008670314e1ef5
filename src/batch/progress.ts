// Progress on stderr: a bar on a terminal, a plain line every few seconds otherwise, nothing with -q.
import cliProgress from "cli-progress";
import type { BatchTally } from "./batch-tally.js";

export interface BatchProgress {
  /** The number of items in this shard, when known up front. */
  setTotal(total: number | undefined): void;
  update(tally: BatchTally): void;
  /** A message for the user, printed above the bar rather than through it. */
  note(line: string): void;
  stop(): void;
}

export type ProgressMode = "bar" | "lines" | "off";

export interface ProgressOptions {
  mode: ProgressMode;
  stream: NodeJS.WritableStream;
  /** Between plain lines. */
  intervalMs?: number;
  now?: () => number;
}

export function createProgress(options: ProgressOptions): BatchProgress {
  if (options.mode === "off") return { setTotal: () => undefined, update: () => undefined, note: () => undefined, stop: () => undefined };
  const clock = new ProgressClock(options.now ?? Date.now);
  return options.mode === "bar" ? barProgress(options.stream, clock) : lineProgress(options.stream, clock, options.intervalMs ?? 10_000);
}

export interface ProgressSnapshot {
  done: number;
  total: number | undefined;
  accepted: number;
  notAccepted: number;
  errors: number;
  /** Items per minute, counting only items run now (not those --resume skipped). */
  perMinute: number;
  etaMs: number | undefined;
}

/** Rates from items actually run, so a resume's instant skips do not inflate them. */
class ProgressClock {
  private readonly started: number;

  constructor(private readonly now: () => number) {
    this.started = now();
  }

  snapshot(tally: BatchTally, total: number | undefined): ProgressSnapshot {
    const ran = tally.done - tally.resumed;
    const elapsedMs = Math.max(1, this.now() - this.started);
    const perMs = ran / elapsedMs;
    const remaining = total === undefined ? undefined : Math.max(0, total - tally.done);
    return {
      done: tally.done,
      total,
      accepted: tally.accepted,
      notAccepted: tally.notAccepted,
      errors: tally.errors,
      perMinute: perMs * 60_000,
      etaMs: remaining === undefined || perMs === 0 ? undefined : remaining / perMs,
    };
  }
}

export function describeProgress(s: ProgressSnapshot): string {
  const of = s.total === undefined ? "" : `/${s.total}`;
  const eta = s.etaMs === undefined ? "" : `, ETA ${formatDuration(s.etaMs)}`;
  return `batch: ${s.done}${of} done (${s.accepted} accepted, ${s.notAccepted} not accepted, ${s.errors} error${s.errors === 1 ? "" : "s"}), ${s.perMinute.toFixed(1)}/min${eta}`;
}

export function formatDuration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m${String(seconds % 60).padStart(2, "0")}s`;
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, "0")}m`;
}

function barProgress(stream: NodeJS.WritableStream, clock: ProgressClock): BatchProgress {
  // A MultiBar with one bar, for its log(): text written to the stream directly would tear the bar.
  const bars = new cliProgress.MultiBar(
    {
      stream,
      // Own names: cli-progress fills {eta} and {total} itself, from a total that may be unknown here.
      format: "{bar} {value}{of} | {accepted} accepted, {errors} errors | {per_minute}/min | ETA {eta_text}",
      hideCursor: true,
      clearOnComplete: false,
      fps: 5,
    },
    cliProgress.Presets.shades_classic,
  );
  let total: number | undefined;
  const payload = (s: ProgressSnapshot) => ({
    of: s.total === undefined ? "" : `/${s.total}`,
    accepted: s.accepted,
    errors: s.errors,
    per_minute: s.perMinute.toFixed(1),
    eta_text: s.etaMs === undefined ? "–" : formatDuration(s.etaMs),
  });
  let bar: cliProgress.SingleBar | undefined;
  let stopped = false;
  return {
    setTotal(value) {
      total = value;
    },
    update(tally) {
      if (stopped) return;
      const snapshot = clock.snapshot(tally, total);
      // An unknown total (stdin) grows with the rows read, so the bar stays meaningful.
      const barTotal = Math.max(total ?? tally.done, 1);
      if (!bar) bar = bars.create(barTotal, tally.done, payload(snapshot));
      bar.setTotal(barTotal);
      bar.update(tally.done, payload(snapshot));
    },
    note(line) {
      if (bar && !stopped) bars.log(`${line}\n`);
      else stream.write(`${line}\n`);
    },
    stop() {
      if (stopped) return;
      stopped = true;
      if (!bar) return;
      bars.update(); // flushes notes logged since the last redraw
      bars.stop();
    },
  };
}

function lineProgress(stream: NodeJS.WritableStream, clock: ProgressClock, intervalMs: number): BatchProgress {
  let total: number | undefined;
  let latest: BatchTally | undefined;
  let printed = -1;
  const print = () => {
    if (!latest || latest.done === printed) return;
    printed = latest.done;
    stream.write(`${describeProgress(clock.snapshot(latest, total))}\n`);
  };
  const timer = setInterval(print, intervalMs);
  timer.unref(); // progress must never keep a finished batch alive
  return {
    setTotal(value) {
      total = value;
    },
    update(tally) {
      latest = tally;
    },
    note(line) {
      stream.write(`${line}\n`);
    },
    stop() {
      clearInterval(timer);
    },
  };
}
