// `reasonedit doctor` as a user runs it: the built CLI in a child process (through doctor-launcher.mjs, which routes
// huggingface.co to the loopback fakes), asserting stdout, stderr and the exit code. Needs `npm run build` first.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeProviders, type FakeProviders } from "../fakes/fake-providers.mjs";
import { FINE_GRAINED_WITH_INFERENCE, startHubExtras, type HubExtras } from "../fakes/hub-extras.js";
import { cleanEnv, runCli, type CliResult } from "../support/run-cli.js";
import { expectExit } from "../support/assertions.js";

const LAUNCHER = path.join(import.meta.dirname, "doctor-launcher.mjs");
const TOKEN = "hf_cliDoctorToken0987654321";
const MLLM = "Qwen/Qwen3-VL-235B-A22B-Instruct";
const EDITOR = "Qwen/Qwen-Image-Edit";

let fake: FakeProviders;
let extras: HubExtras;
let home: string;

/** `reasonedit doctor` through the launcher (huggingface.co routed to the fakes), in a clean environment. */
function doctor(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return runCli(["doctor", ...args], {
    launcher: LAUNCHER,
    cwd: home,
    env: cleanEnv(home, { REASONEDIT_TEST_FAKE_URL: fake.url, REASONEDIT_TEST_WHOAMI_URL: extras.url, ...env }),
  });
}

beforeAll(async () => {
  fake = await startFakeProviders({
    mappings: {
      [MLLM]: [{ provider: "novita", providerId: "qwen/qwen3-vl-235b-a22b-instruct", task: "conversational" }],
      [EDITOR]: [
        { provider: "fal-ai", providerId: "fal-ai/qwen-image-edit", task: "image-to-image" },
        { provider: "replicate", providerId: "qwen/qwen-image-edit", task: "image-to-image" },
      ],
      "acme/text-to-image-only": [{ provider: "fal-ai", providerId: "fal-ai/acme", task: "text-to-image" }],
    },
    defaultMapping: null,
  });
  extras = await startHubExtras();
  extras.tokens.set(TOKEN, FINE_GRAINED_WITH_INFERENCE);
  home = await mkdtemp(path.join(tmpdir(), "reasonedit-doctor-cli-"));
});

afterAll(async () => {
  await fake?.close();
  await extras?.close();
  if (home) await rm(home, { recursive: true, force: true });
});

describe("reasonedit doctor", () => {
  it("says everything is ready, names the providers serving each model, and exits 0", async () => {
    const run = await doctor([], { HF_TOKEN: TOKEN });

    expect(run.stderr).toBe("");
    expectExit(run, 0);
    const lines = run.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^✓ Node\.js +v\d+\.\d+\.\d+$/);
    expect(run.stdout).toMatch(/^✓ HF token +set in HF_TOKEN, a Hugging Face token/m);
    expect(run.stdout).toMatch(/^✓ token valid +valid fine-grained token "reasonedit" of user alice, may call Inference Providers$/m);
    expect(run.stdout).toMatch(new RegExp(`^✓ MLLM +${MLLM}: served for chat by novita \\(auto: the router picks\\)$`, "m"));
    expect(run.stdout).toMatch(new RegExp(`^✓ editor +${EDITOR}: served for editing by fal-ai \\(image-to-image\\), replicate \\(image-to-image\\) \\(auto picks fal-ai\\)$`, "m"));
    expect(lines.at(-1)).toBe("ready to edit");
    expect(run.stdout).not.toContain(TOKEN);
  });

  it("reports a missing token with the fix, and exits 2", async () => {
    const run = await doctor([]);

    expectExit(run, 2);
    expect(run.stdout).toMatch(/^✗ HF token +HF_TOKEN is not set and no login token was found, and the MLLM .* and the editor .* run on Hugging Face Inference Providers$/m);
    expect(run.stdout).toMatch(/^ +→ create a fine-grained token with "Make calls to Inference Providers" .* `export HF_TOKEN=hf_\.\.\.`/m);
    expect(run.stdout.trimEnd().split("\n").at(-1)).toBe("1 problem (exit 2)");
  });

  it("reports an editor no provider serves for editing, with a fix, and exits 4", async () => {
    const run = await doctor(["--editor", "acme/text-to-image-only"], { HF_TOKEN: TOKEN });

    expectExit(run, 4);
    expect(run.stdout).toMatch(/^✗ editor +acme\/text-to-image-only is not served for image editing by any Inference Provider \(it is mapped only for text-to-image\)$/m);
    expect(run.stdout).toMatch(/^ +→ choose an editing model that is served, e\.g\. --editor Qwen\/Qwen-Image-Edit/m);
    expect(run.stdout.trimEnd().split("\n").at(-1)).toBe("1 problem (exit 4)");
  });

  it("prints one JSON object with --json", async () => {
    const run = await doctor(["--json", "--editor-provider", "wavespeed"], { HF_TOKEN: TOKEN });

    expectExit(run, 4);
    const report = JSON.parse(run.stdout) as { ok: boolean; exit_code: number; checks: Array<{ id: string; status: string; fix?: string; data?: Record<string, unknown> }> };
    expect(report).toMatchObject({ ok: false, exit_code: 4 });
    const editor = report.checks.find((check) => check.id === "editor")!;
    expect(editor).toMatchObject({ status: "fail", fix: "use --editor-provider auto or one of: fal-ai, replicate" });
    expect(editor.data).toMatchObject({ pinned: "wavespeed", providers: [{ provider: "fal-ai" }, { provider: "replicate" }] });
    expect(run.stdout).not.toContain(TOKEN);
  });

  it("with -q prints only the problems", async () => {
    const run = await doctor(["-q"]);

    expectExit(run, 2);
    expect(run.stdout.split("\n").filter((line) => /^[✓✗!-] /.test(line))).toEqual([expect.stringMatching(/^✗ HF token/)]);
  });

  it("rejects a bad flag value as a usage error (exit 2) on stderr", async () => {
    const run = await doctor(["--timeout", "soon"], { HF_TOKEN: TOKEN });

    expectExit(run, 2);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(/invalid --timeout \(from the command line\)/);
  });
});
