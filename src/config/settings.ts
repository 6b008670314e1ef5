// Every setting a command can take, validated with zod, resolved as defaults < config file < environment < flags.
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { z } from "zod";
import { ReasonEditError } from "../errors.js";
import { definedOnly, describeOrigin, envName, flagName, nearestName, parseFlags, type SettingOrigin } from "./parse-flags.js";
import { booleanish, httpUrl, number, oneOf, positiveInt, wholeNumber } from "./primitives.js";
import { byteSize } from "./quantities.js";

export const KEEP_IMAGES = ["all", "final", "none"] as const;
export type KeepImages = (typeof KEEP_IMAGES)[number];
/** Large enough for thousands of edits (an edit entry is its ~1 MP image), small enough never to surprise a disk. */
export const DEFAULT_CACHE_MAX_BYTES = 2e9;

export const DEFAULT_MLLM = "Qwen/Qwen3-VL-235B-A22B-Instruct";
export const DEFAULT_EDITOR = "Qwen/Qwen-Image-Edit";
export const CONFIG_FILE_NAME = "reasonedit.config.json";

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
    chain: oneOf(["latest", "source"]).default("latest"),
    seed: wholeNumber(0, 2 ** 31 - 1).optional(),
    candidates: positiveInt(8).default(1),
    preserve: booleanish.default(true),
    ops: booleanish.default(true),
    changeMap: booleanish.default(true),
    steps: positiveInt(100).optional(),
    guidance: number().min(0, "must be 0 or more").max(30, "must be at most 30").optional(),
    prompts: z.string().min(1).optional(),
    /** json: every reasoning step answers JSON; tags: the released ReasonEdit reasoner's plain-text think and tagged conclude. */
    replyFormat: oneOf(["json", "tags"]).default("json"),
    timeout: number().positive("must be more than 0 seconds").max(3600, "must be at most 3600 seconds").default(300),
    maxRetries: wholeNumber(0, 20).default(4),
    maxTokens: positiveInt(32_768).default(1024),
    runDir: z.string().min(1).optional(),
    cacheDir: z.string().min(1).optional(),
    cache: booleanish.default(true),
    /** The cache is kept under this size, least recently used entries evicted first. */
    cacheMaxSize: byteSize.default(DEFAULT_CACHE_MAX_BYTES),
    /** What run records keep beside run.json: every image (compact), the kept result only, or none. */
    keepImages: oneOf(KEEP_IMAGES).default("all"),
    offline: booleanish.default(false),
    logFormat: oneOf(["json", "pretty"]).default("pretty"),
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

/** Every setting key, from the schema itself, so a new setting needs no second list. */
export const SETTING_KEYS = Object.keys(SettingsSchema.shape) as Array<keyof Settings>;

/** Per-invocation output choices: flags only, never a config file's or an environment's default. */
const INVOCATION_ONLY: ReadonlySet<keyof Settings> = new Set(["json", "quiet", "verbose"]);

/** REASONEDIT_<KEY> for every setting but the per-invocation ones: REASONEDIT_MAX_RETRIES, REASONEDIT_REFLECT, … */
export const SETTING_ENV_NAMES: ReadonlyArray<readonly [string, keyof Settings]> = SETTING_KEYS.filter((key) => !INVOCATION_ONLY.has(key)).map(
  (key) => [envName(key), key] as const,
);

export function settingsFromEnv(env: NodeJS.ProcessEnv): SettingsInput {
  const out: SettingsInput = {};
  for (const [name, key] of SETTING_ENV_NAMES) {
    const value = env[name];
    if (value !== undefined && value.trim() !== "") out[key] = value;
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

export interface ConfigFile {
  path: string;
  values: SettingsInput;
}

/** `$XDG_CONFIG_HOME/reasonedit/config.json` (default `~/.config/…`): a user's defaults, below any project file. */
export function userConfigPath(env: NodeJS.ProcessEnv): string {
  const base = env.XDG_CONFIG_HOME && env.XDG_CONFIG_HOME.trim() !== "" ? env.XDG_CONFIG_HOME : join(env.HOME ?? homedir(), ".config");
  return join(base, "reasonedit", "config.json");
}

/** The config files that apply, lowest first: the user's, then `--config FILE` or reasonedit.config.json in the working directory. */
export function readConfigFiles(explicitPath: string | undefined, cwd: string, env: NodeJS.ProcessEnv): ConfigFile[] {
  const user = readOptionalConfig(userConfigPath(env));
  const project = explicitPath ? readConfig(resolve(cwd, explicitPath), "check the path given to --config") : readOptionalConfig(resolve(cwd, CONFIG_FILE_NAME));
  return [user, project].filter((file): file is ConfigFile => file !== undefined);
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
  const file = explicitPath ? readConfig(resolve(cwd, explicitPath), "check the path given to --config") : readOptionalConfig(resolve(cwd, CONFIG_FILE_NAME));
  return file ?? { values: {} };
}

function readOptionalConfig(path: string): ConfigFile | undefined {
  try {
    return readConfig(path, "fix or remove the file");
  } catch (error) {
    if ((error as { cause?: NodeJS.ErrnoException }).cause?.code === "ENOENT") return undefined;
    throw error;
  }
}

function readConfig(path: string, unreadableHint: string): ConfigFile {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    throw new ReasonEditError("config", `cannot read config file ${path}: ${(error as Error).message}`, { hint: unreadableHint, cause: error });
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
  /** Config files, lowest first (see readConfigFiles). */
  files?: ConfigFile[];
  /** One config file (kept for callers with a single file); it sits above `files`. */
  file?: SettingsInput;
  filePath?: string;
  env?: SettingsInput;
  flags?: SettingsInput;
  /** The command being run, named in a bad value's hint ("see `reasonedit edit --help`"). */
  command?: string;
}

export type { SettingOrigin };

export function resolveSettings(sources: SettingsSources): Settings {
  return resolveSettingsWithOrigins(sources).settings;
}

export function resolveSettingsWithOrigins(sources: SettingsSources): { settings: Settings; origins: Record<keyof Settings, SettingOrigin> } {
  const files = configLayers(sources);
  for (const file of files) assertKnownKeys(file);
  const merged = Object.assign({}, ...files.map((file) => definedOnly(file.values)), definedOnly(sources.env), definedOnly(sources.flags)) as SettingsInput;
  const origins = Object.fromEntries(SETTING_KEYS.map((key) => [key, originOf(key, sources, files)])) as Record<keyof Settings, SettingOrigin>;
  const settings = parseFlags(SettingsSchema, merged, { command: sources.command, origin: (key) => describeOrigin(origins[key as keyof Settings]) });
  return { settings, origins };
}

function configLayers(sources: SettingsSources): ConfigFile[] {
  const single = sources.file ? [{ path: sources.filePath ?? "the config file", values: sources.file }] : [];
  return [...(sources.files ?? []), ...single];
}

function assertKnownKeys(file: ConfigFile): void {
  const unknown = Object.keys(file.values).filter((key) => !(SETTING_KEYS as string[]).includes(key));
  if (unknown.length === 0) return;
  const guesses = unknown.map((key) => {
    const guess = nearestName(key, SETTING_KEYS);
    return guess ? `${key} (did you mean ${guess}?)` : key;
  });
  throw new ReasonEditError("usage", `unknown setting ${guesses.join(", ")} in ${file.path}`, {
    hint: `config keys are the flags in camelCase (${SETTING_KEYS.slice(0, 6).join(", ")}, …); switches take true/false, e.g. {"reflect": false}`,
  });
}

function originOf(key: keyof Settings, sources: SettingsSources, files: readonly ConfigFile[]): SettingOrigin {
  if (sources.flags?.[key] !== undefined) return { from: "flag" };
  const env = SETTING_ENV_NAMES.find(([, k]) => k === key)?.[0];
  if (env && sources.env?.[key] !== undefined) return { from: "env", name: env };
  const file = [...files].reverse().find((layer) => layer.values[key] !== undefined);
  return file ? { from: "config", path: file.path } : { from: "default" };
}

export { flagName, httpUrl };

/** A model the settings send to Hugging Face Inference Providers (not to a custom URL). */
export interface HostedModel {
  role: "MLLM" | "editor";
  model: string;
}

/** The models that need an HF token with these settings: those not on a custom URL, none with --offline (the cache answers). */
export function hostedModelsNeedingToken(settings: Pick<Settings, "offline" | "mllm" | "mllmUrl" | "editor" | "editorUrl">): HostedModel[] {
  if (settings.offline) return [];
  const mllm: HostedModel[] = settings.mllmUrl === undefined ? [{ role: "MLLM", model: settings.mllm }] : [];
  const editor: HostedModel[] = settings.editorUrl === undefined ? [{ role: "editor", model: settings.editor }] : [];
  return [...mllm, ...editor];
}

/** What a missing token means for these models, in the words `edit` and `doctor` both use. */
export function missingTokenMessage(models: readonly HostedModel[]): string {
  const which = models.map(({ role, model }) => `the ${role} (${model})`).join(" and ");
  return `HF_TOKEN is not set and no login token was found, and ${which} ${models.length === 1 ? "runs" : "run"} on Hugging Face Inference Providers`;
}

/** The hosted calls need an HF token unless both models are on custom URLs. */
export function assertCredentials(settings: Settings, credentials: Credentials): void {
  const models = hostedModelsNeedingToken(settings);
  if (models.length === 0 || credentials.hfToken) return;
  throw new ReasonEditError("no_token", missingTokenMessage(models), {
    hint: "export HF_TOKEN=hf_... (a fine-grained token with 'Make calls to Inference Providers': https://huggingface.co/settings/tokens) or run `hf auth login`, or point both --mllm-url and --editor-url at your own servers",
  });
}
