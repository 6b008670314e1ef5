// `reasonedit show [run]`: a run's rounds (instruction, verdict, scores, timings), as text, JSON or a contact sheet.
import type { Command } from "commander";
import { addExamples } from "../common-options.js";
import type { CliIo } from "../context.js";

export function registerShowCommand(program: Command, io: CliIo): void {
  const command = program
    .command("show")
    .description("print a run's rounds; --sheet writes a contact sheet image")
    .argument("[run]", "a run folder, its run.json, or a run id (or a unique part of one) under --run-dir  [the newest run]")
    .option("--sheet <file>", "write a contact sheet (.png, .jpg, .webp, …): the source and every round, captioned with verdict and scores")
    .option("--run-dir <dir>", "folder holding run records  [$XDG_STATE_HOME/reasonedit/runs]")
    .option("--json", "print one JSON object on stdout")
    .option("-q, --quiet", "print nothing but errors")
    .option("--config <file>", "settings file  [./reasonedit.config.json]")
    .action(async (target: string | undefined, _options: unknown, cmd: Command) => {
      const { showAction } = await import("../actions/show.js");
      process.exitCode = await showAction(target, cmd, io);
    });
  addExamples(command, ["reasonedit show", "reasonedit show path/to/run --json", "reasonedit show eval-out/items/cat/loop --sheet cat.png"]);
}
