// The set-up every `edit`-style CLI test file shares: one loopback fake per file, and per test a fresh temp home
// holding cat.png, the fake's request log emptied, and the bin run there with a clean environment.
import { copyFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach } from "vitest";
import { startFakeProviders, type FakeProviders, type FakeProvidersOptions } from "../fakes/fake-providers.mjs";
import { cleanEnv, makeTempHome, runCli, spawnCli, type CliOptions, type CliResult, type CliRun } from "./run-cli.js";

export const CAT_FIXTURE = new URL("../../fixtures/chelsea.png", import.meta.url);

export interface CliSandbox {
  /** The file's fake (live from beforeAll). */
  readonly fake: FakeProviders;
  /** This test's temp home, also the bin's working folder; it holds cat.png. */
  readonly home: string;
  /** The bin in `home` with cleanEnv(home, env). */
  run(args: string[], env?: Record<string, string | undefined>, options?: Omit<CliOptions, "cwd" | "env">): Promise<CliResult>;
  spawn(args: string[], env?: Record<string, string | undefined>, options?: Omit<CliOptions, "cwd" | "env">): CliRun;
  /** The fake's URLs as flags: the MLLM at <fake>/v1, the editor at <fake>. */
  modelFlags(): string[];
}

/** Registers the hooks; call it once at the top of a test file. */
export function useCliSandbox(fakeOptions?: FakeProvidersOptions): CliSandbox {
  let fake: FakeProviders | undefined;
  let home: { dir: string; cleanup: () => void } | undefined;
  beforeAll(async () => {
    fake = await startFakeProviders(fakeOptions);
  });
  afterAll(async () => {
    await fake?.close();
  });
  beforeEach(() => {
    home = makeTempHome();
    copyFileSync(CAT_FIXTURE, join(home.dir, "cat.png"));
    fake!.requests.length = 0;
  });
  afterEach(() => home?.cleanup());

  const sandbox: CliSandbox = {
    get fake() {
      if (!fake) throw new Error("the sandbox's fake starts in beforeAll");
      return fake;
    },
    get home() {
      if (!home) throw new Error("the sandbox's home is made in beforeEach");
      return home.dir;
    },
    run: (args, env = {}, options = {}) => runCli(args, { ...options, cwd: sandbox.home, env: cleanEnv(sandbox.home, env) }),
    spawn: (args, env = {}, options = {}) => spawnCli(args, { ...options, cwd: sandbox.home, env: cleanEnv(sandbox.home, env) }),
    modelFlags: () => ["--mllm-url", `${sandbox.fake.url}/v1`, "--editor-url", sandbox.fake.url],
  };
  return sandbox;
}
