// Custom servers: is the OpenAI-compatible MLLM server or the HF-Inference editor endpoint there, and does it take the key?
import { displayUrl } from "../../providers/route.js";
import { httpGet, type Http } from "./http.js";
import { fail, ok, warn, type CheckBase, type DoctorCheck } from "./types.js";

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
    return unreachable(base, shown, answer.error, "start the server, or correct --mllm-url (an OpenAI-compatible base URL such as http://127.0.0.1:8000/v1)", data);
  }
  if (answer.status === 401 || answer.status === 403) return refusedKey(base, shown, answer.status, apiKey, "REASONEDIT_MLLM_API_KEY", data);
  if (answer.status < 200 || answer.status >= 300) {
    const fix = "make sure --mllm-url is an OpenAI-compatible server (it should answer GET /v1/models and POST /v1/chat/completions)";
    return warn(base, `${shown} is reachable, but ${displayUrl(listUrl)} answered HTTP ${answer.status}`, fix, data);
  }
  const ids = listedModels(answer.body);
  if (ids.length > 0 && !ids.includes(model)) {
    const served = `${ids.slice(0, 5).join(", ")}${ids.length > 5 ? ", …" : ""}`;
    return warn(base, `${shown} is reachable and serves ${served}, not ${model}`, `pass the server's model name: --mllm ${ids[0]}`, { ...data, served: ids });
  }
  return ok(base, `${shown} is reachable${ids.length > 0 ? ` and serves ${model}` : ""}`, { ...data, served: ids });
}

/** The HF-Inference protocol has no listing route: any HTTP answer at the URL means a server is there. */
export async function checkEditorUrl(url: string, apiKey: string | undefined, http: Http): Promise<DoctorCheck> {
  const base = { id: "editor", label: "editor server" } as const;
  const shown = displayUrl(url);
  const answer = await httpGet(http, url, apiKey ? { Authorization: `Bearer ${apiKey}` } : {});
  const data = { url: shown };
  if (answer.error !== undefined) {
    return unreachable(base, shown, answer.error, "start the endpoint (a paused Inference Endpoint must be resumed), or correct --editor-url", data);
  }
  if (answer.status === 401 || answer.status === 403) return refusedKey(base, shown, answer.status, apiKey, "REASONEDIT_EDITOR_API_KEY", data);
  return ok(base, `${shown} is reachable (HTTP ${answer.status} to a GET)`, data);
}

function refusedKey(base: CheckBase, shown: string, status: number, apiKey: string | undefined, variable: string, data: Record<string, unknown>): DoctorCheck {
  if (apiKey) return fail(base, "config", `${shown} rejected the key in ${variable} (HTTP ${status})`, `check ${variable}; the HF token is never sent to a custom URL`, data);
  return fail(base, "config", `${shown} wants a key (HTTP ${status})`, `export ${variable}=<the server's key> (sent as a Bearer token to this URL only)`, data);
}

function listedModels(body: unknown): string[] {
  const rows = (body as { data?: unknown } | null)?.data;
  if (!Array.isArray(rows)) return [];
  return rows.map((row: unknown) => (row as { id?: unknown })?.id).filter((id): id is string => typeof id === "string");
}

/** A custom server that did not answer at all: a failure of the service, with what to start or correct. */
function unreachable(base: CheckBase, shown: string, error: string, fix: string, data: Record<string, unknown>): DoctorCheck {
  return fail(base, "service", `cannot reach ${shown}: ${error}`, fix, data);
}
