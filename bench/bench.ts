// `npm run bench`: the edit benchmark (latency against the critical path, payload bytes for a 12-MP photo,
// start-up time), printed as tables plus a JSON summary; then the batch benchmarks (throughput, memory in rows), when built.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { measureLatency, measurePayloads, type LatencyReport, type PayloadReport } from "./edit-bench.js";
import { measureStartup, type StartupReport } from "./support/startup.js";
import { bytes, median, ms, percent, round1, round3, seconds, table } from "./support/stats.js";

const AIMS = { overheadPct: 10, mllmRatio: 20, startupMs: 150 };
const LATENCY = { runs: 3, chatMs: 300, editMs: 1000 };
const STARTUP_RUNS = 15;

async function main(): Promise<void> {
  const machine = { node: process.version, cpus: cpus().length, cpu: cpus()[0]?.model ?? "?", loadavg: loadavg().map(round1) };
  console.log(`reasonedit benchmark — node ${machine.node}, ${machine.cpus}× ${machine.cpu}, load average ${machine.loadavg.join(" ")}\n`);

  const latency = await measureLatency(LATENCY);
  printLatency(latency);
  const payloads = await measurePayloads();
  printPayloads(payloads);
  const startup = await measureStartup(STARTUP_RUNS);
  printStartup(startup);

  console.log("JSON summary:");
  console.log(JSON.stringify(summary(machine, latency, payloads, startup), null, 2));
  await runBenchScript("process-edit-bench.js", "The same edit as a whole process");
  await runBenchScript("batch-bench.js", "Batch benchmark");
  // CPU and memory per item at the sizes users batch: -j 16 and -j 32; REASONEDIT_BENCH_ITEMS shortens them.
  const items = process.env.REASONEDIT_BENCH_ITEMS ?? "64";
  for (const image of ["thumb", "photo"]) {
    await runBenchScript("batch-bench.js", `Batch benchmark, ${image} items`, ["--image", image, "--items", items, "--concurrency", "16,32"]);
  }
  await runBenchScript("batch-rows-bench.js", "Batch rows benchmark (memory in the number of rows)");
}

function printLatency(report: LatencyReport): void {
  console.log(`1. One 2-round edit (think → edit → reflect: refine → edit → reflect: success), loopback fake, chat ${report.chatMs} ms, edit ${report.editMs} ms`);
  console.log(
    table([
      ["run", "wall", "vs critical path", "vs serial", "process CPU", "gaps on path", "CPU in gaps", "calls' excess", "chat calls", "edit calls", "verdicts", "fake's edit work"],
      ...[["warm-up", report.warmUp] as const, ...report.runs.map((run, i) => [String(i + 1), run] as const)].map(([name, run]) => [
        name,
        ms(run.wallMs),
        percent(((run.wallMs - report.criticalPathMs) / report.criticalPathMs) * 100),
        percent(((run.wallMs - report.serialMs) / report.serialMs) * 100),
        ms(run.cpuMs),
        ms(run.criticalGapsMs),
        ms(run.criticalGapsCpuMs),
        ms(run.criticalCallExcessMs),
        String(run.chatCalls),
        String(run.editCalls),
        run.verdicts.join(" → "),
        ms(run.fakeEditWorkMs),
      ]),
    ]),
  );
  console.log(
    `   median ${seconds(report.medianWallMs)} — critical path ${seconds(report.criticalPathMs)} (overhead ${percent(report.overheadVsCriticalPct)}, aim ≤ +${AIMS.overheadPct}%: ${verdict(report.overheadVsCriticalPct <= AIMS.overheadPct)}), ` +
      `all-serial ${seconds(report.serialMs)} (${Math.abs(report.savedVsSerialPct).toFixed(1)}% ${report.savedVsSerialPct >= 0 ? "faster" : "slower"})`,
  );
  console.log(
    "   (warm-up not counted. gaps on path: our time between the calls of the critical path, job start and end included;\n" +
      "    CPU in gaps: the process CPU time inside those gaps; calls' excess: what those calls took beyond the fixed\n" +
      "    latencies — request upload, the in-process fake's parsing, time to first byte under load)",
  );
  const idle = report.criticalPathMs + median(report.runs.map((r) => r.criticalGapsCpuMs));
  console.log(
    `   on an idle machine (critical path + the CPU time spent in its gaps, median): ≈ ${seconds(idle)}, ${percent(((idle - report.criticalPathMs) / report.criticalPathMs) * 100)} — an estimate, not a measurement`,
  );
  const run = report.medianRun;
  console.log(`   timeline of the median run (ms since the job started; a call ends when its response headers arrive):`);
  console.log(
    indent(
      table([
        ["call", "ideal start", "start", "late by", "ideal end", "end", "took", "gap before", "CPU in gap", "waits for"],
        ...run.timeline.map((row) => [
          row.call,
          fmt(row.idealStart),
          fmt(row.start),
          fmt(row.start - row.idealStart),
          fmt(row.idealEnd),
          fmt(row.end),
          fmt(row.end - row.start),
          fmt(row.gap),
          fmt(row.gapCpu),
          row.after.join(", ") || "job start",
        ]),
      ]),
    ),
  );
  console.log(`   before the first call ${ms(run.beforeFirstCallMs)} (decode, shape, run folder); after the last reply ${ms(run.afterLastCallMs)} (output at full size, run record); createServices ${ms(run.servicesMs)} (not in wall)\n`);
}

function printPayloads(reports: PayloadReport[]): void {
  console.log(`2. Bytes sent per call for a ${reports[0]!.photo.width}×${reports[0]!.photo.height} (12 MP) photo, versus the file as is (base64 ≈ 1.33× the file)`);
  for (const report of reports) {
    const { photo } = report;
    console.log(`   ${photo.format.toUpperCase()} file ${bytes(photo.fileBytes)} → as base64 ${bytes(photo.fileBase64Bytes)}`);
    console.log(
      indent(
        table([
          ["to", "step", "images (source)", "image bytes", "request bytes", "file b64 / request"],
          ...[...report.mllm.map((call) => ["MLLM", call] as const), ...report.editor.map((call) => ["editor", call] as const)].map(([to, call]) => [
            to,
            call.step,
            `${call.images} (${call.sourceImages})`,
            call.imageBytes.map(bytes).join(" + "),
            bytes(call.requestBytes),
            `${call.fileBase64Ratio.toFixed(1)}×`,
          ]),
        ]),
      ),
    );
    console.log(
      `   MLLM, per image: the source goes as a ${bytes(report.mllmSourceImageBytes)} JPEG, ${report.mllmSourceImageRatio.toFixed(1)}× smaller than the file's base64 (aim ≥ ${AIMS.mllmRatio}×: ${verdict(report.mllmSourceImageRatio >= AIMS.mllmRatio)}).\n` +
        `   MLLM, per request: largest ${bytes(report.maxMllmRequestBytes)}, smallest ratio ${report.minMllmRatio.toFixed(1)}× (${verdict(report.minMllmRatio >= AIMS.mllmRatio)} — score-sc and conclude carry 2–3 images).\n` +
        `   Editor: ${bytes(report.editorRequestBytes)} per call, ${report.editorRatio.toFixed(1)}× the file's base64 / request.\n`,
    );
  }
}

function printStartup(report: StartupReport): void {
  const { version, nodeBaseline } = report;
  console.log(`3. Start-up: \`node dist/src/bin.js --version\`, ${version.runs} runs (interleaved with the two references)`);
  console.log(
    table([
      ["command", "median", "p90", "min"],
      ["reasonedit --version", ms(version.medianMs), ms(version.p90Ms), ms(version.minMs)],
      ["node -e 0", ms(nodeBaseline.medianMs), ms(nodeBaseline.p90Ms), ms(nodeBaseline.minMs)],
      ["node + import commander", ms(report.commanderFloor.medianMs), ms(report.commanderFloor.p90Ms), ms(report.commanderFloor.minMs)],
    ]),
  );
  console.log(
    `   median ${ms(version.medianMs)} (aim < ${AIMS.startupMs} ms: ${verdict(version.medianMs < AIMS.startupMs)}); our code adds ${ms(report.addedMs)} to a bare node start; ` +
      `importing the static graph of dist/src/cli/main.js (${report.ourModules.length} of our modules) takes ${ms(report.graphImportMs)}`,
  );
  console.log(`   third-party packages loaded at start-up (each imported alone in a fresh process, median of 7):`);
  console.log(
    indent(
      table([
        ["package", "import", "imported statically by", "first reached via"],
        ...report.externals.map((e) => [e.specifier, ms(e.importMs), e.importedBy.join(", "), e.chain.join(" → ")]),
      ]),
    ),
  );
  console.log("");
}

function summary(machine: object, latency: LatencyReport, payloads: PayloadReport[], startup: StartupReport) {
  return {
    machine,
    edit_latency: {
      chat_ms: latency.chatMs,
      edit_ms: latency.editMs,
      runs: latency.runs.length,
      warm_up_wall_ms: Math.round(latency.warmUp.wallMs),
      wall_ms: latency.runs.map((r) => Math.round(r.wallMs)),
      cpu_ms: latency.runs.map((r) => Math.round(r.cpuMs)),
      median_wall_ms: Math.round(latency.medianWallMs),
      critical_path_ms: latency.criticalPathMs,
      serial_ms: latency.serialMs,
      overhead_vs_critical_pct: round1(latency.overheadVsCriticalPct),
      faster_than_serial_pct: round1(latency.savedVsSerialPct),
      calls: { chat: latency.medianRun.chatCalls, edit: latency.medianRun.editCalls },
      fake_edit_work_ms: Math.round(latency.medianRun.fakeEditWorkMs),
      critical_gaps_ms: Math.round(latency.medianRun.criticalGapsMs),
      critical_gaps_cpu_ms: Math.round(latency.medianRun.criticalGapsCpuMs),
      idle_machine_estimate_ms: Math.round(latency.criticalPathMs + median(latency.runs.map((r) => r.criticalGapsCpuMs))),
      critical_call_excess_ms: Math.round(latency.medianRun.criticalCallExcessMs),
      gaps_ms: Object.fromEntries(latency.medianRun.timeline.map((row) => [row.call, { wall: Math.round(row.gap), cpu: Math.round(row.gapCpu) }])),
      before_first_call_ms: Math.round(latency.medianRun.beforeFirstCallMs),
      after_last_call_ms: Math.round(latency.medianRun.afterLastCallMs),
      meets_aim: latency.overheadVsCriticalPct <= AIMS.overheadPct,
    },
    payloads: payloads.map((p) => ({
      format: p.photo.format,
      width: p.photo.width,
      height: p.photo.height,
      file_bytes: p.photo.fileBytes,
      file_base64_bytes: p.photo.fileBase64Bytes,
      mllm_requests: p.mllm.map((c) => ({ step: c.step, images: c.images, bytes: c.requestBytes, ratio: round1(c.fileBase64Ratio) })),
      mllm_source_image_bytes: p.mllmSourceImageBytes,
      mllm_source_image_ratio: round1(p.mllmSourceImageRatio),
      mllm_min_ratio: round1(p.minMllmRatio),
      editor_request_bytes: p.editorRequestBytes,
      editor_ratio: round1(p.editorRatio),
      meets_aim: { per_image: p.mllmSourceImageRatio >= AIMS.mllmRatio, per_request: p.minMllmRatio >= AIMS.mllmRatio },
    })),
    startup: {
      runs: startup.version.runs,
      version_median_ms: Math.round(startup.version.medianMs),
      version_p90_ms: Math.round(startup.version.p90Ms),
      node_baseline_median_ms: Math.round(startup.nodeBaseline.medianMs),
      node_baseline_p90_ms: Math.round(startup.nodeBaseline.p90Ms),
      node_commander_median_ms: Math.round(startup.commanderFloor.medianMs),
      added_ms: Math.round(startup.addedMs),
      graph_import_ms: Math.round(startup.graphImportMs),
      externals: startup.externals.map((e) => ({ package: e.specifier, import_ms: round3(e.importMs), imported_by: e.importedBy })),
      meets_aim: startup.version.medianMs < AIMS.startupMs,
    },
  };
}

/** The batch benchmarks are other engineers'; run each when it has been built, and pass its output through. */
async function runBenchScript(name: string, title: string, args: string[] = []): Promise<void> {
  const script = path.join(path.dirname(fileURLToPath(import.meta.url)), name);
  if (!existsSync(script)) {
    console.log(`\n(${title} not built: dist/bench/${name} is absent)`);
    return;
  }
  console.log(`\n${title} (dist/bench/${name}):`);
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], { stdio: "inherit" });
    child.on("error", reject);
    child.on("exit", resolve);
  });
  if (code !== 0) {
    console.error(`${name} exited with code ${code}`);
    process.exitCode = 1;
  }
}

const verdict = (ok: boolean) => (ok ? "met" : "NOT met");
const fmt = (n: number) => (Number.isFinite(n) ? String(Math.round(n)) : "—");
const indent = (text: string) => text.replace(/^/gm, "   ");

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
