// `reasonedit doctor`: checks what an edit needs — Node, sharp, the token, the proxy, the models' providers, custom
// servers, prompts and folders — each as a structured result with a fix, so the command only renders them.
// Nothing here imports sharp statically: a broken sharp install must show up as a failed check, not a crash.
import { checkEditorServed, checkMllmServed } from "./hosted-model-checks.js";
import { checkEditorUrl, checkMllmUrl } from "./custom-server-checks.js";
import { checkCacheDir, checkPrompts, checkRunDir } from "./folder-checks.js";
import type { Http } from "./http.js";
import { checkNode, checkSharp } from "./program-checks.js";
import { checkProxy } from "./proxy-check.js";
import { checkToken, checkTokenValid } from "./token-checks.js";
import type { DoctorCheck, DoctorOptions, DoctorReport } from "./types.js";

export type { CheckId, CheckStatus, DoctorCheck, DoctorOptions, DoctorReport, ProblemKind } from "./types.js";

const MAX_CHECK_MS = 10_000;

export async function runDoctor(options: DoctorOptions): Promise<DoctorReport> {
  const { settings, credentials, env } = options;
  const http: Http = {
    fetch: options.fetch ?? ((input, init) => globalThis.fetch(input, init)),
    timeoutMs: options.timeoutMs ?? Math.min(settings.timeout * 1000, MAX_CHECK_MS),
  };
  const checks = await Promise.all([
    checkNode(options.nodeVersion ?? process.versions.node),
    checkSharp(),
    checkToken(settings, credentials),
    checkTokenValid(settings, credentials, http),
    checkProxy(env),
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
