// Filesystem failures that are the environment's, not a bug: a full disk, a read-only mount, a folder the user
// may not write. They become one `environment` error (exit 5) that names the path and what to free or fix.
import { dirname } from "node:path";
import { ReasonEditError } from "../errors.js";

const REASONS: Record<string, { what: string; fix: (folder: string) => string }> = {
  ENOSPC: { what: "the disk is full", fix: (folder) => `free some space on the disk holding ${folder} (df -h ${folder} shows how full it is), or write somewhere else` },
  EDQUOT: { what: "the disk quota is used up", fix: (folder) => `free some of your quota on the disk holding ${folder}, or write somewhere else` },
  EROFS: { what: "the file system is read-only", fix: (folder) => `${folder} is on a read-only mount: choose a writable folder` },
  EACCES: { what: "permission denied", fix: (folder) => `allow writing to ${folder} (check its owner and mode), or choose another folder` },
  EPERM: { what: "operation not permitted", fix: (folder) => `allow writing to ${folder} (check its owner, mode and attributes), or choose another folder` },
};

export function errnoOf(error: unknown): string | undefined {
  return typeof error === "object" && error !== null && "code" in error && typeof error.code === "string" ? error.code : undefined;
}

/** The environment error for a failed write of `path`, or undefined when the failure is of another kind. */
export function environmentError(error: unknown, path: string, doing = "write", folder = dirname(path)): ReasonEditError | undefined {
  const code = errnoOf(error);
  const reason = code === undefined ? undefined : REASONS[code];
  if (!reason) return undefined;
  return new ReasonEditError("environment", `cannot ${doing} ${path}: ${reason.what} (${code})`, { hint: reason.fix(folder), cause: error });
}

/** Runs a write, turning an environment failure into the error that says what to free or fix. */
export async function mapEnvironmentErrors<T>(path: string, doing: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    throw environmentError(error, path, doing) ?? error;
  }
}

/** A full disk (or quota) fails every later write too, so a batch stops starting items when it sees one. */
export function isDiskFull(error: unknown): boolean {
  if (!ReasonEditError.is(error) || error.code !== "environment") return false;
  const code = errnoOf(error.cause);
  return code === "ENOSPC" || code === "EDQUOT";
}
