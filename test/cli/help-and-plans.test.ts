// Help a person can use, shell completion, and --dry-run: the built bin, asserting stdout, stderr and exit codes.
import { execFile } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { startFakeProviders, type FakeProviders } from "../fakes/fake-providers.mjs";
import { cleanEnv, makeTempHome, runCli } from "./run-cli.js";

const FIXTURE = new URL("../../fixtures/chelsea.png", import.meta.url);
const README = "https://github.com/reasonedit/reasonedit#readme";

let fake: FakeProviders;
let home: { dir: string; cleanup: () => void };

beforeAll(async () => {
  fake = await startFakeProviders();
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => {
  home = makeTempHome();
  copyFileSync(FIXTURE, join(home.dir, "cat.png"));
  fake.requests.length = 0;
});
afterEach(() => home.cleanup());

const cli = (args: string[], env: Record<string, string> = {}) => runCli(args, { cwd: home.dir, env: cleanEnv(home.dir, env) });
const flagsOf = (help: string) => new Set([...help.matchAll(/(?:^|\s)(--[a-z][a-z-]*)/gm)].map((match) => match[1]!));

describe("help", () => {
  it("names HF_TOKEN and the README at the top level", async () => {
    const result = await cli(["--help"]);
    expect(result.code).toBe(0);
    expect(result.stdout.toString()).toContain("HF_TOKEN");
    expect(result.stdout.toString().trimEnd().endsWith(README)).toBe(true);
  });

  it("ends every command's help with real examples and the README link", async () => {
    for (const command of [["edit"], ["batch"], ["eval"], ["show"], ["doctor"], ["cache", "stats"], ["cache", "clear"], ["completion"]]) {
      const help = (await cli([...command, "--help"])).stdout.toString();
      const examples = help.slice(help.indexOf("Examples:")).split("\n").filter((line) => line.startsWith("  $ reasonedit") || line.startsWith("  $ eval") || line.startsWith("  $ HF_TOKEN"));
      expect(examples.length, command.join(" ")).toBeGreaterThanOrEqual(2);
      expect(examples.length, command.join(" ")).toBeLessThanOrEqual(4);
      expect(help.trimEnd().endsWith(README), command.join(" ")).toBe(true);
    }
  });

  it("lists only the flags a command honours", async () => {
    const evalFlags = flagsOf((await cli(["eval", "--help"])).stdout.toString());
    for (const flag of ["--run-dir", "--no-think", "--no-reflect"]) expect(evalFlags.has(flag), flag).toBe(false);
    expect(evalFlags.has("--judge")).toBe(true);
    const batchFlags = flagsOf((await cli(["batch", "--help"])).stdout.toString());
    expect(batchFlags.has("--run-dir")).toBe(false);
    expect(batchFlags.has("--dry-run")).toBe(true);
    const doctorFlags = flagsOf((await cli(["doctor", "--help"])).stdout.toString());
    for (const flag of ["--max-retries", "--log-format", "--verbose", "--rounds"]) expect(doctorFlags.has(flag), flag).toBe(false);
    expect(doctorFlags.has("--cache-dir")).toBe(true);
  });
});

describe("completion", () => {
  it("prints a bash script that parses and completes each command's own flags", async () => {
    const result = await cli(["completion", "bash"]);
    expect(result.code).toBe(0);
    const script = join(home.dir, "reasonedit.bash");
    writeFileSync(script, result.stdout);
    await promisify(execFile)("bash", ["-n", script]);
    const complete = async (line: string) => {
      const words = line.split(" ");
      const probe = `source ${script}; COMP_WORDS=(${words.map((w) => `"${w}"`).join(" ")}); COMP_CWORD=${words.length - 1}; _reasonedit; echo "\${COMPREPLY[@]}"`;
      return (await promisify(execFile)("bash", ["-c", probe], { cwd: home.dir })).stdout.trim().split(/\s+/);
    };
    expect(await complete("reasonedit ed")).toEqual(["edit"]);
    expect(await complete("reasonedit eval bench.jsonl --judge-r")).toEqual(["--judge-repeats"]);
    expect(await complete("reasonedit cache st")).toEqual(["stats"]);
    expect(await complete("reasonedit edit ca")).toEqual(["cat.png"]);
  });

  it("prints zsh and fish scripts, and refuses another shell with exit 2", async () => {
    expect((await cli(["completion", "zsh"])).stdout.toString()).toContain("#compdef reasonedit");
    expect((await cli(["completion", "fish"])).stdout.toString()).toMatch(/complete -c reasonedit -n '__fish_seen_subcommand_from batch' -l out-dir/);
    const wrong = await cli(["completion", "powershell"]);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain("bash, zsh, fish");
  });
});

describe("--dry-run", () => {
  const urls = () => ["--mllm-url", `${fake.url}/v1`, "--editor-url", fake.url];

  it("prints edit's plan with where each setting came from, and calls and writes nothing", async () => {
    writeFileSync(join(home.dir, "reasonedit.config.json"), JSON.stringify({ candidates: 2 }));
    const result = await cli(["edit", "cat.png", "make it snow", "--dry-run", "--rounds", "2", ...urls()], { REASONEDIT_TIMEOUT: "90" });
    expect(result.code).toBe(0);
    const out = result.stdout.toString();
    expect(out).toContain("dry run of reasonedit edit: nothing is called, nothing is written");
    expect(out).toMatch(/rounds\s+2\s+\(flag\)/);
    expect(out).toMatch(/timeout\s+90\s+\(env REASONEDIT_TIMEOUT\)/);
    expect(out).toMatch(/candidates\s+2\s+\(config .*reasonedit\.config\.json\)/);
    expect(out).toMatch(/maxRetries\s+4\s+\(default\)/);
    expect(out).toContain(`output: ${join(home.dir, "cat.edited.png")}`);
    expect(out).toMatch(/mllm +Qwen\/Qwen3-VL-235B-A22B-Instruct via custom server http:\/\/127\.0\.0\.1:\d+\/v1/);
    expect(fake.requests).toHaveLength(0);
    expect(existsSync(join(home.dir, "cat.edited.png"))).toBe(false);
    expect(existsSync(join(home.dir, "state"))).toBe(false);
  });

  it("prints a machine-readable plan with --json, and names a missing token as a problem", async () => {
    const result = await cli(["edit", "cat.png", "make it snow", "--dry-run", "--json"]);
    expect(result.code).toBe(0);
    const plan = JSON.parse(result.stdout.toString());
    expect(plan).toMatchObject({ dry_run: true, command: "edit", settings: { rounds: { value: 3, from: "default" } } });
    expect(plan.routes.editor).toMatchObject({ model: "Qwen/Qwen-Image-Edit", via: "auto", kind: "inference-providers", credential: { name: "HF_TOKEN", set: false } });
    expect(plan.problems[0]).toContain("HF_TOKEN is not set");
    expect(fake.requests).toHaveLength(0);
  });

  it("lists the rows of batch's shard with their outputs, and of eval's benchmark, without a request", async () => {
    mkdirSync(join(home.dir, "m"));
    copyFileSync(FIXTURE, join(home.dir, "m", "cat.png"));
    const rows = Array.from({ length: 6 }, (_, k) => JSON.stringify({ id: `row-${k}`, image: "cat.png", instruction: `edit ${k}`, ...(k === 0 ? { rounds: 1, colour: "red" } : {}) }));
    writeFileSync(join(home.dir, "m", "manifest.jsonl"), `${rows.join("\n")}\n`);
    const batch = await cli(["batch", "m/manifest.jsonl", "--out-dir", "out", "--shard", "0/2", "--dry-run", "--json", ...urls()]);
    expect(batch.code).toBe(0);
    const plan = JSON.parse(batch.stdout.toString());
    expect(plan.shard).toBe("0/2");
    expect(plan.rows.length).toBeGreaterThan(0);
    expect(plan.rows.length).toBeLessThan(6);
    for (const row of plan.rows) expect(row.output).toBe(join(home.dir, "out", `${row.id}.png`));
    expect(existsSync(join(home.dir, "out"))).toBe(false);
    const all = await cli(["batch", "m/manifest.jsonl", "--out-dir", "out", "--dry-run", ...urls()]);
    expect(all.stdout.toString()).toMatch(/rows: 6/);
    expect(all.stdout.toString()).toMatch(/unknown key colour on line 1/);
    const bench = join(home.dir, "m", "bench.jsonl");
    writeFileSync(bench, `${JSON.stringify({ key: "a", task_type: "color_alter", instruction: "make it red", input_image: "cat.png" })}\n`);
    const evalPlan = await cli(["eval", bench, "--dry-run", "--json", "--judge-url", `${fake.url}/v1`, ...urls()]);
    expect(evalPlan.code).toBe(0);
    const parsed = JSON.parse(evalPlan.stdout.toString());
    expect(parsed.items).toEqual([expect.objectContaining({ key: "a" })]);
    expect(parsed.routes.judge).toMatchObject({ kind: "custom-server" });
    expect(parsed.modes).toEqual(["single", "think", "loop", "reroll"]);
    expect(fake.requests).toHaveLength(0);
    expect(readdirSync(home.dir)).not.toContain("reasonedit-eval");
  });
});
