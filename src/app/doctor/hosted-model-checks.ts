// Hosted models: does the Hub map the MLLM for chat and the editor for image editing, and on which providers?
import { PROVIDERS } from "@huggingface/inference";
import type { Credentials, Settings } from "../../config/settings.js";
import { fetchProviderMapping, pickEditRoute, type MappingEntry } from "../../providers/hub-mapping.js";
import { networkReason } from "../../providers/network-reason.js";
import type { Http } from "./http.js";
import { fail, ok, skip, warn, type CheckId, type DoctorCheck, type ProblemKind } from "./types.js";

const EDIT_TASKS = ["image-to-image", "image-text-to-image"];

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
    // By name, as providers/error-mapping.ts does: the name survives duplicated copies of the library.
    const status = error instanceof Error && error.name === "HubApiError" ? (error as { httpResponse?: { status?: number } }).httpResponse?.status : undefined;
    const failed = (detail: string, fix: string, kind: ProblemKind = "service"): MappingOutcome => ({ check: fail({ id, label }, kind, detail, fix, { model }) });
    if (status === 404) return failed(`${model} was not found on the Hub`, `check the model id (owner/name, as on huggingface.co; it is case-sensitive) given to ${flag}`);
    if (status === 401 || status === 403) {
      return failed(`the Hub refused to show ${model} (HTTP ${status}): a private or gated model`, `accept the model's terms on its Hub page and use an HF_TOKEN that can read it, or choose another ${flag}`);
    }
    if (status !== undefined) return failed(`the Hub answered HTTP ${status} for ${model}'s providers`, "try again later; https://status.huggingface.co shows outages");
    return failed(`could not reach huggingface.co to read ${model}'s providers: ${controller.signal.aborted ? `no answer within ${(http.timeoutMs / 1000).toFixed(1)} s` : networkReason(error)}`, "check the network connection and any proxy (HTTPS_PROXY)");
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
  if (settings.offline) return skip(base, `${settings.mllm}: --offline, not checked`);
  const { id: model, suffix } = splitSuffix(settings.mllm);
  const mapping = await readMapping("mllm", base.label, model, "--mllm", credentials, http);
  if ("check" in mapping) return mapping.check;
  const chat = mapping.entries.filter((entry) => entry.task === "conversational");
  const pinned = settings.mllmProvider !== "auto" ? settings.mllmProvider : suffix !== undefined && !["fastest", "cheapest", "preferred"].includes(suffix) ? suffix : undefined;
  const data = { model, providers: entryData(chat), ...(pinned ? { pinned } : {}) };
  if (chat.length === 0) {
    const fix = "choose a vision chat model that is served, e.g. --mllm Qwen/Qwen3-VL-235B-A22B-Instruct (novita) or Qwen/Qwen3-VL-32B-Instruct (together); or serve it yourself and pass --mllm-url";
    return fail(base, "service", `${model} is not served for chat by any Inference Provider (${mappedFor(mapping.entries)})`, fix, data);
  }
  const providers = chat.map((entry) => entry.provider);
  if (pinned !== undefined) {
    if (!providers.includes(pinned)) {
      return fail(base, "service", `${model} is not served for chat by ${pinned}; it is by ${providerList(chat)}`, `use --mllm-provider auto or one of: ${providers.join(", ")}`, data);
    }
    if ((PROVIDERS as Record<string, Record<string, unknown> | undefined>)[pinned]?.conversational === undefined) {
      const fix = `use --mllm-provider auto with --mllm ${model}:${pinned} (the router reaches ${pinned} for you)`;
      return fail(base, "config", `${model} is served by ${pinned}, but this client cannot call ${pinned} directly`, fix, data);
    }
  }
  const live = chat.filter((entry) => entry.status !== "staging");
  const how = pinned !== undefined ? `pinned to ${pinned}` : "auto: the router picks";
  const detail = `${model}: served for chat by ${providerList(chat)} (${how})`;
  if (live.length === 0 || (pinned !== undefined && chat.find((entry) => entry.provider === pinned)?.status === "staging")) {
    return warn(base, detail, "staging mappings may not answer yet; prefer a live provider", data);
  }
  return ok(base, detail, data);
}

/** The editor needs an image-to-image or image-text-to-image mapping this client can call; a pinned provider must be one of them. */
export async function checkEditorServed(settings: Settings, credentials: Credentials, http: Http): Promise<DoctorCheck> {
  const base = { id: "editor", label: "editor" } as const;
  if (settings.offline) return skip(base, `${settings.editor}: --offline, not checked`);
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
    const fix = "choose an editing model that is served, e.g. --editor Qwen/Qwen-Image-Edit (fal-ai, replicate, wavespeed) or black-forest-labs/FLUX.1-Kontext-dev; or deploy it on an Inference Endpoint and pass --editor-url";
    return fail(base, "service", `${model} is not served for image editing by any Inference Provider${unusable}`, fix, data);
  }
  const list = usable.map((entry) => `${entry.provider} (${entry.task}${entry.status === "staging" ? ", staging" : ""})`).join(", ");
  if (pinned !== undefined && !usable.some((entry) => entry.provider === pinned)) {
    return fail(base, "service", `${model} is not served for editing by ${pinned}; it is by ${list}`, `use --editor-provider auto or one of: ${usable.map((entry) => entry.provider).join(", ")}`, data);
  }
  const route = routeOrUndefined(model, pinned ?? "auto", entries);
  const how = pinned !== undefined ? `pinned to ${pinned}` : `auto picks ${route?.provider ?? "?"}`;
  const detail = `${model}: served for editing by ${list} (${how})`;
  const chosen = usable.find((entry) => entry.provider === route?.provider);
  if (chosen?.status === "staging") return warn(base, detail, "staging mappings may not answer yet; pin a live provider with --editor-provider", data);
  return ok(base, detail, { ...data, ...(route ? { route: route.provider, task: route.task } : {}) });
}

function routeOrUndefined(model: string, provider: string, entries: readonly MappingEntry[]) {
  try {
    return pickEditRoute(model, provider, entries);
  } catch {
    return undefined;
  }
}
