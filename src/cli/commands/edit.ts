// `reasonedit edit <image> <instruction...>`: one reasoned edit, with a run record.
import { Command } from "commander";
import { errorReport, EXIT, ReasonEditError } from "../../errors.js";
import { redactSecrets } from "../../redact.js";
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
    .option("-o, --output <path>", "where to write the result; - writes the image to stdout  [<name>.edited<ext> beside the input]")
    .option("--mkdir", "create the -o folder when it does not exist (otherwise a missing folder is refused before any call)");
  addModelOptions(command);
  addLoopOptions(command);
  addRuntimeOptions(command);
  command.action(async (image: string, words: string[], _options: unknown, cmd: Command) => {
    const context = buildContext(cmd, io);
    const { assertCredentials } = await import("../../config/settings.js");
    assertCredentials(context.settings, context.credentials);
    const { createServices, loopSettings, recordableSettings } = await import("../../app/services.js");
    const { runEditJob } = await import("../../app/edit-job.js");
    const { output, mkdir } = cmd.opts<{ output?: string; mkdir?: boolean }>();
    const settings = context.settings;
    const instruction = words.join(" ").trim();
    checkRequest(instruction, output, settings.json);
    const loop = loopSettings(settings);
    let recordPath: string | undefined;
    const running = withInterrupt(io, context.say, async (signal) => {
      const services = await createServices(settings, context.credentials, context.logger, { signal });
      return runEditJob(
        {
          image,
          instruction,
          ...(output !== undefined ? { output } : {}),
          loop,
          runsRoot: services.runsRoot,
          // The seed actually used, so a run can be repeated exactly.
          settingsForRecord: { ...recordableSettings(settings), seed: loop.seed },
          cwd: io.cwd,
          mkdir: mkdir === true,
          reuseEarlierSeed: settings.seed === undefined,
        },
        {
          ...services,
          stdin: io.stdin,
          stdout: io.stdout,
          signal,
          onRunFolder: (path) => (recordPath = path),
          onEvent: (event) => {
            const line = describeEvent(event);
            if (line) context.say(line);
          },
        },
      );
    });
    const result = await running.catch((error: unknown) => {
      if (settings.json) io.stdout.write(`${redactSecrets(JSON.stringify(errorJson(error, recordPath)), context.secrets)}\n`);
      if (recordPath) context.say(`  run record: ${recordPath}`);
      throw error;
    });
    for (const line of summarize(result)) context.say(line);
    if (settings.json) io.stdout.write(`${JSON.stringify(toJson(result))}\n`);
    process.exitCode = result.status === "accepted" ? EXIT.ok : EXIT.notAccepted;
  });
}

const WRITABLE_EXTENSIONS = /\.(png|jpe?g|webp|avif|tiff?)$/i;

/** Refuses, before any paid call, what could only fail or mislead at the end. */
function checkRequest(instruction: string, output: string | undefined, json: boolean): void {
  if (instruction === "") {
    throw new ReasonEditError("usage", "the instruction is empty", { hint: 'say what to change, e.g. reasonedit edit photo.jpg "make the sky stormy"' });
  }
  if (output === "-" && json) {
    throw new ReasonEditError("usage", "-o - and --json both want stdout", { hint: "write the image to a file with -o, or drop --json" });
  }
  const name = output?.split(/[\\/]/).pop() ?? "";
  if (output !== undefined && output !== "-" && name !== "" && name.includes(".") && !WRITABLE_EXTENSIONS.test(name)) {
    throw new ReasonEditError("usage", `cannot write ${output}: unknown image extension`, {
      hint: "use .png, .jpg, .webp, .avif or .tiff (the extension picks the format)",
    });
  }
}

/** What --json prints when the run failed: the error, and the run record when one was started. */
function errorJson(error: unknown, recordPath: string | undefined): Record<string, unknown> {
  return { status: "error", error: errorReport(error), run_record: recordPath ?? null };
}
