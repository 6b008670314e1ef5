// `reasonedit --version` start-up time, and what the CLI loads before it can answer: the static import graph
// of dist/src/bin.js, with each third-party package timed on its own in a fresh process.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { builtinModules } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { BIN, ROOT } from "./paths.js";
import { median, quantile } from "./stats.js";

export interface Timing {
  runs: number;
  medianMs: number;
  p90Ms: number;
  minMs: number;
  samplesMs: number[];
}

export interface ExternalImport {
  /** The bare specifier as written, e.g. "pino" or "zod". */
  specifier: string;
  /** Median time of `await import(specifier)` alone in a fresh node process. */
  importMs: number;
  /** Our compiled files that import it statically (relative to the repository). */
  importedBy: string[];
  /** The first static chain from the bin that reaches it. */
  chain: string[];
}

export interface StartupReport {
  version: Timing;
  nodeBaseline: Timing;
  /** `node -e 'await import("commander")'`: the floor for a CLI built on commander. */
  commanderFloor: Timing;
  /** median(--version) − median(node -e 0): what our code adds to a bare node start. */
  addedMs: number;
  /** Median time of `await import(dist/src/cli/main.js)` in a fresh process: the whole static graph. */
  graphImportMs: number;
  ourModules: string[];
  externals: ExternalImport[];
  builtins: string[];
}

export async function measureStartup(runs: number): Promise<StartupReport> {
  await timeProcess([BIN, "--version"]); // warm the file cache once
  await timeProcess(["-e", "0"]);
  const commanderOnly = ["--input-type=module", "-e", 'await import("commander");'];
  await timeProcess(commanderOnly);
  const versionSamples: number[] = [];
  const baselineSamples: number[] = [];
  const floorSamples: number[] = [];
  // Interleaved, so a burst of load on the machine hits every series alike.
  for (let i = 0; i < runs; i++) {
    versionSamples.push(await timeProcess([BIN, "--version"], (out) => /^\d+\.\d+\.\d+/.test(out)));
    baselineSamples.push(await timeProcess(["-e", "0"]));
    floorSamples.push(await timeProcess(commanderOnly));
  }
  const version = summarize(versionSamples);
  const nodeBaseline = summarize(baselineSamples);
  const commanderFloor = summarize(floorSamples);
  const graph = staticGraph(BIN);
  const externals: ExternalImport[] = [];
  for (const [specifier, info] of graph.externals) {
    externals.push({ specifier, importMs: await timeImport(specifier, 7), importedBy: info.importedBy, chain: info.chain });
  }
  externals.sort((a, b) => b.importMs - a.importMs);
  const graphImportMs = await timeImport(pathToFileURL(path.join(ROOT, "dist", "src", "cli", "main.js")).href, 7);
  return {
    version,
    nodeBaseline,
    commanderFloor,
    addedMs: version.medianMs - nodeBaseline.medianMs,
    graphImportMs,
    ourModules: graph.modules.map(relative),
    externals,
    builtins: graph.builtins,
  };
}

function summarize(samples: number[]): Timing {
  return { runs: samples.length, medianMs: median(samples), p90Ms: quantile(samples, 0.9), minMs: Math.min(...samples), samplesMs: samples };
}

/** Wall time of `node …args` from spawn to exit; `check` validates its stdout. */
function timeProcess(args: string[], check?: (stdout: string) => boolean): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("exit", (code) => {
      const elapsed = performance.now() - started;
      if (code !== 0 || (check && !check(stdout))) reject(new Error(`node ${args.join(" ")} exited ${code}: ${stdout}${stderr}`));
      else resolve(elapsed);
    });
  });
}

/** Median of `await import(specifier)` timed inside fresh processes (resolved from the repository root). */
async function timeImport(specifier: string, runs: number): Promise<number> {
  const script = `const t = performance.now(); await import(${JSON.stringify(specifier)}); process.stdout.write(String(performance.now() - t));`;
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const out = await captureStdout(["--input-type=module", "-e", script]);
    samples.push(Number(out));
  }
  return median(samples);
}

function captureStdout(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] });
    let stdout = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolve(stdout) : reject(new Error(`node ${args.join(" ")} exited ${code}`))));
  });
}

interface Graph {
  modules: string[];
  externals: Map<string, { importedBy: string[]; chain: string[] }>;
  builtins: string[];
}

// tsc erases type-only imports, so what is left in dist/ is what node loads. Dynamic import() is not followed.
const STATIC_IMPORT = /^(?:import|export)\s+(?:[^;]*?\s+from\s+)?["']([^"']+)["'];?/gm;
const BUILTINS = new Set(builtinModules);

/** Walks the static imports from `entry` (compiled ESM), breadth first, noting how each package is first reached. */
function staticGraph(entry: string): Graph {
  const parent = new Map<string, string | undefined>([[entry, undefined]]);
  const queue = [entry];
  const externals = new Map<string, { importedBy: string[]; chain: string[] }>();
  const builtins = new Set<string>();
  const chainTo = (file: string): string[] => {
    const chain: string[] = [];
    for (let at: string | undefined = file; at; at = parent.get(at)) chain.unshift(relative(at));
    return chain;
  };
  for (let file = queue.shift(); file; file = queue.shift()) {
    const text = readFileSync(file, "utf8");
    for (const match of text.matchAll(STATIC_IMPORT)) {
      const specifier = match[1]!;
      if (specifier.startsWith(".")) {
        const target = path.resolve(path.dirname(file), specifier);
        if (!parent.has(target)) {
          parent.set(target, file);
          queue.push(target);
        }
      } else if (specifier.startsWith("node:") || BUILTINS.has(specifier)) {
        builtins.add(specifier);
      } else {
        const entry = externals.get(specifier) ?? { importedBy: [], chain: [...chainTo(file), specifier] };
        if (!entry.importedBy.includes(relative(file))) entry.importedBy.push(relative(file));
        externals.set(specifier, entry);
      }
    }
  }
  return { modules: [...parent.keys()], externals, builtins: [...builtins].sort() };
}

function relative(file: string): string {
  return path.relative(ROOT, file);
}
