// One process at a time per folder: a lock file that names its holder, taken over when that holder has died.
// Two batches on one --out-dir would bill every item twice and trip over each other's run folders.
import { randomBytes } from "node:crypto";
import { open, readFile, rm, stat } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { ReasonEditError } from "../errors.js";
import { environmentError, errnoOf } from "./fs-errors.js";

export const LOCK_FILE = ".reasonedit.lock";

/** What the lock needs to know about processes; the CLI supplies it (process.* lives there). */
export interface ProcessProbe {
  pid: number;
  /** Whether a process with this id exists on this machine. */
  isAlive: (pid: number) => boolean;
}

export interface LockOptions {
  probe: ProcessProbe;
  /** Named in the refusal: what the folder is, e.g. "--out-dir". */
  role: string;
  /** Wait for the holder to finish (polling) instead of refusing; aborting the signal gives up. */
  wait?: { signal?: AbortSignal; pollMs?: number };
  /** What the holder is doing, recorded for whoever finds the lock. */
  command?: string;
  /** Whether the command takes --wait, so the refusal can offer it. */
  canWait?: boolean;
}

const HolderSchema = z.object({ pid: z.number().int(), host: z.string(), started: z.string(), token: z.string(), command: z.string().optional() });
type Holder = z.infer<typeof HolderSchema>;

/** A takeover that has not finished within this long was abandoned by a process that died in it. */
const TAKEOVER_STALE_MS = 10_000;
/** A lock file that stays unreadable this long was left half-written by a process that died writing it. */
const UNREADABLE_STALE_MS = 5_000;

export interface FolderLock {
  readonly path: string;
  release(): Promise<void>;
}

export async function lockFolder(dir: string, options: LockOptions): Promise<FolderLock> {
  const path = join(dir, LOCK_FILE);
  const holder: Holder = {
    pid: options.probe.pid,
    host: hostname(),
    started: new Date().toISOString(),
    token: randomBytes(8).toString("hex"),
    ...(options.command ? { command: options.command } : {}),
  };
  for (;;) {
    if (await tryCreate(path, holder)) return { path, release: () => releaseLock(path, holder.token) };
    const current = await readHolder(path);
    if (current === "gone") continue;
    if (current === "unreadable" ? await isOlderThan(path, UNREADABLE_STALE_MS) : isDead(current, options.probe)) {
      await takeOver(path, current);
      continue;
    }
    if (!options.wait) throw lockedError(dir, path, current, options);
    await pause(options.wait.pollMs ?? 500, options.wait.signal).catch(() => {
      throw new ReasonEditError("interrupted", `stopped waiting for ${options.role} ${dir}`);
    });
  }
}

async function tryCreate(path: string, holder: Holder): Promise<boolean> {
  try {
    const handle = await open(path, "wx");
    try {
      await handle.writeFile(`${JSON.stringify(holder)}\n`);
    } finally {
      await handle.close();
    }
    return true;
  } catch (error) {
    if (errnoOf(error) === "EEXIST") return false;
    throw environmentError(error, path, "create the lock file") ?? error;
  }
}

async function readHolder(path: string): Promise<Holder | "gone" | "unreadable"> {
  try {
    const parsed = HolderSchema.safeParse(JSON.parse(await readFile(path, "utf8")));
    return parsed.success ? parsed.data : "unreadable";
  } catch (error) {
    return errnoOf(error) === "ENOENT" ? "gone" : "unreadable";
  }
}

/** A holder on another machine (a shared disk) cannot be checked, so it counts as alive. */
function isDead(holder: Holder, probe: ProcessProbe): boolean {
  return holder.host === hostname() && holder.pid !== probe.pid && !probe.isAlive(holder.pid);
}

/**
 * Removes a dead holder's lock. Of several processes finding it at once, only the one that creates the takeover
 * file removes it, and only after checking it is still the dead holder's: never a lock another process just took.
 */
async function takeOver(path: string, dead: Holder | "unreadable"): Promise<void> {
  const takeover = `${path}.takeover`;
  const mine = await open(takeover, "wx").then((handle) => handle.close().then(() => true), () => false);
  if (!mine) {
    if (await isOlderThan(takeover, TAKEOVER_STALE_MS)) await rm(takeover, { force: true });
    else await pause(25);
    return;
  }
  try {
    const current = await readHolder(path);
    const same = current === "unreadable" ? dead === "unreadable" : current !== "gone" && dead !== "unreadable" && current.token === dead.token;
    if (same) await rm(path, { force: true });
  } finally {
    await rm(takeover, { force: true });
  }
}

async function releaseLock(path: string, token: string): Promise<void> {
  const current = await readHolder(path);
  if (typeof current === "object" && current.token === token) await rm(path, { force: true });
}

async function isOlderThan(path: string, ms: number): Promise<boolean> {
  try {
    return Date.now() - (await stat(path)).mtimeMs > ms;
  } catch {
    return false;
  }
}

function lockedError(dir: string, path: string, holder: Holder | "unreadable", options: LockOptions): ReasonEditError {
  const doing = holder !== "unreadable" && holder.command ? `, running ${holder.command}` : "";
  const who = holder === "unreadable" ? "another reasonedit run" : `another reasonedit run (pid ${holder.pid} on ${holder.host}, since ${holder.started}${doing})`;
  const wait = options.canWait === false ? "wait for it to finish, or choose another folder" : "wait for it to finish, or pass --wait to start when it does";
  return new ReasonEditError("locked", `${options.role} ${dir} is in use by ${who}`, {
    hint: `${wait}; if no such run exists any more, delete ${path}`,
  });
}

function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
