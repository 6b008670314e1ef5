// What every doctor check returns, and the addresses the checks point users at.
import type { Credentials, Settings } from "../../config/settings.js";

export type CheckId = "node" | "sharp" | "token" | "token_valid" | "proxy" | "mllm" | "editor" | "prompts" | "cache" | "runs";
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

/** Which check a result is for. */
export type CheckBase = Pick<DoctorCheck, "id" | "label">;
type CheckData = Record<string, unknown> | undefined;

/** The four kinds of result, so each check reads as a list of cases. */
export function ok(base: CheckBase, detail: string, data?: CheckData): DoctorCheck {
  return withData({ ...base, status: "ok", detail }, data);
}

export function warn(base: CheckBase, detail: string, fix: string, data?: CheckData): DoctorCheck {
  return withData({ ...base, status: "warn", detail, fix }, data);
}

export function fail(base: CheckBase, kind: ProblemKind, detail: string, fix: string, data?: CheckData): DoctorCheck {
  return withData({ ...base, status: "fail", kind, detail, fix }, data);
}

export function skip(base: CheckBase, detail: string, data?: CheckData): DoctorCheck {
  return withData({ ...base, status: "skip", detail }, data);
}

/** A check without data has no `data` key at all (not `data: undefined`), as --json shows it. */
function withData(check: DoctorCheck, data: CheckData): DoctorCheck {
  if (data !== undefined) check.data = data;
  return check;
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


export const HUB_URL = "https://huggingface.co";
export const TOKENS_URL = "https://huggingface.co/settings/tokens";
export const NEW_TOKEN_URL = "https://huggingface.co/settings/tokens/new?ownUserPermissions=inference.serverless.write&tokenType=fineGrained";
