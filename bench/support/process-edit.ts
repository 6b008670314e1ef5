// The whole-process edit: `reasonedit edit` spawned as a user runs it (Node's start-up, module loading, the CLI's
// wiring and exit included) against the loopback fake, with each request's arrival time as the fake saw it.
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { loadFakes, type EditInput, type RecordedRequest } from "./fake.js";
import { BENCH_SEED } from "./edit-run.js";
import { BIN, FIXTURES } from "./paths.js";
import { median } from "./stats.js";

export interface ProcessEditOptions {
  runs: number;
  chatMs: number;
  editMs: number;
  instruction: string;
  think: Record<string, unknown>;
  refined: string;
}

export interface ProcessEditRun {
  /** Spawn to exit. */
  wallMs: number;
  exitCode: number | null;
  /** Spawn to the first request's arrival at the fake: Node's start-up, imports, loading the image, the run folder. */
  firstRequestMs: number;
  /** The largest stretch between a reply leaving the fake and the next request arriving: our work between calls. */
  largestGapMs: number;
  /** The last reply leaving the fake to the process's exit: the output at full size, the record, exit. */
  afterLastReplyMs: number;
  chatCalls: number;
  editCalls: number;
}

export interface ProcessEditReport {
  chatMs: number;
  editMs: number;
  criticalPathMs: number;
  runs: ProcessEditRun[];
  median: ProcessEditRun;
}

export async function measureProcessEdit(options: ProcessEditOptions): Promise<ProcessEditReport> {
  const { providers, responder } = await loadFakes();
  const work = await mkdtemp(path.join(tmpdir(), "reasonedit-bench-process-"));
  // As in the in-process benchmark: the fake's own image work is done once (untimed warm-up) and then reused.
  const edited = new Map<string, Promise<{ bytes: Buffer; contentType: string }>>();
  const fake = await providers.startFakeProviders({
    latencyMs: { chat: options.chatMs, edit: options.editMs },
    edit: (input: EditInput) => {
      const key = providers.sha256(input.image);
      if (!edited.has(key)) edited.set(key, providers.tintedCopy(input));
      return edited.get(key)!;
    },
  });
  const latency = (request: RecordedRequest) => (request.kind === "chat" ? options.chatMs : options.editMs);
  const runs: ProcessEditRun[] = [];
  try {
    for (let index = -1; index < options.runs; index++) {
      fake.setChat(responder.reasoningResponder({ think: options.think, verdicts: [{ refine: options.refined }, "success"] }));
      const before = fake.requests.length;
      const dir = path.join(work, `run-${index}`);
      const args = [BIN, "edit", path.join(FIXTURES, "coffee.png"), options.instruction, "-o", path.join(dir, "out.png"), "--mkdir", "-q"];
      args.push("--mllm-url", `${fake.url}/v1`, "--editor-url", fake.url, "--no-cache", "--seed", String(BENCH_SEED), "--run-dir", path.join(dir, "runs"));
      const env = { ...process.env, HF_TOKEN: "", XDG_CACHE_HOME: path.join(dir, "cache"), XDG_STATE_HOME: path.join(dir, "state") };
      const started = Date.now();
      const child = spawn(process.execPath, args, { env, stdio: ["ignore", "ignore", "pipe"] });
      let stderr = "";
      child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
      const exitCode = await new Promise<number | null>((resolve) => child.on("close", resolve));
      const wallMs = Date.now() - started;
      if (exitCode !== 0) throw new Error(`reasonedit edit exited ${exitCode}:\n${stderr}`);
      const calls = fake.requests.slice(before).filter((request) => request.kind === "chat" || request.kind === "edit");
      const replies = calls.map((call) => call.at + latency(call));
      const gaps = calls.slice(1).map((call) => call.at - Math.max(...replies.filter((reply) => reply <= call.at), calls[0]!.at));
      const run: ProcessEditRun = {
        wallMs,
        exitCode,
        firstRequestMs: calls[0]!.at - started,
        largestGapMs: Math.max(0, ...gaps),
        afterLastReplyMs: started + wallMs - Math.max(...replies),
        chatCalls: calls.filter((call) => call.kind === "chat").length,
        editCalls: calls.filter((call) => call.kind === "edit").length,
      };
      if (index >= 0) runs.push(run);
    }
  } finally {
    await fake.close();
    await rm(work, { recursive: true, force: true });
  }
  const medianWall = median(runs.map((run) => run.wallMs));
  return {
    chatMs: options.chatMs,
    editMs: options.editMs,
    criticalPathMs: 5 * options.chatMs + 2 * options.editMs,
    runs,
    median: [...runs].sort((a, b) => Math.abs(a.wallMs - medianWall) - Math.abs(b.wallMs - medianWall))[0]!,
  };
}
