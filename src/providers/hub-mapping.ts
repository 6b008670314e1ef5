// Reads a model's Inference Providers mapping from the Hub to pick the provider and task for an edit,
// so "auto" skips providers that cannot edit and image-text-to-image models reach the right task.
import { InferenceClientHubApiError, PROVIDERS } from "@huggingface/inference";
import { ReasonEditError } from "../errors.js";

export type EditTask = "image-to-image" | "image-text-to-image";

export interface MappingEntry {
  provider: string;
  providerId: string;
  task: string;
  status?: string;
}

export interface EditRoute {
  provider: string;
  providerId: string;
  task: EditTask;
  /** The Hub's health status of the mapping: "live", or "staging"/"error" when nothing live could edit. */
  status: string;
}

export interface MappingRequest {
  fetch: typeof fetch;
  hfToken?: string;
  signal?: AbortSignal;
}

const HUB_URL = "https://huggingface.co";
const EDIT_TASKS: readonly EditTask[] = ["image-to-image", "image-text-to-image"];

export async function fetchProviderMapping(model: string, request: MappingRequest): Promise<MappingEntry[]> {
  const url = `${HUB_URL}/api/models/${model}?expand[]=inferenceProviderMapping`;
  // Like the library: only an HF token goes to the Hub, never a provider key.
  const headers: Record<string, string> = request.hfToken?.startsWith("hf_") ? { Authorization: `Bearer ${request.hfToken}` } : {};
  const response = await request.fetch(url, { headers, signal: request.signal });
  const body = await readBody(response);
  if (!response.ok || !hasMapping(body)) {
    throw new InferenceClientHubApiError(
      `Failed to fetch inference provider mapping for model ${model}`,
      { url, method: "GET" },
      { requestId: response.headers.get("x-request-id") ?? "", status: response.status, body: body as ConstructorParameters<typeof InferenceClientHubApiError>[2]["body"] },
    );
  }
  return normalizeMapping(body.inferenceProviderMapping);
}

/** The provider and task to edit with: the named provider's entry, or for "auto" the first entry that can edit. */
export function pickEditRoute(model: string, provider: string, entries: readonly MappingEntry[]): EditRoute {
  if (provider === "auto") {
    // "error" means the Hub's last health check of that provider failed: only "live" is live.
    const usable = entries.filter(canEdit);
    const route = usable.find(isLive) ?? usable.find((entry) => entry.status === "staging") ?? usable[0];
    if (route) return toRoute(route);
    throw unserved(model, "any provider for image editing", entries);
  }
  const entry = entries.find((candidate) => candidate.provider === provider);
  if (entry && canEdit(entry)) return toRoute(entry);
  throw unserved(model, provider, entries, entry);
}

function canEdit(entry: MappingEntry): boolean {
  const tasks = (PROVIDERS as Record<string, Record<string, unknown> | undefined>)[entry.provider];
  return EDIT_TASKS.includes(entry.task as EditTask) && tasks?.[entry.task] !== undefined;
}

function isLive(entry: MappingEntry): boolean {
  return entry.status === undefined || entry.status === "live";
}

function toRoute(entry: MappingEntry): EditRoute {
  return { provider: entry.provider, providerId: entry.providerId, task: entry.task as EditTask, status: entry.status ?? "live" };
}

function unserved(model: string, provider: string, entries: readonly MappingEntry[], entry?: MappingEntry): ReasonEditError {
  const offered = entries.filter(canEdit).map((candidate) => candidate.provider);
  const why = entry ? ` (it is mapped there for ${entry.task}, which this client cannot use for editing)` : "";
  const alternatives = offered.length > 0 ? `; providers that can edit it: ${offered.join(", ")}` : "";
  return new ReasonEditError("model_unserved", `${model} is not served by ${provider}${why}${alternatives}`, {
    provider,
    hint: offered.length > 0 ? "Try --editor-provider auto or one of the providers listed." : "Try --editor-provider auto or another model.",
  });
}

function hasMapping(body: unknown): body is { inferenceProviderMapping: unknown } {
  return typeof body === "object" && body !== null && !!(body as { inferenceProviderMapping?: unknown }).inferenceProviderMapping;
}

/** The Hub answers either an array of entries or an object keyed by provider. */
function normalizeMapping(raw: unknown): MappingEntry[] {
  const rows = Array.isArray(raw)
    ? raw
    : Object.entries(raw as Record<string, object>).map(([provider, entry]) => ({ provider, ...entry }));
  return rows.filter(isEntry);
}

function isEntry(row: unknown): row is MappingEntry {
  const entry = row as Partial<MappingEntry>;
  return typeof entry?.provider === "string" && typeof entry.providerId === "string" && typeof entry.task === "string";
}

async function readBody(response: Response): Promise<unknown> {
  const text = await response.text();
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
