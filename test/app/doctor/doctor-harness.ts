// Shared set-up for the doctor's check tests: the Hub mapping from the loopback fake, whoami-v2 and /v1/models from
// the small extra server, a temp home per test, and runDoctor wired to them; nothing leaves 127.0.0.1.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach } from "vitest";
import { runDoctor, type DoctorCheck, type DoctorReport } from "../../../src/app/doctor/run-doctor.js";
import { resolveSettings, type Credentials, type SettingsInput } from "../../../src/config/settings.js";
import { startFakeProviders, type FakeProviders } from "../../fakes/fake-providers.mjs";
import { doctorFetch, FINE_GRAINED_WITH_INFERENCE, startHubExtras, type HubExtras } from "../../fakes/hub-extras.js";

export const TOKEN = "hf_doctorTestTokenAbcdef123456";
export const MLLM = "Qwen/Qwen3-VL-235B-A22B-Instruct";
export const EDITOR = "Qwen/Qwen-Image-Edit";

export interface DoctorSandbox {
  readonly fake: FakeProviders;
  readonly extras: HubExtras;
  /** This test's temp folder. */
  readonly home: string;
  /** Cache and state folders inside `home`. */
  env(): NodeJS.ProcessEnv;
  /** runDoctor with these flags and credentials (the test token by default), through the fakes. */
  doctor(flags?: SettingsInput, credentials?: Credentials, extraEnv?: NodeJS.ProcessEnv): Promise<DoctorReport>;
}

/** Registers the hooks; call it once at the top of a test file. */
export function useDoctorSandbox(): DoctorSandbox {
  let fake: FakeProviders;
  let extras: HubExtras;
  let home: string;
  beforeAll(async () => {
    fake = await startFakeProviders();
    extras = await startHubExtras();
    extras.tokens.set(TOKEN, FINE_GRAINED_WITH_INFERENCE);
  });
  afterAll(async () => {
    await fake?.close();
    await extras?.close();
  });
  beforeEach(async () => {
    home = await mkdtemp(path.join(tmpdir(), "reasonedit-doctor-"));
    fake.setMapping(MLLM, [
      { provider: "novita", providerId: "qwen/qwen3-vl-235b-a22b-instruct", task: "conversational" },
      { provider: "hyperbolic", providerId: "Qwen/Qwen3-VL-235B-A22B-Instruct", task: "conversational" },
    ]);
    fake.setMapping(EDITOR, [
      { provider: "fal-ai", providerId: "fal-ai/qwen-image-edit", task: "image-to-image" },
      { provider: "replicate", providerId: "qwen/qwen-image-edit", task: "image-to-image" },
      { provider: "wavespeed", providerId: "wavespeed-ai/qwen-image/edit", task: "image-to-image" },
    ]);
    fake.setDefaultMapping(null); // any other model: the Hub answers 404
  });
  afterEach(async () => {
    await rm(home, { recursive: true, force: true });
  });

  const env = () => ({ XDG_CACHE_HOME: path.join(home, "cache"), XDG_STATE_HOME: path.join(home, "state") });
  return {
    get fake() {
      return fake;
    },
    get extras() {
      return extras;
    },
    get home() {
      return home;
    },
    env,
    doctor: (flags = {}, credentials = { hfToken: TOKEN }, extraEnv = {}) => {
      const settings = resolveSettings({ flags: { timeout: 5, ...flags } });
      return runDoctor({ settings, credentials, env: { ...env(), ...(credentials.hfToken ? { HF_TOKEN: credentials.hfToken } : {}), ...extraEnv }, fetch: doctorFetch(fake.url, extras) });
    },
  };
}

/** The report's check `id`; fails the test when the doctor did not run it. */
export function check(report: DoctorReport, id: DoctorCheck["id"]): DoctorCheck {
  const found = report.checks.find((c) => c.id === id);
  if (!found) throw new Error(`no ${id} check`);
  return found;
}
