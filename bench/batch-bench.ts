// The batch benchmark: `reasonedit batch` (the built CLI, in a child process) over N items at -j 32 against a
// loopback fake with fixed latencies. Reports throughput as a share of the ideal (concurrency ÷ the per-item
// critical path), CPU time per item and the child's peak RSS at 500 and 2,000 items, which should be flat in the
// number of items. --image picks the inputs: tiny 64×48 PNGs (the default), 160×120 thumbnails (PNG) or 4032×3024
// phone photos (JPEG q90 made from fixtures/coffee.png); each item has its own bytes.
//
//   node dist/bench/batch-bench.js [--items 500,2000] [--concurrency 32 | 16,32] [--image tiny|thumb|photo]
//                                  [--chat-ms 200] [--edit-ms 500] [--bin dist/src/bin.js]
//                                  [--cpu-prof DIR]   (the child writes a V8 CPU profile of its main thread into DIR)
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { cpus, tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import sharp from "sharp";
import { editorSize } from "../src/images/shape.js";
import { BIN } from "./support/paths.js";
import { IMAGE_KINDS, writeItemImages, type ImageKind } from "./support/items.js";
import { ms, seconds, table } from "./support/stats.js";

const AIMS = { idealSharePct: 90, peakRssMb: 300, flatPct: 15 };

/** One reply that every reasoning step accepts (each step's schema reads its own fields): each item needs one edit. */
const CHAT_REPLY = JSON.stringify({
  instruction: "paint the wall red",
  changed: false,
  scope: "global",
  target_description: "the same picture with a red wall",
  meets_instruction: "yes",
  major_conflicts: 0,
  minor_conflicts: 0,
  hallucinations: 0,
  omissions: 0,
  raw_score: 9,
  reason: "done",
  verdict: "success",
  refined_instruction: null,
  score: [9, 9],
  reasoning: "fine",
});

interface BenchOptions {
  items: number[];
  concurrency: number;
  image: ImageKind;
  chatMs: number;
  editMs: number;
  bin: string;
  /** When set, the child writes a .cpuprofile of its main thread here (sharp's own threads are not in it). */
  cpuProfDir?: string;
}

interface BatchRun {
  items: number;
  accepted: number;
  exitCode: number | null;
  /** From the fake's first request to the last result line: excludes Node's start-up. */
  wallMs: number;
  itemsPerSecond: number;
  peakRssMb: number;
  /** JS heap in use after a full GC at exit: grows with the items only if something is kept per item. */
  heapAfterGcMb: number;
  cpuMsPerItem: number;
  requests: number;
}

// ---- the fake: fixed latency, one canned reply, no recording (so it costs the machine next to nothing) -------

interface LeanFake {
  url: string;
  requests: number;
  firstRequestAt: number | undefined;
  /** Forgets the first request's time, before the next run. */
  restartClock(): void;
  close(): Promise<void>;
}

async function startLeanFake(chatMs: number, editMs: number, image: ImageKind): Promise<LeanFake> {
  const target = editorSize(IMAGE_KINDS[image].width, IMAGE_KINDS[image].height);
  const edited = await sharp({ create: { ...target, channels: 3, background: { r: 200, g: 40, b: 40 } } }).png().toBuffer();
  const state = { requests: 0, firstRequestAt: undefined as number | undefined };
  const server = createServer((request, response) => void answer(request, response));
  const answer = async (request: IncomingMessage, response: ServerResponse) => {
    for await (const _chunk of request); // the body must be read before answering
    state.requests++;
    state.firstRequestAt ??= performance.now();
    const isChat = (request.url ?? "").endsWith("/chat/completions");
    await new Promise((resolve) => setTimeout(resolve, isChat ? chatMs : editMs));
    if (isChat) return sendChat(response);
    response.writeHead(200, { "content-type": "image/png", "content-length": edited.length });
    response.end(edited);
  };
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    get requests() {
      return state.requests;
    },
    get firstRequestAt() {
      return state.firstRequestAt;
    },
    restartClock: () => void (state.firstRequestAt = undefined),
    close: () => closeServer(server),
  };
}

function sendChat(response: ServerResponse): void {
  const body = JSON.stringify({
    id: "chatcmpl-bench",
    object: "chat.completion",
    created: 0,
    model: "bench",
    choices: [{ index: 0, message: { role: "assistant", content: CHAT_REPLY }, finish_reason: "stop" }],
    usage: { prompt_tokens: 900, completion_tokens: 60, total_tokens: 960 },
  });
  response.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
  response.end(body);
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

// ---- the run ------------------------------------------------------------------------------------------------

/** A manifest of `count` rows over as many distinct images, in its own folder. */
async function writeManifest(dir: string, count: number, image: ImageKind): Promise<string> {
  await mkdir(path.join(dir, "images"), { recursive: true });
  const files = await writeItemImages(path.join(dir, "images"), count, image);
  const rows = files.map((file, k) => JSON.stringify({ id: `item-${k}`, image: `images/${file}`, instruction: "paint the wall red" }));
  const manifest = path.join(dir, "manifest.jsonl");
  await writeFile(manifest, `${rows.join("\n")}\n`);
  return manifest;
}

/** Loaded into the child with --import: prints its peak RSS, CPU time and JS heap after a full GC as it exits. */
const PROBE = `import { writeSync } from "node:fs";
process.on("exit", () => {
  const usage = process.resourceUsage();
  globalThis.gc?.();
  const heapMb = process.memoryUsage().heapUsed / 1048576;
  writeSync(2, "\\nBATCH_BENCH " + JSON.stringify({ maxRssKb: usage.maxRSS, cpuMs: (usage.userCPUTime + usage.systemCPUTime) / 1000, heapMb }) + "\\n");
});
`;

async function runBatch(options: BenchOptions, fake: LeanFake, workDir: string, items: number): Promise<BatchRun> {
  const dir = path.join(workDir, `j${options.concurrency}-n${items}`);
  const manifest = await writeManifest(dir, items, options.image);
  const probe = path.join(workDir, "probe.mjs");
  await writeFile(probe, PROBE);
  const requestsBefore = fake.requests;
  fake.restartClock();
  const args = [
    "--expose-gc",
    ...(options.cpuProfDir ? ["--cpu-prof", "--cpu-prof-dir", options.cpuProfDir] : []),
    "--import",
    pathToFileURL(probe).href,
    options.bin,
    "batch",
    manifest,
    ...["--out-dir", path.join(dir, "out"), "-j", String(options.concurrency), "-q", "--no-cache", "--seed", "1"],
    ...["--mllm-url", `${fake.url}/v1`, "--editor-url", `${fake.url}/edit`],
  ];
  const child = spawn(process.execPath, args, { cwd: dir, env: { ...process.env, HF_TOKEN: "" }, stdio: ["ignore", "pipe", "pipe"] });
  let accepted = 0;
  let lastLineAt = 0;
  createInterface({ input: child.stdout }).on("line", (line) => {
    lastLineAt = performance.now();
    if ((JSON.parse(line) as { status: string }).status === "accepted") accepted++;
  });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const exitCode = await new Promise<number | null>((resolve) => child.on("close", resolve));
  const probed = /BATCH_BENCH (\{.*\})/.exec(stderr);
  if (!probed) throw new Error(`the batch printed no measurements (exit ${exitCode}):\n${stderr}`);
  const usage = JSON.parse(probed[1]!) as { maxRssKb: number; cpuMs: number; heapMb: number };
  const wallMs = lastLineAt - (fake.firstRequestAt ?? lastLineAt);
  return {
    items,
    accepted,
    exitCode,
    wallMs,
    itemsPerSecond: items / (wallMs / 1000),
    peakRssMb: usage.maxRssKb / 1024,
    heapAfterGcMb: usage.heapMb,
    cpuMsPerItem: usage.cpuMs / items,
    requests: fake.requests - requestsBefore,
  };
}

// ---- report -------------------------------------------------------------------------------------------------

/** think → edit → assess → conclude: describe runs beside the edit, the scores beside assess → conclude. */
function criticalPathMs(options: BenchOptions): number {
  return 3 * options.chatMs + options.editMs;
}

function report(options: BenchOptions, runs: BatchRun[]): void {
  const critical = criticalPathMs(options);
  const ideal = options.concurrency / (critical / 1000);
  console.log(
    `Batch of ${options.image} items (${IMAGE_KINDS[options.image].label}): -j ${options.concurrency}, chat ${options.chatMs} ms, edit ${options.editMs} ms, critical path ${ms(critical)} per item ` +
      `(think → edit → assess → conclude) → ideal ${ideal.toFixed(1)} items/s; ${cpus().length} CPUs`,
  );
  console.log(
    table([
      ["items", "accepted", "exit", "wall", "items/s", "share of ideal", "peak RSS", "heap after GC", "CPU per item", "requests"],
      ...runs.map((run) => [
        String(run.items),
        String(run.accepted),
        String(run.exitCode),
        seconds(run.wallMs),
        run.itemsPerSecond.toFixed(1),
        `${((run.itemsPerSecond / ideal) * 100).toFixed(1)}%`,
        `${run.peakRssMb.toFixed(0)} MiB`,
        `${run.heapAfterGcMb.toFixed(1)} MiB`,
        ms(run.cpuMsPerItem),
        String(run.requests),
      ]),
    ]),
  );
  const first = runs[0]!;
  const last = runs.at(-1)!;
  const share = (first.itemsPerSecond / ideal) * 100;
  const peak = Math.max(...runs.map((run) => run.peakRssMb));
  const growthPct = ((last.peakRssMb - first.peakRssMb) / first.peakRssMb) * 100;
  const cpuCeiling = (cpus().length * 1000) / first.cpuMsPerItem;
  console.log(`   throughput at ${first.items} items: ${share.toFixed(1)}% of ideal (aim ≥ ${AIMS.idealSharePct}%: ${verdict(share >= AIMS.idealSharePct)})`);
  console.log(
    `   peak RSS: ${runs.map((run) => `${run.peakRssMb.toFixed(0)} MiB at ${run.items}`).join(", ")} — under ${AIMS.peakRssMb} MiB: ${verdict(peak < AIMS.peakRssMb)}; ` +
      `flat (${growthPct >= 0 ? "+" : ""}${growthPct.toFixed(1)}% from ${first.items} to ${last.items} items, aim within ±${AIMS.flatPct}%): ${verdict(Math.abs(growthPct) <= AIMS.flatPct)}`,
  );
  console.log(
    `   CPU ceiling: ${cpus().length} CPUs ÷ ${ms(first.cpuMsPerItem)} of CPU per item ≈ ${cpuCeiling.toFixed(1)} items/s ` +
      `(reached ${((first.itemsPerSecond / cpuCeiling) * 100).toFixed(0)}% of it); the ideal needs ≤ ${ms((cpus().length * 1000) / ideal)} per item`,
  );
  console.log("JSON summary:");
  console.log(JSON.stringify({ batch: { ...options, bin: undefined, criticalPathMs: critical, idealItemsPerSecond: ideal, runs } }, null, 2));
}

const verdict = (ok: boolean) => (ok ? "met" : "NOT met");

function readOptions(): Omit<BenchOptions, "concurrency"> & { concurrency: number[] } {
  const { values } = parseArgs({
    options: {
      items: { type: "string", default: "500,2000" },
      concurrency: { type: "string", default: "32" },
      image: { type: "string", default: "tiny" },
      "chat-ms": { type: "string", default: "200" },
      "edit-ms": { type: "string", default: "500" },
      bin: { type: "string", default: BIN },
      "cpu-prof": { type: "string" },
    },
  });
  if (!(values.image in IMAGE_KINDS)) throw new Error(`--image must be one of ${Object.keys(IMAGE_KINDS).join(", ")}`);
  return {
    items: values.items.split(",").map(Number),
    concurrency: values.concurrency.split(",").map(Number),
    image: values.image as ImageKind,
    chatMs: Number(values["chat-ms"]),
    editMs: Number(values["edit-ms"]),
    bin: path.resolve(values.bin),
    ...(values["cpu-prof"] ? { cpuProfDir: path.resolve(values["cpu-prof"]) } : {}),
  };
}

async function main(): Promise<void> {
  const { concurrency: levels, ...common } = readOptions();
  const workDir = await mkdtemp(path.join(tmpdir(), "reasonedit-batch-bench-"));
  const fake = await startLeanFake(common.chatMs, common.editMs, common.image);
  try {
    for (const concurrency of levels) {
      const options = { ...common, concurrency };
      const runs: BatchRun[] = [];
      for (const items of options.items) runs.push(await runBatch(options, fake, workDir, items));
      report(options, runs);
      if (runs.some((run) => run.exitCode !== 0 || run.accepted !== run.items)) process.exitCode = 1;
    }
  } finally {
    await fake.close();
    await rm(workDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
