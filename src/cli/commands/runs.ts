// `reasonedit runs list|prune`: the past runs under the runs folder, newest first, and deleting old ones.
import { Command } from "commander";
import { EXIT, ReasonEditError } from "../../errors.js";
import { buildContext, type CliIo, type CommandContext } from "../context.js";
import { formatBytes, plural } from "../render.js";

export function registerRunsCommand(program: Command, io: CliIo): void {
  const runs = program.command("runs").description("list past runs, or delete old ones");
  withRunsOptions(runs.command("list").description("past runs, newest first: time, status, input, instruction and record path"))
    .option("-n, --limit <n>", "show only the newest n")
    .action(async (_options: unknown, cmd: Command) => {
      const context = buildContext(cmd, io);
      const { listRuns } = await import("../../runs/run-index.js");
      const root = await runsRoot(context);
      const limit = limitOf(cmd.opts<{ limit?: string }>().limit);
      const listed = (await listRuns(root)).slice(0, limit);
      if (context.settings.json) {
        for (const run of listed) io.stdout.write(`${JSON.stringify({ id: run.id, created: run.created, status: run.status, input: run.input, instruction: run.instruction, dir: run.dir, run_record: run.recordPath })}\n`);
      } else if (listed.length === 0) context.say(`no runs under ${root}`);
      else for (const run of listed) io.stdout.write(`${runLine(run)}\n`);
      process.exitCode = EXIT.ok;
    });
  withRunsOptions(runs.command("prune").description("delete the run folders last written before an age"))
    .requiredOption("--older-than <age>", 'runs whose record was last written this long ago, e.g. "30d"')
    .action(async (_options: unknown, cmd: Command) => {
      const context = buildContext(cmd, io);
      const { parseDuration } = await import("../../config/quantities.js");
      const { pruneRuns } = await import("../../runs/run-index.js");
      const root = await runsRoot(context);
      const cutoff = new Date(Date.now() - parseDuration(cmd.opts<{ olderThan: string }>().olderThan, "--older-than"));
      const freed = await pruneRuns(root, cutoff);
      if (context.settings.json) io.stdout.write(`${JSON.stringify({ dir: root, removed: freed })}\n`);
      else io.stdout.write(`removed ${plural(freed.runs, "run")} (${formatBytes(freed.bytes)} freed) from ${root}\n`);
      process.exitCode = EXIT.ok;
    });
}

function withRunsOptions(command: Command): Command {
  return command
    .option("--run-dir <dir>", "folder holding run records (a batch's are in <out-dir>/runs)  [$XDG_STATE_HOME/reasonedit/runs]")
    .option("--json", "one JSON object per run (list) or one for the result (prune), on stdout")
    .option("-q, --quiet", "print nothing but errors")
    .option("--config <file>", "settings file  [./reasonedit.config.json]");
}

async function runsRoot(context: CommandContext): Promise<string> {
  const { defaultRunsRoot } = await import("../../runs/run-folder.js");
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
