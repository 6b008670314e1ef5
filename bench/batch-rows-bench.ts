// Memory in the number of rows: `reasonedit batch` (the built CLI, a child process) streams 20,000 and 200,000 rows
// at -j 32 and reports peak RSS and the JS heap after a full GC at exit, which must not grow with the rows; then the
// 200,000 rows again under a 64 MB JS heap, which must finish (nothing kept per row can outgrow it). The rows cost no model call (each names an image
// that does not exist, one in 1,000 is broken JSON, one in 1,000 repeats an id), so the figure is the batch
// machinery's own: manifest reading, row checks, duplicate detection, result lines, counters.
//
//   node dist/bench/batch-rows-bench.js [--rows 20000,200000] [--concurrency 32] [--small-heap-mb 64] [--bin dist/src/bin.js]
import { spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { BIN } from "./support/paths.js";
import { table } from "./support/stats.js";

const AIMS = { flatPct: 15 };

/** Loaded into the child with --import: prints its peak RSS and the JS heap after a full GC as it exits. */
const PROBE = `import { writeSync } from "node:fs";
process.on("exit", () => {
  globalThis.gc?.();
  const heapMb = process.memoryUsage().heapUsed / 1048576;
  writeSync(2, "\\nROWS_BENCH " + JSON.stringify({ maxRssKb: process.resourceUsage().maxRSS, heapMb }) + "\\n");
});
`;

interface RowsRun {
  rows: number;
  heapLimitMb: number | undefined;
  exitCode: number | null;
  resultLines: number;
  seconds: number;
  peakRssMb: number;
  heapAfterGcMb: number;
}

async function writeManifest(file: string, rows: number): Promise<void> {
  const out = createWriteStream(file);
  for (let k = 0; k < rows; k++) {
    const line =
      k % 1000 === 999
        ? `{"id": "broken-${k}", "image":\n`
        : `${JSON.stringify({ id: k % 1000 === 500 ? `row-${k - 1}` : `row-${k}`, image: `missing/${k}.png`, instruction: "paint the wall red" })}\n`;
    if (!out.write(line)) await new Promise<void>((resolve) => out.once("drain", () => resolve()));
  }
  await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
}

async function runRows(bin: string, dir: string, rows: number, concurrency: number, heapLimitMb?: number): Promise<RowsRun> {
  const manifest = path.join(dir, `rows-${rows}.jsonl`);
  await writeManifest(manifest, rows);
  const probe = path.join(dir, "probe.mjs");
  await writeFile(probe, PROBE);
  const args = [
    "--expose-gc",
    ...(heapLimitMb ? [`--max-old-space-size=${heapLimitMb}`] : []),
    "--import",
    pathToFileURL(probe).href,
    bin,
    "batch",
    manifest,
    ...["--out-dir", path.join(dir, `out-${rows}-${heapLimitMb ?? "default"}`), "-j", String(concurrency), "-q", "--no-cache"],
    // Never called: no row has an image. A closed port makes sure of it.
    ...["--mllm-url", "http://127.0.0.1:9/v1", "--editor-url", "http://127.0.0.1:9/edit"],
  ];
  const started = performance.now();
  const child = spawn(process.execPath, args, { cwd: dir, env: { ...process.env, HF_TOKEN: "" }, stdio: ["ignore", "pipe", "pipe"] });
  let resultLines = 0;
  child.stdout.on("data", (chunk: Buffer) => {
    for (let at = chunk.indexOf(10); at >= 0; at = chunk.indexOf(10, at + 1)) resultLines++;
  });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr = (stderr + chunk).slice(-20_000)));
  const exitCode = await new Promise<number | null>((resolve) => child.on("close", resolve));
  const probed = /ROWS_BENCH (\{.*\})/.exec(stderr);
  if (!probed) throw new Error(`the batch printed no measurements (exit ${exitCode}):\n${stderr}`);
  const usage = JSON.parse(probed[1]!) as { maxRssKb: number; heapMb: number };
  return { rows, heapLimitMb, exitCode, resultLines, seconds: (performance.now() - started) / 1000, peakRssMb: usage.maxRssKb / 1024, heapAfterGcMb: usage.heapMb };
}

function report(concurrency: number, runs: RowsRun[]): boolean {
  console.log(`Batch rows: -j ${concurrency}, rows that cost no model call (missing images, broken JSON, duplicate ids)`);
  console.log(
    table([
      ["rows", "JS heap limit", "exit", "result lines", "wall", "rows/s", "peak RSS", "heap after GC"],
      ...runs.map((run) => [
        String(run.rows),
        run.heapLimitMb ? `${run.heapLimitMb} MB` : "default",
        String(run.exitCode),
        String(run.resultLines),
        `${run.seconds.toFixed(1)} s`,
        (run.rows / run.seconds).toFixed(0),
        `${run.peakRssMb.toFixed(0)} MiB`,
        `${run.heapAfterGcMb.toFixed(1)} MiB`,
      ]),
    ]),
  );
  const unbounded = runs.filter((run) => run.heapLimitMb === undefined);
  const first = unbounded[0]!;
  const last = unbounded.at(-1)!;
  const growth = (from: number, to: number) => ((to - from) / from) * 100;
  const heapGrowthPct = growth(first.heapAfterGcMb, last.heapAfterGcMb);
  // Peak RSS with the default heap mostly measures how lazily V8 collects garbage; the heap after a full GC, and a
  // run under a small heap limit, measure what is kept.
  const flat = Math.abs(heapGrowthPct) <= AIMS.flatPct;
  const complete = runs.every((run) => run.resultLines === run.rows && run.exitCode === 3);
  const signed = (pct: number) => `${pct >= 0 ? "+" : ""}${pct.toFixed(1)}%`;
  console.log(
    `   JS heap after GC ${first.heapAfterGcMb.toFixed(1)} MiB at ${first.rows} rows → ${last.heapAfterGcMb.toFixed(1)} MiB at ${last.rows} ` +
      `(${signed(heapGrowthPct)}, aim within ±${AIMS.flatPct}%): ${flat ? "met" : "NOT met"}; peak RSS ${first.peakRssMb.toFixed(0)} → ` +
      `${last.peakRssMb.toFixed(0)} MiB (${signed(growth(first.peakRssMb, last.peakRssMb))}); every run, the small heap's too, ` +
      `printed one line per row and finished: ${complete ? "yes" : "NO"}`,
  );
  console.log("JSON summary:");
  console.log(JSON.stringify({ batchRows: { concurrency, runs } }, null, 2));
  return flat && complete;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rows: { type: "string", default: "20000,200000" },
      concurrency: { type: "string", default: "32" },
      "small-heap-mb": { type: "string", default: "64" },
      bin: { type: "string", default: BIN },
    },
  });
  const counts = values.rows.split(",").map(Number);
  const concurrency = Number(values.concurrency);
  const dir = await mkdtemp(path.join(tmpdir(), "reasonedit-rows-bench-"));
  try {
    const runs: RowsRun[] = [];
    const bin = path.resolve(values.bin);
    for (const rows of counts) runs.push(await runRows(bin, dir, rows, concurrency));
    runs.push(await runRows(bin, dir, counts.at(-1)!, concurrency, Number(values["small-heap-mb"])));
    if (!report(concurrency, runs)) process.exitCode = 1;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
