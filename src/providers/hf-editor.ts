// Editor over @huggingface/inference image-to-image: Inference Providers (fal-ai, replicate, …) or an
// HF-Inference-protocol URL (JSON {inputs: base64, parameters} in, image bytes out).
import { InferenceClient, type InferenceProviderOrPolicy } from "@huggingface/inference";
import { ReasonEditError } from "../errors.js";
import type { EditOutcome, EditRequest, Editor, Picture } from "../loop/types.js";
import { callProvider, callSettingsFor, type CallScope, type ProviderCallSettings } from "./provider-call.js";
import { fetchProviderMapping, pickEditRoute, type EditRoute } from "./hub-mapping.js";
import type { HostedModelOptions } from "./hosted-model-options.js";
import { routeId } from "./route.js";

/** `provider` "auto" takes the first provider on the Hub mapping that can edit; `url` is an HF-Inference-protocol endpoint. */
export interface EditorOptions extends HostedModelOptions {
  steps?: number;
  guidance?: number;
  /** Turns the provider's bytes into a Picture of the target size (validating that they are an image). */
  decode: (bytes: Uint8Array, target: { width: number; height: number }) => Promise<Picture>;
}

export interface HostedEditor extends Editor {
  /** `<model>@<provider or url>`; never contains a token. */
  readonly id: string;
}

type Size = { width: number; height: number };

export function createEditor(options: EditorOptions): HostedEditor {
  const custom = options.url !== undefined;
  const client = new InferenceClient(custom ? options.apiKey : options.hfToken, { retry_on_error: false });
  const settings = callSettings(options);
  let route: EditRoute | undefined; // the Hub mapping, read once per editor

  const resolveRoute = async (scope: CallScope): Promise<EditRoute> => {
    if (route) return route;
    const entries = await fetchProviderMapping(options.model, { fetch: scope.fetch, hfToken: options.hfToken, signal: scope.signal });
    route = pickEditRoute(options.model, options.provider, entries);
    options.logger.debug({ model: options.model, ...route }, "editor route from the Hub mapping");
    if (options.provider === "auto" && route.status !== "live") {
      options.logger.warn(
        { model: options.model, provider: route.provider, status: route.status },
        `no live provider edits ${options.model}; using ${route.provider}, whose mapping is "${route.status}" on the Hub (it may fail)`,
      );
    }
    return route;
  };

  const editOnce = async (request: EditRequest, scope: CallScope): Promise<Blob> => {
    // A Blob with a type: a Node Buffer crashes the library, and fal labels a typeless Blob "data:;base64".
    const inputs = new Blob([new Uint8Array(request.image.bytes)], { type: request.image.mimeType });
    const callOptions = { signal: scope.signal, fetch: scope.fetch, retry_on_error: false };
    if (custom) {
      const parameters = editParameters(options, request, "hf-inference");
      return client.imageToImage({ model: options.model, endpointUrl: options.url, inputs, parameters }, callOptions);
    }
    const { provider, task } = await resolveRoute(scope);
    scope.nameProvider(provider);
    const args = { model: options.model, provider: provider as InferenceProviderOrPolicy, inputs, parameters: editParameters(options, request, provider) };
    const hosted = { ...callOptions, billTo: options.billTo };
    return task === "image-text-to-image" ? client.imageTextToImage(args, hosted) : client.imageToImage(args, hosted);
  };

  return {
    id: routeId(options.model, options.provider, options.url),
    async edit(request, signal) {
      const started = performance.now();
      const target = { width: request.image.width, height: request.image.height };
      const blob = await callProvider(settings, signal, (scope) => editOnce(request, scope));
      const image = await decodeOrFail(options, new Uint8Array(await blob.arrayBuffer()), target, settings.context.provider);
      return { image, ms: Math.round(performance.now() - started) } satisfies EditOutcome;
    },
  };
}

/** Queue providers bill a job once its submit is accepted, so a later failure is not resubmitted. */
function callSettings(options: EditorOptions): ProviderCallSettings {
  return { ...callSettingsFor(options, "editor"), finalOnceAccepted: options.url === undefined, maxBodyBytes: MAX_EDITOR_ANSWER_BYTES };
}

/** An edited image of ~1 MP is a few MB; even a 16k×16k PNG stays under this. */
export const MAX_EDITOR_ANSWER_BYTES = 256 * 1024 * 1024;

/** The library spreads parameters into the provider body verbatim, so the size goes in each provider's own key. */
export function editParameters(options: Pick<EditorOptions, "steps" | "guidance">, request: EditRequest, provider: string): Record<string, unknown> {
  const size = { width: request.image.width, height: request.image.height };
  return {
    prompt: request.instruction,
    seed: request.seed,
    ...(options.steps !== undefined ? { num_inference_steps: options.steps } : {}),
    ...(options.guidance !== undefined ? { guidance_scale: options.guidance } : {}),
    ...sizeParameters(provider, size),
  };
}

export function sizeParameters(provider: string, size: Size): Record<string, unknown> {
  if (provider === "fal-ai") return { image_size: { ...size } };
  if (provider === "hf-inference") return { target_size: { ...size } };
  return { width: size.width, height: size.height };
}

async function decodeOrFail(options: EditorOptions, bytes: Uint8Array, target: Size, provider: string): Promise<Picture> {
  try {
    return await options.decode(bytes, target);
  } catch (error) {
    if (ReasonEditError.is(error) && error.code === "provider_output") throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw new ReasonEditError("provider_output", `${provider} did not return a readable image (${bytes.byteLength} bytes): ${reason}`, {
      cause: error,
      provider,
      hint: "The endpoint may not be an image-to-image model, or it answered with an error page.",
    });
  }
}
