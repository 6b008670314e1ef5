// The HF token: where it came from (never what it is), which kind, and whether the Hub accepts it.
import { hostedModelsNeedingToken, missingTokenMessage, type Credentials, type Settings } from "../../config/settings.js";
import { httpGet, type Http } from "./http.js";
import { fail, HUB_URL, NEW_TOKEN_URL, ok, skip, TOKENS_URL, warn, type DoctorCheck } from "./types.js";

const INFERENCE_PERMISSION = "inference.serverless.write";

/** "HF_TOKEN", or "the login token file <path>" for the token `hf auth login` saved. */
function tokenSource(credentials: Credentials): string {
  const source = credentials.hfTokenSource ?? "HF_TOKEN";
  return /^[A-Z_]+$/.test(source) ? source : `the login token file ${source} (hf auth login)`;
}

/** Never shows the token, not even in part: only where it came from and which kind it is. */
export function checkToken(settings: Settings, credentials: Credentials): DoctorCheck {
  const base = { id: "token", label: "HF token" } as const;
  const token = credentials.hfToken;
  const hosted = hostedModelsNeedingToken(settings);
  if (token === undefined) {
    if (hosted.length === 0) return ok(base, `not set (not needed: ${settings.offline ? "--offline answers from the cache" : "both models are on custom URLs"})`, { set: false });
    const fix = `create a fine-grained token with "Make calls to Inference Providers" (${NEW_TOKEN_URL}) and \`export HF_TOKEN=hf_...\` or run \`hf auth login\`; or point both --mllm-url and --editor-url at your own servers`;
    return fail(base, "config", missingTokenMessage(hosted), fix, { set: false });
  }
  const source = tokenSource(credentials);
  if (hosted.length === 0) {
    const why = settings.offline ? "--offline answers from the cache" : "both models are on custom URLs, and it is never sent to them";
    return ok(base, `set in ${source}, not used (${why})`, { set: true, source, kind: token.startsWith("hf_") ? "hf" : "provider_key" });
  }
  if (token.startsWith("hf_")) return ok(base, `set in ${source}, a Hugging Face token: calls go through the router (huggingface.co)`, { set: true, source, kind: "hf" });
  return warn(
    base,
    `set in ${source}, but it does not start with hf_: treated as a provider key, sent straight to the provider and billed there; the Hub cannot check it`,
    `if you meant a Hugging Face token, use one starting with hf_ (${TOKENS_URL}); a provider key works only with a pinned --mllm-provider/--editor-provider of that provider`,
    { set: true, source, kind: "provider_key" },
  );
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
  if (token === undefined || !token.startsWith("hf_")) return skip(base, token === undefined ? "no HF token to check" : "a provider key cannot be checked on the Hub");
  if (hostedModelsNeedingToken(settings).length === 0) return skip(base, "not used with these settings");
  const answer = await httpGet(http, `${HUB_URL}/api/whoami-v2`, { Authorization: `Bearer ${token}` });
  if (answer.error !== undefined) {
    const fix = "check the network connection and any proxy (HTTPS_PROXY); the hosted models need https://huggingface.co and https://router.huggingface.co";
    return fail(base, "service", `could not reach huggingface.co to check the token: ${answer.error}`, fix);
  }
  if (answer.status === 401) {
    const fix = `create a new fine-grained token with "Make calls to Inference Providers" (${NEW_TOKEN_URL}) and export it as HF_TOKEN`;
    return fail(base, "config", "the Hub rejected the token (HTTP 401): it is invalid, expired or revoked", fix);
  }
  if (answer.status < 200 || answer.status >= 300) {
    return warn(base, `the Hub answered HTTP ${answer.status}; the token could not be checked`, "run `reasonedit doctor` again later; https://status.huggingface.co shows outages");
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
      const detail = `valid fine-grained token${named}${owner}, but without the "Make calls to Inference Providers" permission: hosted calls will be refused (HTTP 403)`;
      return fail(base, "config", detail, `edit the token at ${TOKENS_URL} and tick "Make calls to Inference Providers", or create one with it: ${NEW_TOKEN_URL}`, { ...data, inference: false });
    }
    return ok(base, `valid fine-grained token${named}${owner}, may call Inference Providers`, { ...data, inference: true });
  }
  const kind = role ? `${role} token` : "token";
  return ok(base, `valid ${kind}${named}${owner}`, data);
}
