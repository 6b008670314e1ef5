// Prompts and folders: do the templates load, and can the cache and run records be written?
import { randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { access, readdir, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { defaultCacheDir } from "../../cache/call-cache.js";
import { MARKER_FILE } from "../../cache/cache-entry.js";
import type { Settings } from "../../config/settings.js";
import { ReasonEditError } from "../../errors.js";
import { loadPromptSet, STEP_NAMES } from "../../reasoning/prompt-templates.js";
import { defaultRunsRoot } from "../../runs/run-folder.js";
import { firstLine } from "./http.js";
import { fail, ok, skip, warn, type DoctorCheck } from "./types.js";

export async function checkPrompts(dir: string | undefined): Promise<DoctorCheck> {
  const base = { id: "prompts", label: "prompts" } as const;
  try {
    const set = await loadPromptSet(dir);
    const custom = STEP_NAMES.filter((step) => !set[step].builtIn);
    if (dir === undefined) return ok(base, `built-in (${STEP_NAMES.length} templates)`, { custom: [] });
    const builtIn = STEP_NAMES.length - custom.length;
    return ok(base, `${dir}: ${custom.map((step) => `${step}.md`).join(", ")}${builtIn > 0 ? `; built-in for the other ${builtIn}` : ""}`, { dir, custom });
  } catch (error) {
    const known = ReasonEditError.is(error);
    const detail = known ? error.message : `cannot load the prompts: ${firstLine(error)}`;
    return fail(base, "config", detail, (known ? error.hint : undefined) ?? "check --prompts; see prompts/README.md", dir !== undefined ? { dir } : undefined);
  }
}

export async function checkCacheDir(settings: Settings, env: NodeJS.ProcessEnv): Promise<DoctorCheck> {
  const base = { id: "cache", label: "cache dir" } as const;
  const dir = path.resolve(settings.cacheDir ?? defaultCacheDir(env));
  if (!settings.cache && !settings.offline) return skip(base, "off (--no-cache)", { dir });
  const probe = await probeFolder(dir);
  if (settings.offline) {
    if (probe.state === "exists") return ok(base, `${dir} (--offline reads it)`, { dir });
    const state = probe.state === "unwritable" ? `is unusable: ${probe.reason}` : "does not exist";
    return fail(base, "config", `--offline answers only from the cache, and ${dir} ${state}`, "run once without --offline (with HF_TOKEN) to fill the cache, or point --cache-dir at a filled one", { dir });
  }
  if (probe.state === "unwritable") {
    return warn(base, `${dir} is not writable (${probe.reason}): edits work, but nothing is cached`, "choose another --cache-dir (or REASONEDIT_CACHE_DIR), or fix the folder's permissions", { dir });
  }
  if (probe.state === "exists" && !(await isOursOrEmpty(dir))) {
    return warn(base, `${dir} holds other files and no ${MARKER_FILE}: reasonedit will not cache there`, "point --cache-dir at a new or empty folder", { dir });
  }
  return ok(base, `${dir}${probe.state === "missing" ? " (created on first use)" : ""}`, { dir });
}

export async function checkRunDir(settings: Settings, env: NodeJS.ProcessEnv): Promise<DoctorCheck> {
  const base = { id: "runs", label: "run dir" } as const;
  const dir = path.resolve(settings.runDir ?? defaultRunsRoot(env));
  const probe = await probeFolder(dir);
  if (probe.state === "exists" || probe.state === "missing") return ok(base, `${dir}${probe.state === "missing" ? " (created on first use)" : ""}`, { dir });
  return fail(base, "config", `${dir} is not writable (${probe.reason}): every edit keeps a run record there`, "choose another --run-dir (or REASONEDIT_RUN_DIR), or fix the folder's permissions", { dir });
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
