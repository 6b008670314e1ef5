// What a person watching one edit sees on stderr: on a TTY one live line per running step, with its elapsed time
// and where the call went, replaced by the step's result; otherwise plain timestamped lines; nothing with -q.
import type { ProgressEvent, ProgressStep } from "../app/progress.js";

export type ProgressStyle = "live" | "lines" | "off";

const LABELS: Record<ProgressStep, string> = {
  think: "thinking",
  describe: "describing the target",
  edit: "editing",
  assess: "assessing",
  conclude: "concluding",
  score_sc: "scoring SC",
  score_pq: "scoring PQ",
};

interface Running {
  label: string;
  /** Where the call went, and how it waits: "Qwen-Image-Edit via fal-ai, queued 3rd". */
  where: string;
  /** Whether fal's queue spoke of this call: "running" once it left the queue. */
  wait: "none" | "queued" | "running";
  started: number;
}

/** `Qwen/Qwen3-VL-235B-A22B-Instruct@novita` → `Qwen3-VL-235B-A22B-Instruct via novita`; a server URL shows its host. */
export function describeRoute(route: string): string {
  const at = route.indexOf("@");
  const model = (at < 0 ? route : route.slice(0, at)).split("/").pop() ?? route;
  const where = at < 0 ? "" : route.slice(at + 1).replace(/^https?:\/\//, "").replace(/\/.*$/, "");
  return where ? `${model} via ${where}` : model;
}

export class ProgressLines {
  private readonly running = new Map<string, Running>();
  private timer: NodeJS.Timeout | undefined;
  private shown = false;

  constructor(
    private readonly style: ProgressStyle,
    private readonly write: (text: string) => void,
    private readonly now: () => number = () => performance.now(),
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /** A result line (a round's verdict, the thought-out instruction): replaces the live line, or is timestamped. */
  say(line: string): void {
    if (this.style === "off") return;
    if (this.style === "lines") return this.write(`${this.stamp()} ${line}\n`);
    this.clearLive();
    this.write(`${line}\n`);
    this.drawLive();
  }

  onEvent(event: ProgressEvent): void {
    if (this.style === "off" || event.type === "thought" || event.type === "round_finished") return;
    const key = `${event.step}:${event.round ?? ""}`;
    const label = `${event.round !== undefined ? `round ${event.round}: ` : ""}${LABELS[event.step]}`;
    if (event.type === "step_started") {
      this.running.set(key, { label, where: describeRoute(event.route), wait: "none", started: this.now() });
      if (this.style === "lines") this.write(`${this.stamp()} ${label} (${describeRoute(event.route)})\n`);
      else this.startTimer();
    } else if (event.type === "step_update") {
      const step = this.running.get(key);
      if (step === undefined) return;
      step.wait = event.queue_position !== null ? "queued" : step.wait === "none" ? "none" : "running";
      const where = `${describeRoute(event.route)}${queueText(event.queue_position, step.wait)}`;
      if (where === step.where) return;
      step.where = where;
      if (this.style === "lines") this.write(`${this.stamp()} ${label} (${where})\n`);
    } else {
      this.running.delete(key);
      if (this.style === "lines") this.write(`${this.stamp()} ${label}: ${event.type === "step_failed" ? "failed" : "done"} in ${seconds(event.ms)}\n`);
      else if (this.running.size === 0) this.stopTimer();
    }
    if (this.style === "live") this.redraw();
  }

  /** Ends the live line before the summary is printed. */
  stop(): void {
    this.stopTimer();
    this.clearLive();
    this.running.clear();
  }

  private redraw(): void {
    this.clearLive();
    this.drawLive();
  }

  private drawLive(): void {
    if (this.running.size === 0) return;
    const parts = [...this.running.values()].map((step) => `${step.label}… ${Math.floor((this.now() - step.started) / 1000)} s (${step.where})`);
    this.write(parts.join(" · "));
    this.shown = true;
  }

  private clearLive(): void {
    if (!this.shown) return;
    this.write("\r\x1b[2K");
    this.shown = false;
  }

  private startTimer(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.redraw(), 1000);
    this.timer.unref();
  }

  private stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private stamp(): string {
    return this.clock().toISOString().slice(11, 19);
  }
}

/** fal counts the jobs ahead (0: next to run), so position 2 is "queued 3rd"; "running" once it left the queue. */
function queueText(position: number | null, wait: Running["wait"]): string {
  if (position !== null) return `, queued ${ordinal(position + 1)}`;
  return wait === "running" ? ", running" : "";
}

function ordinal(n: number): string {
  const tens = n % 100;
  const suffix = tens >= 11 && tens <= 13 ? "th" : ({ 1: "st", 2: "nd", 3: "rd" } as Record<number, string>)[n % 10] ?? "th";
  return `${n}${suffix}`;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
