// What an earlier run of the same batch left for an item, read from its run.json: trust it, or redo the item.
import { access } from "node:fs/promises";
import path from "node:path";
import { isUnfinished, seedOf } from "../runs/earlier-run.js";
import { readRunRecord } from "../runs/run-folder.js";
import { isFinished, type RunRecord } from "../runs/run-record.js";

export type ResumePolicy = "off" | "skip-finished" | "skip-finished-and-errors";

/** What the manifest asks of the item now; a record made for another request is not trusted. */
export interface ItemRequest {
  image: string;
  instruction: string;
}

/** The earlier record when the item must not run again; undefined when it must (re)run. */
export async function settledRecord(runDir: string, policy: ResumePolicy, request: ItemRequest): Promise<RunRecord | undefined> {
  if (policy === "off") return undefined;
  const record = await readRecordIfAny(runDir);
  if (!record || !madeFor(record, request)) return undefined;
  if (isFinished(record)) return (await outputExists(record)) ? record : undefined;
  // An interrupted or killed ("running") item is redone; an error is final unless --retry-errors.
  return record.status === "error" && policy === "skip-finished-and-errors" ? record : undefined;
}

/** The seed of an earlier attempt at this same request that did not finish: a redo with it replays what that attempt paid for. */
export async function seedToRedo(runDir: string, request: ItemRequest): Promise<number | undefined> {
  const record = await readRecordIfAny(runDir);
  return record && madeFor(record, request) && isUnfinished(record) ? seedOf(record) : undefined;
}

export function resumePolicy(resume: boolean, retryErrors: boolean): ResumePolicy {
  if (retryErrors) return "skip-finished";
  return resume ? "skip-finished-and-errors" : "off";
}

/** The manifest row may have changed since the earlier run: then its result answers another request. */
function madeFor(record: RunRecord, request: ItemRequest): boolean {
  const image = record.input.path ?? record.input.label;
  return record.instruction === request.instruction && (image === request.image || record.input.label === request.image);
}

async function readRecordIfAny(runDir: string): Promise<RunRecord | undefined> {
  try {
    return await readRunRecord(path.join(runDir, "run.json"));
  } catch {
    return undefined; // missing, or from something other than a finished write: not to be trusted
  }
}

async function outputExists(record: RunRecord): Promise<boolean> {
  if (!record.output || record.output === "-") return false;
  try {
    await access(record.output);
    return true;
  } catch {
    return false;
  }
}
