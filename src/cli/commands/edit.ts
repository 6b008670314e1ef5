// `reasonedit edit <image> <instruction...>`: one reasoned edit, with a run record.
import type { Command } from "commander";
import { addDryRunOption, addExamples, addLoopOptions, addModelOptions, addRuntimeOptions } from "../common-options.js";
import type { CliIo } from "../context.js";

export function registerEditCommand(program: Command, io: CliIo): void {
  const command = program
    .command("edit")
    .description("edit one image: think, edit, reflect until accepted or out of rounds")
    .argument("<image>", "a path, an http(s) URL, or - for stdin")
    .argument("<instruction...>", "what to change, in any language")
    .option("-o, --output <path>", "where to write the result; - writes the image to stdout  [<name>.edited<ext> beside the input]")
    .option("--mkdir", "create the -o folder when it does not exist (otherwise a missing folder is refused before any call)");
  addModelOptions(command);
  addLoopOptions(command);
  addRuntimeOptions(command);
  addDryRunOption(command);
  addExamples(command, [
    'HF_TOKEN=hf_... reasonedit edit photo.jpg "make it look like the morning after a snowstorm"',
    'reasonedit edit photo.jpg "remove the power lines" --json -q | jq .status',
    'reasonedit edit - "make it black and white" -o - < in.png > out.png',
    'reasonedit edit photo.jpg "make it autumn" --rounds 2 --dry-run',
  ]);
  command.action(async (image: string, words: string[], _options: unknown, cmd: Command) => {
    const { editAction } = await import("../actions/edit.js");
    process.exitCode = await editAction(image, words, cmd, io);
  });
}
