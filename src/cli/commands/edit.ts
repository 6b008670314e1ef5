// `reasonedit edit <image> <instruction...>`: one reasoned edit, with a run record.
import { Command } from "commander";
import { EXIT } from "../../errors.js";
import { addLoopOptions, addModelOptions, addRuntimeOptions } from "../common-options.js";
import { buildContext, type CliIo } from "../context.js";
import { withInterrupt } from "../interrupt.js";
import { describeEvent, summarize, toJson } from "../render.js";

export function registerEditCommand(program: Command, io: CliIo): void {
  const command = program
    .command("edit")
    .description("edit one image: think, edit, reflect until accepted or out of rounds")
    .argument("<image>", "a path, an http(s) URL, or - for stdin")
    .argument("<instruction...>", "what to change, in any language")
    .option("-o, --output <path>", "where to write the result; - writes the image to stdout  [<name>.edited<ext> beside the input]");
  addModelOptions(command);
  addLoopOptions(command);
  addRuntimeOptions(command);
  command.action(async (image: string, words: string[], _options: unknown, cmd: Command) => {
    const context = buildContext(cmd, io);
    const { assertCredentials } = await import("../../config/settings.js");
    assertCredentials(context.settings, context.credentials);
    const { createServices, loopSettings, recordableSettings } = await import("../../app/services.js");
    const { runEditJob } = await import("../../app/edit-job.js");
    const output = cmd.opts<{ output?: string }>().output;
    const settings = context.settings;
    const loop = loopSettings(settings);
    const result = await withInterrupt(io, context.say, async (signal) => {
      const services = await createServices(settings, context.credentials, context.logger, { signal });
      return runEditJob(
        {
          image,
          instruction: words.join(" "),
          ...(output !== undefined ? { output } : {}),
          loop,
          runsRoot: services.runsRoot,
          // The seed actually used, so a run can be repeated exactly.
          settingsForRecord: { ...recordableSettings(settings), seed: loop.seed },
          cwd: io.cwd,
        },
        {
          ...services,
          stdin: io.stdin,
          stdout: io.stdout,
          signal,
          onEvent: (event) => {
            const line = describeEvent(event);
            if (line) context.say(line);
          },
        },
      );
    });
    for (const line of summarize(result)) context.say(line);
    if (settings.json) io.stdout.write(`${JSON.stringify(toJson(result))}\n`);
    process.exitCode = result.status === "accepted" ? EXIT.ok : EXIT.notAccepted;
  });
}
