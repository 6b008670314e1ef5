// `reasonedit runs list|prune`: the past runs under the runs folder, newest first, and deleting old ones.
import type { Command } from "commander";
import { addExamples } from "../common-options.js";
import type { CliIo } from "../context.js";

export function registerRunsCommand(program: Command, io: CliIo): void {
  const runs = program.command("runs").description("list past runs, or delete old ones");
  const list = withRunsOptions(runs.command("list").description("past runs, newest first: time, status, input, instruction and record path"))
    .option("-n, --limit <n>", "show only the newest n")
    .action(async (_options: unknown, cmd: Command) => {
      const { runsListAction } = await import("../actions/runs.js");
      process.exitCode = await runsListAction(cmd, io);
    });
  addExamples(list, ["reasonedit runs list -n 20", "reasonedit runs list --run-dir results/runs --json"]);
  const prune = withRunsOptions(runs.command("prune").description("delete the run folders last written before an age"))
    .requiredOption("--older-than <age>", 'runs whose record was last written this long ago, e.g. "30d"')
    .action(async (_options: unknown, cmd: Command) => {
      const { runsPruneAction } = await import("../actions/runs.js");
      process.exitCode = await runsPruneAction(cmd, io);
    });
  addExamples(prune, ["reasonedit runs prune --older-than 30d"]);
}

function withRunsOptions(command: Command): Command {
  return command
    .option("--run-dir <dir>", "folder holding run records (a batch's are in <out-dir>/runs)  [$XDG_STATE_HOME/reasonedit/runs]")
    .option("--json", "one JSON object per run (list) or one for the result (prune), on stdout")
    .option("-q, --quiet", "print nothing but errors")
    .option("--config <file>", "settings file  [./reasonedit.config.json]");
}
