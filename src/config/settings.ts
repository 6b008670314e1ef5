// Every setting a command can take, validated with zod, resolved as defaults < config file < environment < flags.
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { z } from "zod";
import { ReasonEditError } from "../errors.js";

export const DEFAULT_MLLM = "Qwen/Qwen3-VL-235B-A22B-Instruct";
export const DEFAULT_EDITOR = "Qwen/Qwen-Image-Edit";
export const CONFIG_FILE_NAME = "reasonedit.config.json";

const positiveInt = (max: number) => z.coerce.number().int().min(1).max(max);
const booleanish = z.union([z.boolean(), z.enum(["true", "false", "1", "0", "yes", "no"]).transform((v) => ["true", "1", "yes"].includes(v))]);
const httpUrl = z
  .string()
  .url()
  .refine((u) => /^https?:\/\//i.test(u), "must be an http(s) URL");

export const SettingsSchema = z
  .object({
    mllm: z.string().min(1).default(DEFAULT_MLLM),
    mllmProvider: z.string().min(1).default("auto"),
    mllmUrl: httpUrl.optional(),
    editor: z.string().min(1).default(DEFAULT_EDITOR),
    editorProvider: z.string().min(1).default("auto"),
    editorUrl: httpUrl.optional(),
    rounds: positiveInt(10).default(3),
    think: booleanish.default(true),
    reflect: booleanish.default(true),
    chain: z.enum(["latest", "source"]).default("latest"),
    seed: z.coerce.number().int().min(0).max(2 ** 31 - 1).optional(),
    candidates: positiveInt(8).default(1),
    preserve: booleanish.default(true),
    steps: positiveInt(100).optional(),
    guidance: z.coerce.number().min(0).max(30).optional(),
    prompts: z.string().min(1).optional(),
    timeout: z.coerce.number().positive().max(3600).default(300),
    maxRetries: z.coerce.number().int().min(0).max(20).default(4),
    runDir: z.string().min(1).optional(),
    cacheDir: z.string().min(1).optional(),
    cache: booleanish.default(true),
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
  REASONEDIT_STEPS: "steps",
  REASONEDIT_GUIDANCE: "guidance",
  REASONEDIT_PROMPTS: "prompts",
  REASONEDIT_TIMEOUT: "timeout",
  REASONEDIT_MAX_RETRIES: "maxRetries",
  REASONEDIT_RUN_DIR: "runDir",
  REASONEDIT_CACHE_DIR: "cacheDir",
  REASONEDIT_OFFLINE: "offline",
  REASONEDIT_LOG_FORMAT: "logFormat",
};

export const ENVIRONMENT_VARIABLES = Object.keys(ENV_NAMES);

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
  return {
    hfToken: pick("HF_TOKEN") ?? pick("HUGGING_FACE_HUB_TOKEN"),
    mllmApiKey: pick("REASONEDIT_MLLM_API_KEY"),
    editorApiKey: pick("REASONEDIT_EDITOR_API_KEY"),
    billTo: pick("HF_BILL_TO"),
  };
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
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new Error("expected a JSON object");
    return { path, values: parsed as SettingsInput };
  } catch (error) {
    throw new ReasonEditError("config", `config file ${path} is not valid JSON: ${(error as Error).message}`, {
      hint: `write a JSON object such as {"rounds": 2, "editorProvider": "fal-ai"}`,
    });
  }
}

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
  const key = String(issue.path[0] ?? "");
  const where = describeOrigin(key, sources);
  throw new ReasonEditError("usage", `invalid setting ${flagName(key)}${where}: ${issue.message}`, {
    hint: issue.code === "unrecognized_keys" ? `remove ${issue.keys.join(", ")} from ${sources.filePath ?? "the config file"}` : "see `reasonedit --help`",
  });
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
    throw new ReasonEditError("no_token", `HF_TOKEN is not set, and ${which} run on Hugging Face Inference Providers`, {
      hint: "export HF_TOKEN=hf_... (a fine-grained token with 'Make calls to Inference Providers': https://huggingface.co/settings/tokens), or point both --mllm-url and --editor-url at your own servers",
    });
  }
}
