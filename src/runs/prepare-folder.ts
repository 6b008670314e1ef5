// Checks, before the first paid call, that a folder results or records go to exists (or may be created) and
// takes a file: finding a read-only or missing folder after paying for an edit loses the edit.
import { randomBytes } from "node:crypto";
import { mkdir, open, rm, stat } from "node:fs/promises";
import { dirname, join, parse, resolve, sep } from "node:path";
import { ReasonEditError } from "../errors.js";
import { environmentError, errnoOf } from "./fs-errors.js";

export interface FolderPurpose {
  /** What the folder is for, in the user's words: "the output folder (-o)", "--out-dir". */
  role: string;
  /** Create it when missing (with its missing parents, never a new top-level folder). */
  create: boolean;
  /** How to ask for creation, named in the error when `create` is false. */
  createHint?: string;
}

/** Kernel interfaces, not places for files: writing there fails oddly or, worse, does something. */
const VIRTUAL_ROOTS = ["/proc", "/sys", "/dev"];

/** Makes sure `folder` exists (creating it when allowed) and a file can be created in it; throws the error to show otherwise. */
export async function prepareFolder(folder: string, purpose: FolderPurpose): Promise<string> {
  const dir = resolve(folder);
  refuseVirtual(dir, purpose);
  const existing = await nearestExisting(dir);
  if (existing !== dir) await createFolder(dir, existing, purpose);
  else await assertFolder(dir, purpose);
  await probeWrite(dir, purpose);
  return dir;
}

function refuseVirtual(dir: string, purpose: FolderPurpose): void {
  const root = VIRTUAL_ROOTS.find((virtual) => dir === virtual || dir.startsWith(`${virtual}${sep}`));
  if (!root) return;
  throw new ReasonEditError("usage", `${purpose.role} ${dir} is under ${root}, which holds kernel interfaces, not files`, {
    hint: "choose a folder on a real disk",
  });
}

async function nearestExisting(dir: string): Promise<string> {
  let current = dir;
  for (;;) {
    try {
      await stat(current);
      return current;
    } catch (error) {
      if (errnoOf(error) !== "ENOENT" && errnoOf(error) !== "ENOTDIR") throw environmentError(error, current, "read") ?? error;
      const parent = dirname(current);
      if (parent === current) return current;
      current = parent;
    }
  }
}

async function createFolder(dir: string, existing: string, purpose: FolderPurpose): Promise<void> {
  if (!purpose.create) {
    throw new ReasonEditError("output_missing", `${purpose.role} ${dir} does not exist`, {
      hint: purpose.createHint ?? "create it first, or check the path for a typo",
    });
  }
  await assertFolder(existing, purpose);
  if (existing === parse(dir).root) {
    throw new ReasonEditError("output_missing", `${purpose.role} ${dir} would be a new top-level folder`, {
      hint: `create ${dir.split(sep).slice(0, 2).join(sep)} yourself if you mean it, or check the path for a typo`,
    });
  }
  try {
    await mkdir(dir, { recursive: true });
  } catch (error) {
    // A recursive mkdir on a read-only mount says ENOENT; creating the first missing folder alone tells the truth.
    const first = await mkdir(firstMissing(dir, existing)).then(() => error, (direct: unknown) => direct);
    throw environmentError(first, dir, `create ${purpose.role}`, existing) ?? environmentError(error, dir, `create ${purpose.role}`, existing) ?? error;
  }
}

function firstMissing(dir: string, existing: string): string {
  let current = dir;
  while (dirname(current) !== existing && dirname(current) !== current) current = dirname(current);
  return current;
}

async function assertFolder(path: string, purpose: FolderPurpose): Promise<void> {
  if ((await stat(path)).isDirectory()) return;
  throw new ReasonEditError("usage", `${purpose.role} ${path} is a file, not a folder`, { hint: "choose a folder, or remove the file in the way" });
}

/** root ignores permission bits, so only a real create tells whether the folder takes files (a read-only mount, chattr +i). */
async function probeWrite(dir: string, purpose: FolderPurpose): Promise<void> {
  const probe = join(dir, `.reasonedit-probe-${randomBytes(6).toString("hex")}`);
  try {
    const handle = await open(probe, "wx");
    await handle.close();
  } catch (error) {
    const environment = environmentError(error, dir, `write into ${purpose.role}`, dir);
    throw environment ?? error;
  } finally {
    await rm(probe, { force: true }).catch(() => undefined);
  }
}
