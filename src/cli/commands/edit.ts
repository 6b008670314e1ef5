// `reasonedit edit <image> <instruction...>`: one reasoned edit, with a run record.
import { Command } from "commander";
import { errorReport, EXIT, ReasonEditError } from "../../errors.js";
import { extname } from "node:path";
import { isImageFile } from "../../images/image-file.js";
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
    const instruction = words.join(" ").trim();
    await checkRequest(instruction, output, settings.json);
    refuseMoreImages(image, instruction, io.cwd);
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
          keepImages: settings.keepImages,
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

/** Refuses, before any paid call, what could only fail or mislead at the end. */
async function checkRequest(instruction: string, output: string | undefined, json: boolean): Promise<void> {
  if (instruction === "") {
    throw new ReasonEditError("usage", "the instruction is empty", { hint: 'say what to change, e.g. reasonedit edit photo.jpg "make the sky stormy"' });
  }
  if (output === "-" && json) {
    throw new ReasonEditError("usage", "-o - and --json both want stdout", { hint: "write the image to a file with -o, or drop --json" });
  }
  const name = output?.split(/[\\/]/).pop() ?? "";
  // Loaded here, not at the top: it brings sharp, and `edit --help` should not wait for it.
  const { formatOfExtension, writableExtensions } = await import("../../images/output.js");
  if (output !== undefined && output !== "-" && name !== "" && name.includes(".") && formatOfExtension(extname(name)) === undefined) {
    throw new ReasonEditError("usage", `cannot write ${output}: unknown image extension`, {
      hint: `use ${writableExtensions()} (the extension picks the format)`,
    });
  }
}

/**
 * `edit a.png b.png "make it bw"` (or an unquoted `edit *.jpg …`) would edit a.png with "b.png make it bw" as its
 * instruction, and bill for it: refused before any call, pointing at batch, which edits many.
 */
function refuseMoreImages(image: string, instruction: string, cwd: string): void {
  const words = instruction.split(/\s+/);
  const firstWord = words.findIndex((word) => !isImageFile(word, cwd));
  const images = firstWord === -1 ? words : words.slice(0, firstWord);
  if (images.length === 0) return;
  const rest = words.slice(images.length).join(" ") || "…";
  const quoted = (word: string) => (/^[\w./-]+$/.test(word) ? word : `'${word.replace(/'/g, "'\\''")}'`);
  throw new ReasonEditError("usage", `edit takes one image, but the instruction starts with another image file: ${images[0]}`, {
    hint: `to edit several images with one instruction, use batch: reasonedit batch ${[image, ...images].map(quoted).join(" ")} --instruction ${quoted(rest)} --out-dir edited`,
  });
}

/** What --json prints when the run failed: the error, and the run record when one was started. */
function errorJson(error: unknown, recordPath: string | undefined): Record<string, unknown> {
  return { status: "error", error: errorReport(error), run_record: recordPath ?? null };
}
