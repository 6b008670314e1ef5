// `reasonedit doctor`: checks what an edit needs — Node, sharp, the token, the models' providers, custom servers,
// prompts and folders — each as a structured result with a fix, so the command only renders them.
// Nothing here imports sharp statically: a broken sharp install must show up as a failed check, not a crash.
import { randomBytes } from "node:crypto";
import { readdir, rm, stat, writeFile, access } from "node:fs/promises";
import { constants } from "node:fs";
import path from "node:path";
import { InferenceClientHubApiError, PROVIDERS } from "@huggingface/inference";
import { defaultCacheDir } from "../cache/call-cache.js";
import { MARKER_FILE } from "../cache/cache-entry.js";
import type { Credentials, Settings } from "../config/settings.js";
import { ReasonEditError } from "../errors.js";
import { fetchProviderMapping, pickEditRoute, type MappingEntry } from "../providers/hub-mapping.js";
import { displayUrl } from "../providers/route.js";
import { loadPromptSet, STEP_NAMES } from "../reasoning/prompt-templates.js";
import { defaultRunsRoot } from "../runs/run-folder.js";

export type CheckId = "node" | "sharp" | "token" | "token_valid" | "mllm" | "editor" | "prompts" | "cache" | "runs";
/** ok: fine; warn: works, but worth knowing; fail: an edit would fail; skip: not applicable with these settings. */
export type CheckStatus = "ok" | "warn" | "fail" | "skip";
/** What a failure means for the exit code: config → 2 (fix your setup), service → 4 (a model is unserved or a server unreachable). */
export type ProblemKind = "config" | "service";

export interface DoctorCheck {
  id: CheckId;
  label: string;
  status: CheckStatus;
  detail: string;
  /** What to do about a warn or fail. */
  fix?: string;
  /** Set on failures. */
  kind?: ProblemKind;
  data?: Record<string, unknown>;
}

export interface DoctorReport {
  checks: DoctorCheck[];
  /** 0 when nothing failed; 2 when a config problem failed (it wins: fix that first); else 4. */
  exitCode: 0 | 2 | 4;
}

export interface DoctorOptions {
  settings: Settings;
  credentials: Credentials;
  env: NodeJS.ProcessEnv;
  /** Used for every HTTP check (the Hub, custom servers); tests route it to a loopback fake. Default: the global fetch. */
  fetch?: typeof fetch;
  /** Per HTTP check. Default: --timeout, at most 10 s. */
  timeoutMs?: number;
  /** Default: process.versions.node. */
  nodeVersion?: string;
}

const HUB_URL = "https://huggingface.co";
const TOKENS_URL = "https://huggingface.co/settings/tokens";
const NEW_TOKEN_URL = "https://huggingface.co/settings/tokens/new?ownUserPermissions=inference.serverless.write&tokenType=fineGrained";
const INFERENCE_PERMISSION = "inference.serverless.write";
const MIN_NODE_MAJOR = 20;
const MAX_CHECK_MS = 10_000;
const EDIT_TASKS = ["image-to-image", "image-text-to-image"];

export async function runDoctor(options: DoctorOptions): Promise<DoctorReport> {
  const { settings, credentials, env } = options;
  const http: Http = {
    fetch: options.fetch ?? ((input, init) => globalThis.fetch(input, init)),
    timeoutMs: options.timeoutMs ?? Math.min(settings.timeout * 1000, MAX_CHECK_MS),
  };
  const checks = await Promise.all([
    checkNode(options.nodeVersion ?? process.versions.node),
    checkSharp(),
    checkToken(settings, credentials, env),
    checkTokenValid(settings, credentials, http),
    settings.mllmUrl !== undefined ? checkMllmUrl(settings.mllmUrl, settings.mllm, credentials.mllmApiKey, http) : checkMllmServed(settings, credentials, http),
    settings.editorUrl !== undefined ? checkEditorUrl(settings.editorUrl, credentials.editorApiKey, http) : checkEditorServed(settings, credentials, http),
    checkPrompts(settings.prompts),
    checkCacheDir(settings, env),
    checkRunDir(settings, env),
  ]);
  return { checks, exitCode: exitCodeOf(checks) };
}

export function exitCodeOf(checks: readonly DoctorCheck[]): 0 | 2 | 4 {
  const failed = checks.filter((check) => check.status === "fail");
  if (failed.length === 0) return 0;
  return failed.some((check) => check.kind !== "service") ? 2 : 4;
}

// ---- the program itself ---------------------------------------------------------------------------

export function checkNode(version: string): DoctorCheck {
  const major = Number(/^v?(\d+)/.exec(version)?.[1] ?? Number.NaN);
  if (major >= MIN_NODE_MAJOR) return { id: "node", label: "Node.js", status: "ok", detail: `v${version.replace(/^v/, "")}` };
  return {
    id: "node",
    label: "Node.js",
    status: "fail",
    kind: "config",
    detail: `v${version.replace(/^v/, "")} is too old: reasonedit needs Node.js ${MIN_NODE_MAJOR} or later`,
    fix: `install Node.js ${MIN_NODE_MAJOR} LTS or later (https://nodejs.org, or \`nvm install ${MIN_NODE_MAJOR}\`)`,
  };
}

export async function checkSharp(): Promise<DoctorCheck> {
  const base = { id: "sharp", label: "sharp" } as const;
  try {
    const { default: sharp } = await import("sharp");
    const { OUTPUT_FORMATS } = await import("../images/output.js");
    const probe = () => sharp({ create: { width: 8, height: 8, channels: 3, background: { r: 128, g: 96, b: 64 } } });
    // Encoding a tiny image is the only sure test: a system libvips may list a format it cannot write.
    const writable = await Promise.all(OUTPUT_FORMATS.map((format) => probe().toFormat(format).toBuffer().then(() => true, () => false)));
    const writes = OUTPUT_FORMATS.filter((_, i) => writable[i]);
    const missing = OUTPUT_FORMATS.filter((_, i) => !writable[i]);
    const versions = sharp.versions as Record<string, string | undefined>;
    const detail = `${versions.sharp ?? "?"}, libvips ${versions.vips ?? "?"}; writes ${writes.join(", ") || "nothing"}`;
    const data = { sharp: versions.sharp ?? null, vips: versions.vips ?? null, output_formats: writes };
    if (!writable[OUTPUT_FORMATS.indexOf("png")]) {
      return { ...base, status: "fail", kind: "config", detail, data, fix: "reinstall sharp with its prebuilt libvips: `npm rebuild sharp` (https://sharp.pixelplumbing.com/install)" };
    }
    if (missing.length > 0) {
      return { ...base, status: "warn", detail: `${detail}; cannot write ${missing.join(", ")}`, data, fix: `results can still be written as ${writes.join(", ")}; for ${missing.join(", ")}, reinstall sharp with its prebuilt libvips (\`npm rebuild sharp\`)` };
    }
    return { ...base, status: "ok", detail, data };
  } catch (error) {
    return {
      ...base,
      status: "fail",
      kind: "config",
      detail: `cannot load sharp: ${firstLine(error)}`,
      fix: "reinstall it for this platform: `npm rebuild sharp` or `npm install --include=optional sharp` (https://sharp.pixelplumbing.com/install)",
    };
  }
}

// ---- the token ----------------------------------------------------------------------------------

/** Whether the hosted calls need an HF token with these settings. */
function needsHubToken(settings: Settings): boolean {
  return !settings.offline && (settings.mllmUrl === undefined || settings.editorUrl === undefined);
}

function tokenSource(env: NodeJS.ProcessEnv): string {
  return env.HF_TOKEN && env.HF_TOKEN.trim() !== "" ? "HF_TOKEN" : "HUGGING_FACE_HUB_TOKEN";
}

/** Never shows the token, not even in part: only where it came from and which kind it is. */
export function checkToken(settings: Settings, credentials: Credentials, env: NodeJS.ProcessEnv): DoctorCheck {
  const base = { id: "token", label: "HF token" } as const;
  const token = credentials.hfToken;
  if (token === undefined) {
    if (!needsHubToken(settings)) {
      const why = settings.offline ? "--offline answers from the cache" : "both models are on custom URLs";
      return { ...base, status: "ok", detail: `not set (not needed: ${why})`, data: { set: false } };
    }
    const which = [settings.mllmUrl === undefined && `the MLLM (${settings.mllm})`, settings.editorUrl === undefined && `the editor (${settings.editor})`].filter(Boolean).join(" and ");
    return {
      ...base,
      status: "fail",
      kind: "config",
      detail: `HF_TOKEN is not set, and ${which} run on Hugging Face Inference Providers`,
      fix: `create a fine-grained token with "Make calls to Inference Providers" (${NEW_TOKEN_URL}) and \`export HF_TOKEN=hf_...\`; or point both --mllm-url and --editor-url at your own servers`,
      data: { set: false },
    };
  }
  const source = tokenSource(env);
  if (!needsHubToken(settings)) {
    const why = settings.offline ? "--offline answers from the cache" : "both models are on custom URLs, and it is never sent to them";
    return { ...base, status: "ok", detail: `set in ${source}, not used (${why})`, data: { set: true, source, kind: token.startsWith("hf_") ? "hf" : "provider_key" } };
  }
  if (token.startsWith("hf_")) {
    return { ...base, status: "ok", detail: `set in ${source}, a Hugging Face token: calls go through the router (huggingface.co)`, data: { set: true, source, kind: "hf" } };
  }
  return {
    ...base,
    status: "warn",
    detail: `set in ${source}, but it does not start with hf_: treated as a provider key, sent straight to the provider and billed there; the Hub cannot check it`,
    fix: `if you meant a Hugging Face token, use one starting with hf_ (${TOKENS_URL}); a provider key works only with a pinned --mllm-provider/--editor-provider of that provider`,
    data: { set: true, source, kind: "provider_key" },
  };
}

interface WhoAmI {
  name?: string;
  type?: string;
  auth?: { accessToken?: { displayName?: string; role?: string; fineGrained?: { global?: string[]; scoped?: Array<{ permissions?: string[] }> } } };
}

/** Asks the Hub who the token belongs to (GET /api/whoami-v2): valid, and allowed to call Inference Providers? */
export async function checkTokenValid(settings: Settings, credentials: Credentials, http: Http): Promise<DoctorCheck> {
  const base = { id: "token_valid", label: "token valid" } as const;
  const token = credentials.hfToken;
  if (token === undefined || !token.startsWith("hf_")) {
    return { ...base, status: "skip", detail: token === undefined ? "no HF token to check" : "a provider key cannot be checked on the Hub" };
  }
  if (!needsHubToken(settings)) return { ...base, status: "skip", detail: "not used with these settings" };
  const answer = await httpGet(http, `${HUB_URL}/api/whoami-v2`, { Authorization: `Bearer ${token}` });
  if (answer.error !== undefined) {
    return {
      ...base,
      status: "fail",
      kind: "service",
      detail: `could not reach huggingface.co to check the token: ${answer.error}`,
      fix: "check the network connection and any proxy (HTTPS_PROXY); the hosted models need https://huggingface.co and https://router.huggingface.co",
    };
  }
  if (answer.status === 401) {
    return {
      ...base,
      status: "fail",
      kind: "config",
      detail: "the Hub rejected the token (HTTP 401): it is invalid, expired or revoked",
      fix: `create a new fine-grained token with "Make calls to Inference Providers" (${NEW_TOKEN_URL}) and export it as HF_TOKEN`,
    };
  }
  if (answer.status < 200 || answer.status >= 300) {
    return { ...base, status: "warn", detail: `the Hub answered HTTP ${answer.status}; the token could not be checked`, fix: "run `reasonedit doctor` again later; https://status.huggingface.co shows outages" };
  }
  const who = (typeof answer.body === "object" && answer.body !== null ? answer.body : {}) as WhoAmI;
  const access = who.auth?.accessToken;
  const role = access?.role;
  const owner = who.name ? ` of ${who.type === "org" ? "organisation" : "user"} ${who.name}` : "";
  const named = access?.displayName ? ` "${access.displayName}"` : "";
  const data = { user: who.name ?? null, role: role ?? null };
  if (role === "fineGrained") {
    const permissions = new Set([...(access?.fineGrained?.global ?? []), ...(access?.fineGrained?.scoped ?? []).flatMap((scope) => scope.permissions ?? [])]);
    if (!permissions.has(INFERENCE_PERMISSION)) {
      return {
        ...base,
        status: "fail",
        kind: "config",
        detail: `valid fine-grained token${named}${owner}, but without the "Make calls to Inference Providers" permission: hosted calls will be refused (HTTP 403)`,
        fix: `edit the token at ${TOKENS_URL} and tick "Make calls to Inference Providers", or create one with it: ${NEW_TOKEN_URL}`,
        data: { ...data, inference: false },
      };
    }
    return { ...base, status: "ok", detail: `valid fine-grained token${named}${owner}, may call Inference Providers`, data: { ...data, inference: true } };
  }
  const kind = role ? `${role} token` : "token";
  return { ...base, status: "ok", detail: `valid ${kind}${named}${owner}`, data };
}

// ---- hosted models -------------------------------------------------------------------------------

/** "<id>:<provider or policy>" is the router's suffix syntax; the Hub knows the id alone. */
function splitSuffix(model: string): { id: string; suffix?: string } {
  const at = model.indexOf(":");
  return at < 0 ? { id: model } : { id: model.slice(0, at), suffix: model.slice(at + 1) };
}

type MappingOutcome = { entries: MappingEntry[] } | { check: DoctorCheck };

async function readMapping(id: CheckId, label: string, model: string, flag: string, credentials: Credentials, http: Http): Promise<MappingOutcome> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error(`no answer within ${http.timeoutMs} ms`)), http.timeoutMs);
  try {
    const entries = await fetchProviderMapping(model, { fetch: http.fetch, ...(credentials.hfToken ? { hfToken: credentials.hfToken } : {}), signal: controller.signal });
    return { entries };
  } catch (error) {
    const status = error instanceof InferenceClientHubApiError ? error.httpResponse.status : undefined;
    const fail = (detail: string, fix: string, kind: ProblemKind = "service"): MappingOutcome => ({ check: { id, label, status: "fail", kind, detail, fix, data: { model } } });
    if (status === 404) return fail(`${model} was not found on the Hub`, `check the model id (owner/name, as on huggingface.co; it is case-sensitive) given to ${flag}`);
    if (status === 401 || status === 403) {
      return fail(`the Hub refused to show ${model} (HTTP ${status}): a private or gated model`, `accept the model's terms on its Hub page and use an HF_TOKEN that can read it, or choose another ${flag}`);
    }
    if (status !== undefined) return fail(`the Hub answered HTTP ${status} for ${model}'s providers`, "try again later; https://status.huggingface.co shows outages");
    return fail(`could not reach huggingface.co to read ${model}'s providers: ${controller.signal.aborted ? `no answer within ${(http.timeoutMs / 1000).toFixed(1)} s` : networkReason(error)}`, "check the network connection and any proxy (HTTPS_PROXY)");
  } finally {
    clearTimeout(timer);
  }
}

function providerList(entries: readonly MappingEntry[]): string {
  return entries.map((entry) => (entry.status === "staging" ? `${entry.provider} (staging)` : entry.provider)).join(", ");
}

function mappedFor(entries: readonly MappingEntry[]): string {
  if (entries.length === 0) return "no provider serves it";
  const tasks = [...new Set(entries.map((entry) => entry.task))];
  return `it is mapped only for ${tasks.join(", ")}`;
}

function entryData(entries: readonly MappingEntry[]): Array<Record<string, string>> {
  return entries.map((entry) => ({ provider: entry.provider, provider_id: entry.providerId, task: entry.task, status: entry.status ?? "live" }));
}

/** The MLLM needs a "conversational" mapping; a pinned provider must be one of them and known to the client. */
export async function checkMllmServed(settings: Settings, credentials: Credentials, http: Http): Promise<DoctorCheck> {
  const base = { id: "mllm", label: "MLLM" } as const;
  if (settings.offline) return { ...base, status: "skip", detail: `${settings.mllm}: --offline, not checked` };
  const { id: model, suffix } = splitSuffix(settings.mllm);
  const mapping = await readMapping("mllm", base.label, model, "--mllm", credentials, http);
  if ("check" in mapping) return mapping.check;
  const chat = mapping.entries.filter((entry) => entry.task === "conversational");
  const pinned = settings.mllmProvider !== "auto" ? settings.mllmProvider : suffix !== undefined && !["fastest", "cheapest", "preferred"].includes(suffix) ? suffix : undefined;
  const data = { model, providers: entryData(chat), ...(pinned ? { pinned } : {}) };
  if (chat.length === 0) {
    return {
      ...base,
      status: "fail",
      kind: "service",
      detail: `${model} is not served for chat by any Inference Provider (${mappedFor(mapping.entries)})`,
      fix: "choose a vision chat model that is served, e.g. --mllm Qwen/Qwen3-VL-235B-A22B-Instruct (novita) or Qwen/Qwen3-VL-32B-Instruct (together); or serve it yourself and pass --mllm-url",
      data,
    };
  }
  const providers = chat.map((entry) => entry.provider);
  if (pinned !== undefined) {
    if (!providers.includes(pinned)) {
      return { ...base, status: "fail", kind: "service", detail: `${model} is not served for chat by ${pinned}; it is by ${providerList(chat)}`, fix: `use --mllm-provider auto or one of: ${providers.join(", ")}`, data };
    }
    if ((PROVIDERS as Record<string, Record<string, unknown> | undefined>)[pinned]?.conversational === undefined) {
      return {
        ...base,
        status: "fail",
        kind: "config",
        detail: `${model} is served by ${pinned}, but this client cannot call ${pinned} directly`,
        fix: `use --mllm-provider auto with --mllm ${model}:${pinned} (the router reaches ${pinned} for you)`,
        data,
      };
    }
  }
  const live = chat.filter((entry) => entry.status !== "staging");
  const how = pinned !== undefined ? `pinned to ${pinned}` : "auto: the router picks";
  const detail = `${model}: served for chat by ${providerList(chat)} (${how})`;
  if (live.length === 0 || (pinned !== undefined && chat.find((entry) => entry.provider === pinned)?.status === "staging")) {
    return { ...base, status: "warn", detail, fix: "staging mappings may not answer yet; prefer a live provider", data };
  }
  return { ...base, status: "ok", detail, data };
}

/** The editor needs an image-to-image or image-text-to-image mapping this client can call; a pinned provider must be one of them. */
export async function checkEditorServed(settings: Settings, credentials: Credentials, http: Http): Promise<DoctorCheck> {
  const base = { id: "editor", label: "editor" } as const;
  if (settings.offline) return { ...base, status: "skip", detail: `${settings.editor}: --offline, not checked` };
  const model = settings.editor;
  const mapping = await readMapping("editor", base.label, model, "--editor", credentials, http);
  if ("check" in mapping) return mapping.check;
  const entries = mapping.entries;
  const editing = entries.filter((entry) => EDIT_TASKS.includes(entry.task));
  // pickEditRoute is what `edit` runs: a provider counts only when it would really be used.
  const usable = editing.filter((entry) => routeOrUndefined(model, entry.provider, entries) !== undefined);
  const pinned = settings.editorProvider !== "auto" ? settings.editorProvider : undefined;
  const data = { model, providers: entryData(usable), ...(pinned ? { pinned } : {}) };
  if (usable.length === 0) {
    const unusable = editing.length > 0 ? ` (mapped for editing on ${providerList(editing)}, which this client cannot use for that task)` : ` (${mappedFor(entries)})`;
    return {
      ...base,
      status: "fail",
      kind: "service",
      detail: `${model} is not served for image editing by any Inference Provider${unusable}`,
      fix: "choose an editing model that is served, e.g. --editor Qwen/Qwen-Image-Edit (fal-ai, replicate, wavespeed) or black-forest-labs/FLUX.1-Kontext-dev; or deploy it on an Inference Endpoint and pass --editor-url",
      data,
    };
  }
  const list = usable.map((entry) => `${entry.provider} (${entry.task}${entry.status === "staging" ? ", staging" : ""})`).join(", ");
  if (pinned !== undefined && !usable.some((entry) => entry.provider === pinned)) {
    return {
      ...base,
      status: "fail",
      kind: "service",
      detail: `${model} is not served for editing by ${pinned}; it is by ${list}`,
      fix: `use --editor-provider auto or one of: ${usable.map((entry) => entry.provider).join(", ")}`,
      data,
    };
  }
  const route = routeOrUndefined(model, pinned ?? "auto", entries);
  const how = pinned !== undefined ? `pinned to ${pinned}` : `auto picks ${route?.provider ?? "?"}`;
  const detail = `${model}: served for editing by ${list} (${how})`;
  const chosen = usable.find((entry) => entry.provider === route?.provider);
  if (chosen?.status === "staging") return { ...base, status: "warn", detail, fix: "staging mappings may not answer yet; pin a live provider with --editor-provider", data };
  return { ...base, status: "ok", detail, data: { ...data, ...(route ? { route: route.provider, task: route.task } : {}) } };
}

function routeOrUndefined(model: string, provider: string, entries: readonly MappingEntry[]) {
  try {
    return pickEditRoute(model, provider, entries);
  } catch {
    return undefined;
  }
}

// ---- custom servers ------------------------------------------------------------------------------

/** Where an OpenAI-compatible server lists its models, following the library's rules for the chat URL. */
export function modelsUrl(url: string): string {
  const trimmed = url.trim().replace(/\/+$/, "");
  if (trimmed.endsWith("/chat/completions")) return `${trimmed.slice(0, -"/chat/completions".length)}/models`;
  if (trimmed.endsWith("/v1")) return `${trimmed}/models`;
  return `${trimmed}/v1/models`;
}

export async function checkMllmUrl(url: string, model: string, apiKey: string | undefined, http: Http): Promise<DoctorCheck> {
  const base = { id: "mllm", label: "MLLM server" } as const;
  const shown = displayUrl(url);
  const listUrl = modelsUrl(url);
  const answer = await httpGet(http, listUrl, apiKey ? { Authorization: `Bearer ${apiKey}` } : {});
  const data = { url: shown, model };
  if (answer.error !== undefined) {
    return {
      ...base,
      status: "fail",
      kind: "service",
      detail: `cannot reach ${shown}: ${answer.error}`,
      fix: "start the server, or correct --mllm-url (an OpenAI-compatible base URL such as http://127.0.0.1:8000/v1)",
      data,
    };
  }
  if (answer.status === 401 || answer.status === 403) return refusedKey(base, shown, answer.status, apiKey, "REASONEDIT_MLLM_API_KEY", data);
  if (answer.status < 200 || answer.status >= 300) {
    return {
      ...base,
      status: "warn",
      detail: `${shown} is reachable, but ${displayUrl(listUrl)} answered HTTP ${answer.status}`,
      fix: "make sure --mllm-url is an OpenAI-compatible server (it should answer GET /v1/models and POST /v1/chat/completions)",
      data,
    };
  }
  const ids = listedModels(answer.body);
  if (ids.length > 0 && !ids.includes(model)) {
    return {
      ...base,
      status: "warn",
      detail: `${shown} is reachable and serves ${ids.slice(0, 5).join(", ")}${ids.length > 5 ? ", …" : ""}, not ${model}`,
      fix: `pass the server's model name: --mllm ${ids[0]}`,
      data: { ...data, served: ids },
    };
  }
  return { ...base, status: "ok", detail: `${shown} is reachable${ids.length > 0 ? ` and serves ${model}` : ""}`, data: { ...data, served: ids } };
}

/** The HF-Inference protocol has no listing route: any HTTP answer at the URL means a server is there. */
export async function checkEditorUrl(url: string, apiKey: string | undefined, http: Http): Promise<DoctorCheck> {
  const base = { id: "editor", label: "editor server" } as const;
  const shown = displayUrl(url);
  const answer = await httpGet(http, url, apiKey ? { Authorization: `Bearer ${apiKey}` } : {});
  const data = { url: shown };
  if (answer.error !== undefined) {
    return {
      ...base,
      status: "fail",
      kind: "service",
      detail: `cannot reach ${shown}: ${answer.error}`,
      fix: "start the endpoint (a paused Inference Endpoint must be resumed), or correct --editor-url",
      data,
    };
  }
  if (answer.status === 401 || answer.status === 403) return refusedKey(base, shown, answer.status, apiKey, "REASONEDIT_EDITOR_API_KEY", data);
  return { ...base, status: "ok", detail: `${shown} is reachable (HTTP ${answer.status} to a GET)`, data };
}

function refusedKey(base: { id: CheckId; label: string }, shown: string, status: number, apiKey: string | undefined, variable: string, data: Record<string, unknown>): DoctorCheck {
  return {
    ...base,
    status: "fail",
    kind: "config",
    detail: apiKey ? `${shown} rejected the key in ${variable} (HTTP ${status})` : `${shown} wants a key (HTTP ${status})`,
    fix: apiKey ? `check ${variable}; the HF token is never sent to a custom URL` : `export ${variable}=<the server's key> (sent as a Bearer token to this URL only)`,
    data,
  };
}

function listedModels(body: unknown): string[] {
  const rows = (body as { data?: unknown } | null)?.data;
  if (!Array.isArray(rows)) return [];
  return rows.map((row: unknown) => (row as { id?: unknown })?.id).filter((id): id is string => typeof id === "string");
}

// ---- prompts and folders -------------------------------------------------------------------------

export async function checkPrompts(dir: string | undefined): Promise<DoctorCheck> {
  const base = { id: "prompts", label: "prompts" } as const;
  try {
    const set = await loadPromptSet(dir);
    const custom = STEP_NAMES.filter((step) => !set[step].builtIn);
    if (dir === undefined) return { ...base, status: "ok", detail: `built-in (${STEP_NAMES.length} templates)`, data: { custom: [] } };
    const builtIn = STEP_NAMES.length - custom.length;
    return {
      ...base,
      status: "ok",
      detail: `${dir}: ${custom.map((step) => `${step}.md`).join(", ")}${builtIn > 0 ? `; built-in for the other ${builtIn}` : ""}`,
      data: { dir, custom },
    };
  } catch (error) {
    const known = ReasonEditError.is(error);
    return {
      ...base,
      status: "fail",
      kind: "config",
      detail: known ? error.message : `cannot load the prompts: ${firstLine(error)}`,
      fix: (known ? error.hint : undefined) ?? "check --prompts; see prompts/README.md",
      ...(dir !== undefined ? { data: { dir } } : {}),
    };
  }
}

export async function checkCacheDir(settings: Settings, env: NodeJS.ProcessEnv): Promise<DoctorCheck> {
  const base = { id: "cache", label: "cache dir" } as const;
  const dir = path.resolve(settings.cacheDir ?? defaultCacheDir(env));
  if (!settings.cache && !settings.offline) return { ...base, status: "skip", detail: "off (--no-cache)", data: { dir } };
  const probe = await probeFolder(dir);
  if (settings.offline) {
    if (probe.state === "exists") return { ...base, status: "ok", detail: `${dir} (--offline reads it)`, data: { dir } };
    return {
      ...base,
      status: "fail",
      kind: "config",
      detail: `--offline answers only from the cache, and ${dir} ${probe.state === "unwritable" ? `is unusable: ${probe.reason}` : "does not exist"}`,
      fix: "run once without --offline (with HF_TOKEN) to fill the cache, or point --cache-dir at a filled one",
      data: { dir },
    };
  }
  if (probe.state === "unwritable") {
    return { ...base, status: "warn", detail: `${dir} is not writable (${probe.reason}): edits work, but nothing is cached`, fix: "choose another --cache-dir (or REASONEDIT_CACHE_DIR), or fix the folder's permissions", data: { dir } };
  }
  if (probe.state === "exists" && !(await isOursOrEmpty(dir))) {
    return {
      ...base,
      status: "warn",
      detail: `${dir} holds other files and no ${MARKER_FILE}: reasonedit will not cache there`,
      fix: "point --cache-dir at a new or empty folder",
      data: { dir },
    };
  }
  return { ...base, status: "ok", detail: `${dir}${probe.state === "missing" ? " (created on first use)" : ""}`, data: { dir } };
}

export async function checkRunDir(settings: Settings, env: NodeJS.ProcessEnv): Promise<DoctorCheck> {
  const base = { id: "runs", label: "run dir" } as const;
  const dir = path.resolve(settings.runDir ?? defaultRunsRoot(env));
  const probe = await probeFolder(dir);
  if (probe.state === "exists" || probe.state === "missing") {
    return { ...base, status: "ok", detail: `${dir}${probe.state === "missing" ? " (created on first use)" : ""}`, data: { dir } };
  }
  return {
    ...base,
    status: "fail",
    kind: "config",
    detail: `${dir} is not writable (${probe.reason}): every edit keeps a run record there`,
    fix: "choose another --run-dir (or REASONEDIT_RUN_DIR), or fix the folder's permissions",
    data: { dir },
  };
}

type FolderProbe = { state: "exists" } | { state: "missing" } | { state: "unwritable"; reason: string };

/** Writes and removes a probe file in an existing folder; for a missing one, checks the nearest existing parent — creating nothing. */
async function probeFolder(dir: string): Promise<FolderProbe> {
  const info = await stat(dir).catch(() => undefined);
  if (info !== undefined) {
    if (!info.isDirectory()) return { state: "unwritable", reason: "it is a file" };
    const probe = path.join(dir, `.reasonedit-doctor-${randomBytes(4).toString("hex")}`);
    try {
      await writeFile(probe, "");
      await rm(probe, { force: true });
      return { state: "exists" };
    } catch (error) {
      return { state: "unwritable", reason: firstLine(error) };
    }
  }
  let parent = path.dirname(dir);
  for (;;) {
    const parentInfo = await stat(parent).catch(() => undefined);
    if (parentInfo !== undefined) {
      if (!parentInfo.isDirectory()) return { state: "unwritable", reason: `${parent} is a file` };
      try {
        await access(parent, constants.W_OK | constants.X_OK);
        return { state: "missing" };
      } catch {
        return { state: "unwritable", reason: `cannot create folders in ${parent}` };
      }
    }
    const next = path.dirname(parent);
    if (next === parent) return { state: "unwritable", reason: "no existing parent folder" };
    parent = next;
  }
}

async function isOursOrEmpty(dir: string): Promise<boolean> {
  const names = await readdir(dir).catch(() => [] as string[]);
  return names.length === 0 || names.includes(MARKER_FILE);
}

// ---- HTTP ---------------------------------------------------------------------------------------

export interface Http {
  fetch: typeof fetch;
  timeoutMs: number;
}

type HttpAnswer = { status: number; body: unknown; error?: undefined } | { error: string; status?: undefined; body?: undefined };

/** One GET under a deadline; a network failure or timeout comes back as `error`, never thrown. */
async function httpGet(http: Http, url: string, headers: Record<string, string>): Promise<HttpAnswer> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), http.timeoutMs);
  try {
    const response = await http.fetch(url, { headers, signal: controller.signal });
    const text = await response.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text) as unknown;
    } catch {
      // not JSON: keep the text
    }
    return { status: response.status, body };
  } catch (error) {
    return { error: controller.signal.aborted ? `no answer within ${(http.timeoutMs / 1000).toFixed(1)} s` : networkReason(error) };
  } finally {
    clearTimeout(timer);
  }
}

/** fetch hides the socket error in `cause` ("fetch failed" ← ECONNREFUSED). */
function networkReason(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } } | undefined)?.cause;
  if (cause?.code) return `${cause.code}${cause.message && !cause.message.includes(cause.code) ? ` (${cause.message})` : ""}`;
  return firstLine(cause ?? error);
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split("\n")[0] ?? message;
}
