// The library as a user gets it: `npm pack`, installed into an empty project, imported as "reasonedit" (no deep
// imports of dist/), run against the loopback fake in this process.
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeProviders, type FakeProviders } from "../fakes/fake-providers.mjs";
import { reasoningResponder } from "../fakes/reasoning-responder.mjs";

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const FIXTURE = fileURLToPath(new URL("../../fixtures/chelsea.png", import.meta.url));

let fake: FakeProviders;
let project: string;
let packed: string[];

// Run by node inside the temporary project; prints one JSON line per case.
const SCRIPT = `
import { edit, ReasonEditError, VERSION } from "reasonedit";
const { mllmUrl, editorUrl, image, dir } = JSON.parse(process.env.CASE);
const settings = { mllmUrl, editorUrl, maxRetries: 0, seed: 7, cache: false, runDir: dir + "/runs" };
const events = [];
const result = await edit({ image, instruction: "make it snow", output: dir + "/out.png", settings, cwd: dir, onProgress: (e) => events.push(e.type + ":" + (e.step ?? "")) });
console.log(JSON.stringify({ result, events, version: VERSION }));
const early = new AbortController();
early.abort();
const aborted = await edit({ image, instruction: "make it snow", settings, signal: early.signal, cwd: dir }).catch((error) => error);
const midway = new AbortController();
const stopped = await edit({ image, instruction: "make it snow", output: dir + "/midway.png", settings, cwd: dir, signal: midway.signal,
  onProgress: (e) => { if (e.type === "step_started" && e.step === "edit") midway.abort(); } }).catch((error) => error);
const describe = (error) => ({ isReasonEditError: error instanceof ReasonEditError, code: error.code, exitCode: error.exitCode, message: error.message });
console.log(JSON.stringify({ aborted: describe(aborted), stopped: describe(stopped), midwayWritten: (await import("node:fs")).existsSync(dir + "/midway.png") }));
`;

beforeAll(async () => {
  fake = await startFakeProviders();
  fake.setChat(reasoningResponder({ verdicts: ["success"] }));
  project = mkdtempSync(join(tmpdir(), "reasonedit-packed-"));
  // The build is already there (pretest); packing must not rebuild it.
  const { stdout } = await run("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", project], { cwd: ROOT });
  const [info] = JSON.parse(stdout) as Array<{ filename: string; files: Array<{ path: string }> }>;
  packed = info!.files.map((file) => file.path);
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "uses-reasonedit", private: true, type: "module", dependencies: { reasonedit: `file:${info!.filename}` } }));
  writeFileSync(join(project, "package-lock.json"), JSON.stringify(lockFor(info!.filename)));
  writeFileSync(join(project, "try.mjs"), SCRIPT);
  // Offline: the lock pins every dependency to what `npm ci` put in the npm cache, so no test needs the internet.
  await run("npm", ["ci", "--offline", "--no-audit", "--no-fund"], { cwd: project });
}, 240_000);

/** A lock for the empty project: the tarball, plus our own lock's production packages (resolved and integrity as they are). */
function lockFor(tarball: string): Record<string, unknown> {
  const ours = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8")) as { packages: Record<string, Record<string, unknown>> };
  const manifest = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as Record<string, unknown>;
  const production = Object.entries(ours.packages).filter(([key, entry]) => key.startsWith("node_modules/") && !entry.dev);
  const self = { version: manifest.version, resolved: `file:${tarball}`, license: manifest.license, dependencies: manifest.dependencies, bin: manifest.bin, engines: manifest.engines };
  return {
    name: "uses-reasonedit",
    lockfileVersion: 3,
    requires: true,
    packages: {
      "": { name: "uses-reasonedit", dependencies: { reasonedit: `file:${tarball}` } },
      "node_modules/reasonedit": self,
      ...Object.fromEntries(production),
    },
  };
}

afterAll(async () => {
  await fake.close();
  rmSync(project, { recursive: true, force: true });
});

describe("the packed library", () => {
  it("ships declarations and the licence, and no source maps pointing at sources it leaves out", () => {
    expect(packed).toContain("dist/src/index.js");
    expect(packed).toContain("dist/src/index.d.ts");
    expect(packed).toContain("LICENSE");
    expect(packed.filter((file) => file.endsWith(".map"))).toEqual([]);
    expect(packed.filter((file) => file.startsWith("src/") || file.startsWith("test/"))).toEqual([]);
    const manifest = JSON.parse(readFileSync(join(project, "node_modules", "reasonedit", "package.json"), "utf8"));
    expect(manifest.exports["."]).toEqual({ types: "./dist/src/index.d.ts", default: "./dist/src/index.js" });
  });

  it("edit() writes its result and returns the object edit --json prints; an aborted signal rejects with code interrupted", async () => {
    const env = { ...process.env, CASE: JSON.stringify({ mllmUrl: `${fake.url}/v1`, editorUrl: fake.url, image: FIXTURE, dir: project }) };
    const { stdout } = await run(process.execPath, ["try.mjs"], { cwd: project, env, timeout: 120_000 });
    const [first, second] = stdout.trim().split("\n").map((line) => JSON.parse(line));
    expect(first.result).toMatchObject({ status: "accepted", output: join(project, "out.png"), kept_round: 1, stop_reason: "success" });
    expect(Object.keys(first.result).sort()).toEqual(
      ["concrete_instruction", "failures", "instruction", "kept_round", "ops", "output", "record_bytes", "rounds", "run_record", "status", "stop_reason", "totals"].sort(),
    );
    expect(first.result.rounds[0]).toMatchObject({ index: 1, verdict: "success", scores: { sc: expect.any(Array), pq: expect.any(Array) } });
    expect(existsSync(join(project, "out.png"))).toBe(true);
    expect(existsSync(first.result.run_record)).toBe(true);
    expect(first.events[0]).toBe("step_started:think");
    expect(first.events).toContain("step_finished:edit");
    expect(first.events).toContain("round_finished:");
    expect(second.aborted).toEqual({ isReasonEditError: true, code: "interrupted", exitCode: 130, message: expect.any(String) });
    expect(second.stopped).toMatchObject({ isReasonEditError: true, code: "interrupted", exitCode: 130 });
    expect(second.midwayWritten).toBe(false);
  }, 180_000);
});
