// Every setting a command can take, validated with zod, resolved as defaults < config file < environment < flags.
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { z } from "zod";
import { ReasonEditError } from "../errors.js";
import { hasUserinfo } from "../redact.js";
import { byteSize } from "./quantities.js";

export const KEEP_IMAGES = ["all", "final", "none"] as const;
export type KeepImages = (typeof KEEP_IMAGES)[number];
/** Large enough for thousands of edits (an edit entry is its ~1 MP image), small enough never to surprise a disk. */
export const DEFAULT_CACHE_MAX_BYTES = 2e9;

export const DEFAULT_MLLM = "Qwen/Qwen3-VL-235B-A22B-Instruct";
export const DEFAULT_EDITOR = "Qwen/Qwen-Image-Edit";
export const CONFIG_FILE_NAME = "reasonedit.config.json";

const number = () => z.coerce.number({ error: "must be a number" });
const positiveInt = (max: number) => number().int("must be a whole number").min(1, "must be at least 1").max(max, `must be at most ${max}`);
const booleanish = z.union([z.boolean(), z.enum(["true", "false", "1", "0", "yes", "no"]).transform((v) => ["true", "1", "yes"].includes(v))]);
/** A password in a URL would be shown and recorded wherever the URL is: the key goes in its own variable instead. */
export const httpUrl = (keyVariable: string) =>
  z
    .string()
    .url()
    .refine((u) => /^https?:\/\//i.test(u), "must be an http(s) URL")
    .refine((u) => !hasUserinfo(u), `must not carry a user name or password (user:password@): remove them and put the server's key in ${keyVariable}, which is sent as a Bearer token to that URL only`);

export const SettingsSchema = z
  .object({
    mllm: z.string().min(1).default(DEFAULT_MLLM),
    mllmProvider: z.string().min(1).default("auto"),
    mllmUrl: httpUrl("REASONEDIT_MLLM_API_KEY").optional(),
    editor: z.string().min(1).default(DEFAULT_EDITOR),
    editorProvider: z.string().min(1).default("auto"),
    editorUrl: httpUrl("REASONEDIT_EDITOR_API_KEY").optional(),
    rounds: positiveInt(10).default(3),
    think: booleanish.default(true),
    reflect: booleanish.default(true),
    chain: z.enum(["latest", "source"]).default("latest"),
    seed: number().int("must be a whole number").min(0, "must be 0 or more").max(2 ** 31 - 1).optional(),
    candidates: positiveInt(8).default(1),
    preserve: booleanish.default(true),
    ops: booleanish.default(true),
    changeMap: booleanish.default(true),
    steps: positiveInt(100).optional(),
    guidance: number().min(0, "must be 0 or more").max(30, "must be at most 30").optional(),
    prompts: z.string().min(1).optional(),
    timeout: number().positive("must be more than 0 seconds").max(3600, "must be at most 3600 seconds").default(300),
    maxRetries: number().int("must be a whole number").min(0, "must be 0 or more").max(20, "must be at most 20").default(4),
    maxTokens: positiveInt(32_768).default(1024),
    runDir: z.string().min(1).optional(),
    cacheDir: z.string().min(1).optional(),
    cache: booleanish.default(true),
    /** The cache is kept under this size, least recently used entries evicted first. */
    cacheMaxSize: byteSize.default(DEFAULT_CACHE_MAX_BYTES),
    /** What run records keep beside run.json: every image (compact), the kept result only, or none. */
    keepImages: z.enum(KEEP_IMAGES).default("all"),
    offline: booleanish.default(false),
    logFormat: z.enum(["json", "pretty"]).default("pretty"),
    verbose: booleanish.default(false),
    quiet: booleanish.default(false),
    json: booleanish.default(false),
  })
  .strict()
  .refine((s) => s.candidates === 1 || s.reflect, {
    message: "several candidates are compared by reflection's scores, so --candidates above 1 needs reflection (drop --no-reflect)",
    path: ["candidates"],
  });

export type Settings = z.infer<typeof SettingsSchema>;
export type SettingsInput = Partial<Record<keyof Settings, unknown>>;

/** Secrets never enter Settings (which is written to run records); they travel separately. */
export interface Credentials {
  hfToken?: string;
  /** Where hfToken came from: "HF_TOKEN", "HUGGING_FACE_HUB_TOKEN" or the path of the login token file. */
  hfTokenSource?: string;
  mllmApiKey?: string;
  editorApiKey?: string;
  billTo?: string;
}

const ENV_NAMES: Record<string, keyof Settings> = {
  REASONEDIT_MLLM: "mllm",
  REASONEDIT_MLLM_PROVIDER: "mllmProvider",
  REASONEDIT_MLLM_URL: "mllmUrl",
  REASONEDIT_EDITOR: "editor",
  REASONEDIT_EDITOR_PROVIDER: "editorProvider",
  REASONEDIT_EDITOR_URL: "editorUrl",
  REASONEDIT_ROUNDS: "rounds",
  REASONEDIT_CHAIN: "chain",
  REASONEDIT_SEED: "seed",
  REASONEDIT_CANDIDATES: "candidates",
  REASONEDIT_PRESERVE: "preserve",
  REASONEDIT_OPS: "ops",
  REASONEDIT_CHANGE_MAP: "changeMap",
  REASONEDIT_STEPS: "steps",
  REASONEDIT_GUIDANCE: "guidance",
  REASONEDIT_PROMPTS: "prompts",
  REASONEDIT_TIMEOUT: "timeout",
  REASONEDIT_MAX_RETRIES: "maxRetries",
  REASONEDIT_MAX_TOKENS: "maxTokens",
  REASONEDIT_RUN_DIR: "runDir",
  REASONEDIT_CACHE_DIR: "cacheDir",
  REASONEDIT_CACHE_MAX_SIZE: "cacheMaxSize",
  REASONEDIT_KEEP_IMAGES: "keepImages",
  REASONEDIT_OFFLINE: "offline",
  REASONEDIT_LOG_FORMAT: "logFormat",
};

export function settingsFromEnv(env: NodeJS.ProcessEnv): SettingsInput {
  const out: SettingsInput = {};
  for (const [name, key] of Object.entries(ENV_NAMES)) {
    const value = env[name];
    if (value !== undefined && value !== "") out[key] = value;
  }
  return out;
}

export function credentialsFromEnv(env: NodeJS.ProcessEnv): Credentials {
  const pick = (name: string) => (env[name] && env[name]!.trim() !== "" ? env[name]!.trim() : undefined);
  const token = hfTokenFrom(env);
  return {
    hfToken: token?.token,
    ...(token ? { hfTokenSource: token.source } : {}),
    mllmApiKey: pick("REASONEDIT_MLLM_API_KEY"),
    editorApiKey: pick("REASONEDIT_EDITOR_API_KEY"),
    billTo: pick("HF_BILL_TO"),
  };
}

/**
 * The HF token as Hugging Face's own clients find it: HF_TOKEN, then the file `hf auth login` saved
 * ($HF_TOKEN_PATH, else $HF_HOME/token, else ~/.cache/huggingface/token). The source says where, never what.
 */
export function hfTokenFrom(env: NodeJS.ProcessEnv): { token: string; source: string } | undefined {
  for (const name of ["HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"]) {
    const value = env[name]?.trim();
    if (value) return { token: value, source: name };
  }
  const path = loginTokenPath(env);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
  const token = text.trim().split(/\r?\n/)[0]?.trim();
  return token ? { token, source: path } : undefined;
}

export function loginTokenPath(env: NodeJS.ProcessEnv): string {
  if (env.HF_TOKEN_PATH?.trim()) return resolve(env.HF_TOKEN_PATH.trim());
  const hfHome = env.HF_HOME?.trim() || join(env.XDG_CACHE_HOME?.trim() || join(env.HOME?.trim() || homedir(), ".cache"), "huggingface");
  return join(resolve(hfHome), "token");
}

/** Reads `--config FILE`, or reasonedit.config.json in the working directory when present. */
export function readConfigFile(explicitPath: string | undefined, cwd: string): { path?: string; values: SettingsInput } {
  const path = explicitPath ? resolve(cwd, explicitPath) : resolve(cwd, CONFIG_FILE_NAME);
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    if (!explicitPath && (error as NodeJS.ErrnoException).code === "ENOENT") return { values: {} };
    throw new ReasonEditError("config", `cannot read config file ${path}: ${(error as Error).message}`, {
      hint: "check the path given to --config",
    });
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) return { path, values: parsed as SettingsInput };
  } catch (error) {
    throw new ReasonEditError("config", `config file ${path} is not valid JSON: ${(error as Error).message}`, { hint: CONFIG_EXAMPLE_HINT });
  }
  throw new ReasonEditError("config", `config file ${path} must hold a JSON object`, { hint: CONFIG_EXAMPLE_HINT });
}

const CONFIG_EXAMPLE_HINT = `write a JSON object such as {"rounds": 2, "editorProvider": "fal-ai"}`;

export interface SettingsSources {
  file?: SettingsInput;
  filePath?: string;
  env?: SettingsInput;
  flags?: SettingsInput;
}

export function resolveSettings(sources: SettingsSources): Settings {
  const merged = { ...dropUndefined(sources.file), ...dropUndefined(sources.env), ...dropUndefined(sources.flags) };
  const parsed = SettingsSchema.safeParse(merged);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  if (issue.code === "unrecognized_keys") throw unknownKeysError(issue.keys, sources.filePath);
  const key = String(issue.path[0] ?? "");
  const where = describeOrigin(key, sources);
  throw new ReasonEditError("usage", `invalid setting ${flagName(key)}${where}: ${issue.message}`, {
    hint: "run the command with --help to see every flag and its default",
  });
}

function unknownKeysError(keys: readonly string[], filePath: string | undefined): ReasonEditError {
  const known = Object.keys(SettingsSchema.shape);
  const guesses = keys.map((key) => {
    const guess = known.find((name) => name.toLowerCase() === key.toLowerCase() || editDistance(name.toLowerCase(), key.toLowerCase()) <= 2);
    return guess ? `${key} (did you mean ${guess}?)` : key;
  });
  return new ReasonEditError("usage", `unknown setting ${guesses.join(", ")} in ${filePath ?? "the config file"}`, {
    hint: `config keys are the flags in camelCase (${known.slice(0, 6).join(", ")}, …); switches take true/false, e.g. {"reflect": false}`,
  });
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = current;
  }
  return previous[b.length]!;
}

function describeOrigin(key: string, sources: SettingsSources): string {
  if (sources.flags && key in sources.flags) return " (from the command line)";
  const envName = Object.entries(ENV_NAMES).find(([, k]) => k === key)?.[0];
  if (sources.env && key in sources.env && envName) return ` (from ${envName})`;
  if (sources.file && key in sources.file) return ` (from ${sources.filePath ?? "the config file"})`;
  return "";
}

export function flagName(key: string): string {
  return key ? `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}` : "settings";
}

function dropUndefined(values: SettingsInput | undefined): SettingsInput {
  return Object.fromEntries(Object.entries(values ?? {}).filter(([, v]) => v !== undefined));
}

/** The hosted calls need an HF token unless both models are on custom URLs. */
export function assertCredentials(settings: Settings, credentials: Credentials): void {
  const needsHub = !settings.mllmUrl || !settings.editorUrl;
  if (needsHub && !credentials.hfToken && !settings.offline) {
    const which = [!settings.mllmUrl && `the MLLM (${settings.mllm})`, !settings.editorUrl && `the editor (${settings.editor})`].filter(Boolean).join(" and ");
    const verb = settings.mllmUrl || settings.editorUrl ? "runs" : "run";
    throw new ReasonEditError("no_token", `HF_TOKEN is not set and no login token was found, and ${which} ${verb} on Hugging Face Inference Providers`, {
      hint: "export HF_TOKEN=hf_... (a fine-grained token with 'Make calls to Inference Providers': https://huggingface.co/settings/tokens) or run `hf auth login`, or point both --mllm-url and --editor-url at your own servers",
    });
  }
}
