// What `reasonedit runs list|prune` do: list the past runs under the runs folder, newest first, or delete old ones.
import type { Command } from "commander";
import { parseDuration } from "../../config/quantities.js";
import { EXIT, ReasonEditError } from "../../errors.js";
import { defaultRunsRoot } from "../../runs/run-folder.js";
import { listRuns, pruneRuns } from "../../runs/run-index.js";
import { buildContext, type CliIo, type CommandContext } from "../context.js";
import { formatBytes, plural } from "../render.js";

export async function runsListAction(cmd: Command, io: CliIo): Promise<number> {
  const context = buildContext(cmd, io);
  const root = runsRoot(context);
  const limit = limitOf(cmd.opts<{ limit?: string }>().limit);
  const listed = (await listRuns(root)).slice(0, limit);
  if (context.settings.json) {
    for (const run of listed) io.stdout.write(`${JSON.stringify({ id: run.id, created: run.created, status: run.status, input: run.input, instruction: run.instruction, dir: run.dir, run_record: run.recordPath })}\n`);
  } else if (listed.length === 0) context.say(`no runs under ${root}`);
  else for (const run of listed) io.stdout.write(`${runLine(run)}\n`);
  return EXIT.ok;
}

export async function runsPruneAction(cmd: Command, io: CliIo): Promise<number> {
  const context = buildContext(cmd, io);
  const root = runsRoot(context);
  const cutoff = new Date(Date.now() - parseDuration(cmd.opts<{ olderThan: string }>().olderThan, "--older-than"));
  const freed = await pruneRuns(root, cutoff);
  if (context.settings.json) io.stdout.write(`${JSON.stringify({ dir: root, removed: freed })}\n`);
  else io.stdout.write(`removed ${plural(freed.runs, "run")} (${formatBytes(freed.bytes)} freed) from ${root}\n`);
  return EXIT.ok;
}

function runsRoot(context: CommandContext): string {
  return context.settings.runDir ?? defaultRunsRoot(context.io.env);
}

function limitOf(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const limit = Number(value);
  if (Number.isInteger(limit) && limit > 0) return limit;
  throw new ReasonEditError("usage", `invalid --limit ${JSON.stringify(value)}: must be a whole number above 0`, { hint: "e.g. reasonedit runs list -n 20" });
}

function runLine(run: { created: string; status: string; input: string; instruction: string; dir: string }): string {
  const time = run.created.replace("T", " ").replace(/\.\d+Z$/, "Z");
  const instruction = run.instruction.length > 48 ? `${run.instruction.slice(0, 47)}…` : run.instruction;
  return [time, run.status.padEnd(12), run.input, `"${instruction}"`, run.dir].join("  ");
}
