// One `reasonedit edit` job run in process against the loopback fake, exactly as the CLI wires it
// (createServices + runEditJob), with every model call timed from the client side.
import path from "node:path";
import { createServices, loopSettings, recordableSettings } from "../../src/app/services.js";
import { runEditJob, type EditJobResult } from "../../src/app/edit-job.js";
import { resolveSettings } from "../../src/config/settings.js";
import { silentLogger } from "../../src/logging.js";
import type { FakeProviders } from "./fake.js";

export const BENCH_SEED = 20251127;

/** One HTTP call as the client saw it: from handing the request to fetch until the response headers. */
export interface CallTiming {
  step: string;
  /** Milliseconds since the job started. */
  start: number;
  end: number;
  /** Process CPU time (user + system, ms) since the job started, at start and at end. */
  cpuStart: number;
  cpuEnd: number;
}

export interface EditRun {
  result: EditJobResult;
  /** runEditJob from call to return: load, shape, the loop, output encoding, run record. */
  wallMs: number;
  /** Process CPU time (user + system) over the same span. */
  cpuMs: number;
  /** createServices (prompts, clients), not part of wallMs. */
  servicesMs: number;
  calls: CallTiming[];
}

export interface EditRunOptions {
  fake: FakeProviders;
  image: string;
  instruction: string;
  output: string;
  workDir: string;
}

export async function runBenchEdit(options: EditRunOptions): Promise<EditRun> {
  const settings = resolveSettings({
    flags: {
      mllmUrl: `${options.fake.url}/v1`,
      editorUrl: options.fake.url,
      cache: false,
      seed: BENCH_SEED,
      runDir: path.join(options.workDir, "runs"),
    },
  });
  const env = { XDG_CACHE_HOME: path.join(options.workDir, "cache"), XDG_STATE_HOME: path.join(options.workDir, "state") };
  const calls: CallTiming[] = [];
  let origin = performance.now();
  let cpuOrigin = process.cpuUsage();
  const cpuNow = () => {
    const used = process.cpuUsage(cpuOrigin);
    return (used.user + used.system) / 1000;
  };
  const timedFetch: typeof fetch = async (input, init) => {
    const call: CallTiming = { step: stepOfRequest(input, init?.body), start: performance.now() - origin, end: Number.NaN, cpuStart: cpuNow(), cpuEnd: Number.NaN };
    calls.push(call);
    try {
      return await fetch(input, init);
    } finally {
      call.end = performance.now() - origin;
      call.cpuEnd = cpuNow();
    }
  };
  const servicesStarted = performance.now();
  const services = await createServices(settings, {}, silentLogger, env, { fetch: timedFetch });
  const servicesMs = performance.now() - servicesStarted;
  origin = performance.now();
  cpuOrigin = process.cpuUsage();
  const result = await runEditJob(
    {
      image: options.image,
      instruction: options.instruction,
      output: options.output,
      loop: loopSettings(settings, settings.seed ?? 0),
      runsRoot: services.runsRoot,
      settingsForRecord: recordableSettings(settings),
      cwd: options.workDir,
    },
    services,
  );
  const wallMs = performance.now() - origin;
  return { result, wallMs, cpuMs: cpuNow(), servicesMs, calls };
}

/** "edit" for the editor; the JSON-schema name (think, describe, assess, conclude, score-sc, score-pq) for chat. */
function stepOfRequest(input: Parameters<typeof fetch>[0], body: unknown): string {
  const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
  if (!url.endsWith("/chat/completions")) return "edit";
  if (typeof body !== "string") return "chat";
  const at = body.lastIndexOf('"json_schema"');
  const name = at >= 0 ? /"name"\s*:\s*"([^"]+)"/.exec(body.slice(at, at + 400))?.[1] : undefined;
  return name ?? "chat";
}
