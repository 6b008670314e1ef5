// --dry-run: what a command would do — every setting and where it came from, the routes the model calls would take,
// inputs, outputs and (batch, eval) the rows — printed as a plan. Nothing is called, nothing is written.
import { existsSync } from "node:fs";
import path from "node:path";
import { SETTING_KEYS, type Credentials, type SettingOrigin, type Settings } from "../config/settings.js";
import { redactSecrets } from "../redact.js";
import type { CommandContext } from "./context.js";

export interface SettingLine {
  value: unknown;
  from: SettingOrigin["from"];
  /** The environment variable or config file, when that is where it came from. */
  source?: string;
}

export interface Route {
  model: string;
  /** "auto", a provider name, or the custom server's URL. */
  via: string;
  kind: "inference-providers" | "custom-server";
  /** The credential this route would send, and whether it is there. */
  credential: { name: string; set: boolean } | null;
}

export interface Plan {
  dry_run: true;
  command: string;
  settings: Record<string, SettingLine>;
  routes: Record<string, Route>;
  /** Problems a real run would stop at (e.g. no token); the plan is still printed. */
  problems: string[];
  [detail: string]: unknown;
}

export function basePlan(command: string, context: CommandContext, keys: readonly (keyof Settings)[] = SETTING_KEYS): Plan {
  const settings = Object.fromEntries(keys.map((key) => [key, settingLine(context.settings[key], context.origins[key])]));
  const routes = { mllm: modelRoute(context.settings.mllm, context.settings.mllmProvider, context.settings.mllmUrl, context.credentials, "REASONEDIT_MLLM_API_KEY") };
  return { dry_run: true, command, settings, routes: { ...routes, editor: editorRoute(context) }, problems: credentialProblems(routes.mllm, editorRoute(context)) };
}

function settingLine(value: unknown, origin: SettingOrigin): SettingLine {
  if (origin.from === "env") return { value: value ?? null, from: "env", source: origin.name };
  if (origin.from === "config") return { value: value ?? null, from: "config", source: origin.path };
  return { value: value ?? null, from: origin.from };
}

function editorRoute(context: CommandContext): Route {
  return modelRoute(context.settings.editor, context.settings.editorProvider, context.settings.editorUrl, context.credentials, "REASONEDIT_EDITOR_API_KEY");
}

export function modelRoute(model: string, provider: string, url: string | undefined, credentials: Credentials, keyName: string, apiKey?: string): Route {
  if (url) return { model, via: url, kind: "custom-server", credential: { name: keyName, set: !!(apiKey ?? (keyName === "REASONEDIT_MLLM_API_KEY" ? credentials.mllmApiKey : credentials.editorApiKey)) } };
  return { model, via: provider, kind: "inference-providers", credential: { name: "HF_TOKEN", set: !!credentials.hfToken } };
}

export function credentialProblems(...routes: Route[]): string[] {
  const missing = routes.filter((route) => route.kind === "inference-providers" && !route.credential?.set);
  return missing.length > 0 ? [`HF_TOKEN is not set, and ${missing.map((route) => route.model).join(" and ")} run on Inference Providers: a real run would stop with exit 2`] : [];
}

/** Where an input would be read from, without reading it. */
export function describeInput(spec: string, cwd: string): { spec: string; kind: "file" | "url" | "stdin"; path?: string; exists?: boolean } {
  if (spec === "-") return { spec, kind: "stdin" };
  if (/^https?:\/\//i.test(spec)) return { spec, kind: "url" };
  const resolved = path.resolve(cwd, spec);
  return { spec, kind: "file", path: resolved, exists: existsSync(resolved) };
}

/** Prints the plan: one JSON object on stdout with --json, else aligned lines on stdout. */
export function printPlan(plan: Plan, context: CommandContext): void {
  const text = context.settings.json ? `${JSON.stringify(plan)}\n` : `${planLines(plan).join("\n")}\n`;
  context.io.stdout.write(redactSecrets(text, context.secrets));
}

function planLines(plan: Plan): string[] {
  const { dry_run: _d, command, settings, routes, problems, ...details } = plan;
  const width = Math.max(...Object.keys(settings).map((key) => key.length));
  return [
    `dry run of reasonedit ${command}: nothing is called, nothing is written`,
    ...Object.entries(details).flatMap(([key, value]) => detailLines(key, value)),
    "routes:",
    ...Object.entries(routes).map(([role, route]) => `  ${role.padEnd(7)} ${routeText(route)}`),
    "settings:",
    ...Object.entries(settings).map(([key, line]) => `  ${key.padEnd(width)}  ${JSON.stringify(line.value)}  (${originText(line)})`),
    ...problems.map((problem) => `problem: ${problem}`),
  ];
}

function detailLines(key: string, value: unknown): string[] {
  if (Array.isArray(value)) return [`${key}: ${value.length}`, ...value.map((entry) => `  ${typeof entry === "string" ? entry : JSON.stringify(entry)}`)];
  return [`${key}: ${typeof value === "string" ? value : JSON.stringify(value)}`];
}

function routeText(route: Route): string {
  const where = route.kind === "custom-server" ? `custom server ${route.via}` : `Inference Providers, provider ${route.via}${route.via === "auto" ? " (the Hub mapping picks)" : ""}`;
  const credential = route.credential ? `, ${route.credential.name} ${route.credential.set ? "set" : "not set"}` : "";
  return `${route.model} via ${where}${credential}`;
}

function originText(line: SettingLine): string {
  switch (line.from) {
    case "flag":
      return "flag";
    case "env":
      return `env ${line.source}`;
    case "config":
      return `config ${line.source}`;
    default:
      return "default";
  }
}

const KEPT_EXTENSIONS = new Set([".png", ".jpg", ".jpeg", ".webp", ".avif", ".tif", ".tiff"]);

/** Where edit would write, by the same rules as a real run, but from names alone (nothing is decoded). */
export function plannedOutput(spec: string, output: string | undefined, cwd: string): string {
  if (output === "-") return "stdout";
  const defaultName = (() => {
    if (spec === "-" || /^https?:\/\//i.test(spec)) return path.join(cwd, `${spec === "-" ? "stdin" : "image"}.edited.png`);
    const { dir, name, ext } = path.parse(path.resolve(cwd, spec));
    return path.join(dir, `${name}.edited${KEPT_EXTENSIONS.has(ext.toLowerCase()) ? ext : ".png"}`);
  })();
  if (output === undefined) return defaultName;
  const target = path.resolve(cwd, output);
  return /[\\/]$/.test(output) ? path.join(target, path.basename(defaultName)) : target;
}

/** `<out-dir>/<id><the image's extension>`, as batch names a result that names no output. */
export function plannedBatchOutput(outDir: string, id: string, image: string, output: string | undefined): string {
  if (output !== undefined) return path.resolve(outDir, output);
  const ext = path.extname(image.split(/[?#]/)[0] ?? "").toLowerCase();
  return path.join(outDir, `${id}${KEPT_EXTENSIONS.has(ext) ? ext : ".png"}`);
}
