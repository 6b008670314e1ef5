// Help a person can use, shell completion, and --dry-run: the built bin, asserting stdout, stderr and exit codes.
import { execFile } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { CAT_FIXTURE as FIXTURE, useCliSandbox } from "../support/cli-sandbox.js";
import { expectExit } from "../support/assertions.js";

const README = "https://github.com/reasonedit/reasonedit#readme";

const sandbox = useCliSandbox();

const cli = (args: string[], env: Record<string, string> = {}) => sandbox.run(args, env);
const flagsOf = (help: string) => new Set([...help.matchAll(/(?:^|\s)(--[a-z][a-z-]*)/gm)].map((match) => match[1]!));

describe("help", () => {
  it("names HF_TOKEN and the README at the top level", async () => {
    const result = await cli(["--help"]);
    expectExit(result, 0);
    expect(result.stdout).toContain("HF_TOKEN");
    expect(result.stdout.trimEnd().endsWith(README)).toBe(true);
  });

  it("ends every command's help with real examples and the README link", async () => {
    for (const command of [["edit"], ["batch"], ["eval"], ["show"], ["doctor"], ["cache", "stats"], ["cache", "clear"], ["completion"]]) {
      const help = (await cli([...command, "--help"])).stdout;
      const examples = help.slice(help.indexOf("Examples:")).split("\n").filter((line) => line.startsWith("  $ reasonedit") || line.startsWith("  $ eval") || line.startsWith("  $ HF_TOKEN"));
      expect(examples.length, command.join(" ")).toBeGreaterThanOrEqual(2);
      expect(examples.length, command.join(" ")).toBeLessThanOrEqual(4);
      expect(help.trimEnd().endsWith(README), command.join(" ")).toBe(true);
    }
  });

  it("lists only the flags a command honours", async () => {
    const evalFlags = flagsOf((await cli(["eval", "--help"])).stdout);
    for (const flag of ["--run-dir", "--no-think", "--no-reflect"]) expect(evalFlags.has(flag), flag).toBe(false);
    expect(evalFlags.has("--judge")).toBe(true);
    const batchFlags = flagsOf((await cli(["batch", "--help"])).stdout);
    expect(batchFlags.has("--run-dir")).toBe(false);
    expect(batchFlags.has("--dry-run")).toBe(true);
    const doctorFlags = flagsOf((await cli(["doctor", "--help"])).stdout);
    for (const flag of ["--max-retries", "--log-format", "--verbose", "--rounds"]) expect(doctorFlags.has(flag), flag).toBe(false);
    expect(doctorFlags.has("--cache-dir")).toBe(true);
  });
});

describe("completion", () => {
  it("prints a bash script that parses and completes each command's own flags", async () => {
    const result = await cli(["completion", "bash"]);
    expectExit(result, 0);
    const script = join(sandbox.home, "reasonedit.bash");
    writeFileSync(script, result.stdout);
    await promisify(execFile)("bash", ["-n", script]);
    const complete = async (line: string) => {
      const words = line.split(" ");
      const probe = `source ${script}; COMP_WORDS=(${words.map((w) => `"${w}"`).join(" ")}); COMP_CWORD=${words.length - 1}; _reasonedit; echo "\${COMPREPLY[@]}"`;
      return (await promisify(execFile)("bash", ["-c", probe], { cwd: sandbox.home })).stdout.trim().split(/\s+/);
    };
    expect(await complete("reasonedit ed")).toEqual(["edit"]);
    expect(await complete("reasonedit eval bench.jsonl --judge-r")).toEqual(["--judge-repeats"]);
    expect(await complete("reasonedit cache st")).toEqual(["stats"]);
    expect(await complete("reasonedit edit ca")).toEqual(["cat.png"]);
  });

  it("prints zsh and fish scripts, and refuses another shell with exit 2", async () => {
    expect((await cli(["completion", "zsh"])).stdout).toContain("#compdef reasonedit");
    expect((await cli(["completion", "fish"])).stdout).toMatch(/complete -c reasonedit -n '__fish_seen_subcommand_from batch' -l out-dir/);
    const wrong = await cli(["completion", "powershell"]);
    expectExit(wrong, 2);
    expect(wrong.stderr).toContain("bash, zsh, fish");
  });
});

describe("--dry-run", () => {
  const urls = () => ["--mllm-url", `${sandbox.fake.url}/v1`, "--editor-url", sandbox.fake.url];

  it("prints edit's plan with where each setting came from, and calls and writes nothing", async () => {
    writeFileSync(join(sandbox.home, "reasonedit.config.json"), JSON.stringify({ candidates: 2 }));
    const result = await cli(["edit", "cat.png", "make it snow", "--dry-run", "--rounds", "2", ...urls()], { REASONEDIT_TIMEOUT: "90" });
    expectExit(result, 0);
    const out = result.stdout;
    expect(out).toContain("dry run of reasonedit edit: nothing is called, nothing is written");
    expect(out).toMatch(/rounds\s+2\s+\(flag\)/);
    expect(out).toMatch(/timeout\s+90\s+\(env REASONEDIT_TIMEOUT\)/);
    expect(out).toMatch(/candidates\s+2\s+\(config .*reasonedit\.config\.json\)/);
    expect(out).toMatch(/maxRetries\s+4\s+\(default\)/);
    expect(out).toContain(`output: ${join(sandbox.home, "cat.edited.png")}`);
    expect(out).toMatch(/mllm +Qwen\/Qwen3-VL-235B-A22B-Instruct via custom server http:\/\/127\.0\.0\.1:\d+\/v1/);
    expect(sandbox.fake.requests).toHaveLength(0);
    expect(existsSync(join(sandbox.home, "cat.edited.png"))).toBe(false);
    expect(existsSync(join(sandbox.home, "state"))).toBe(false);
  });

  it("prints a machine-readable plan with --json, and names a missing token as a problem", async () => {
    const result = await cli(["edit", "cat.png", "make it snow", "--dry-run", "--json"]);
    expectExit(result, 0);
    const plan = JSON.parse(result.stdout);
    expect(plan).toMatchObject({ dry_run: true, command: "edit", settings: { rounds: { value: 3, from: "default" } } });
    expect(plan.routes.editor).toMatchObject({ model: "Qwen/Qwen-Image-Edit", via: "auto", kind: "inference-providers", credential: { name: "HF_TOKEN", set: false } });
    expect(plan.problems[0]).toContain("HF_TOKEN is not set");
    expect(sandbox.fake.requests).toHaveLength(0);
  });

  it("lists the rows of batch's shard with their outputs, and of eval's benchmark, without a request", async () => {
    mkdirSync(join(sandbox.home, "m"));
    copyFileSync(FIXTURE, join(sandbox.home, "m", "cat.png"));
    const rows = Array.from({ length: 6 }, (_, k) => JSON.stringify({ id: `row-${k}`, image: "cat.png", instruction: `edit ${k}`, ...(k === 0 ? { rounds: 1, colour: "red" } : {}) }));
    writeFileSync(join(sandbox.home, "m", "manifest.jsonl"), `${rows.join("\n")}\n`);
    const batch = await cli(["batch", "m/manifest.jsonl", "--out-dir", "out", "--shard", "0/2", "--dry-run", "--json", ...urls()]);
    expectExit(batch, 0);
    const plan = JSON.parse(batch.stdout);
    expect(plan.shard).toBe("0/2");
    expect(plan.rows.length).toBeGreaterThan(0);
    expect(plan.rows.length).toBeLessThan(6);
    for (const row of plan.rows) expect(row.output).toBe(join(sandbox.home, "out", `${row.id}.png`));
    expect(existsSync(join(sandbox.home, "out"))).toBe(false);
    const all = await cli(["batch", "m/manifest.jsonl", "--out-dir", "out", "--dry-run", ...urls()]);
    expect(all.stdout).toMatch(/rows: 6/);
    expect(all.stdout).toMatch(/unknown key colour on line 1/);
    const bench = join(sandbox.home, "m", "bench.jsonl");
    writeFileSync(bench, `${JSON.stringify({ key: "a", task_type: "color_alter", instruction: "make it red", input_image: "cat.png" })}\n`);
    const evalPlan = await cli(["eval", bench, "--dry-run", "--json", "--judge-url", `${sandbox.fake.url}/v1`, ...urls()]);
    expectExit(evalPlan, 0);
    const parsed = JSON.parse(evalPlan.stdout);
    expect(parsed.items).toEqual([expect.objectContaining({ key: "a" })]);
    expect(parsed.routes.judge).toMatchObject({ kind: "custom-server" });
    expect(parsed.modes).toEqual(["single", "think", "loop", "reroll"]);
    expect(sandbox.fake.requests).toHaveLength(0);
    expect(readdirSync(sandbox.home)).not.toContain("reasonedit-eval");
  });
});
