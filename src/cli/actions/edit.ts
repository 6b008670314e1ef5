// What `reasonedit edit` does once its flags are parsed: the library's edit, with progress on stderr and, with
// --json, the result object on stdout.
import { terminalLine } from "../../terminal-text.js";
import type { Command } from "commander";
import { EXIT, errorReport, ReasonEditError } from "../../errors.js";
import { isImageFile } from "../../images/image-file.js";
import { runEdit } from "../../library/edit.js";
import { redactSecrets } from "../../redact.js";
import { defaultRunsRoot } from "../../runs/run-folder.js";
import { buildContext, type CliIo, type CommandContext } from "../context.js";
import { basePlan, describeInput, plannedOutput, printPlan } from "../dry-run.js";
import { withInterrupt } from "../interrupt.js";
import { ProgressLines, type ProgressStyle } from "../progress-lines.js";
import { describeEvent, summarize } from "../render.js";

export async function editAction(image: string, words: string[], cmd: Command, io: CliIo): Promise<number> {
  const context = buildContext(cmd, io);
  const { output, mkdir } = cmd.opts<{ output?: string; mkdir?: boolean }>();
  const settings = context.settings;
  if (output === "-" && settings.json) {
    throw new ReasonEditError("usage", "-o - and --json both want stdout", { hint: "write the image to a file with -o, or drop --json" });
  }
  refuseMoreImages(image, words.join(" ").trim(), io.cwd);
  if (cmd.opts<{ dryRun?: boolean }>().dryRun) return printEditPlan(image, words.join(" ").trim(), output, context);
  const progress = new ProgressLines(progressStyle(context), (text) => io.stderr.write(redactSecrets(text, context.secrets)));
  let recordPath: string | undefined;
  const running = withInterrupt(
    (line) => progress.say(line),
    (signal) =>
      runEdit({
        image,
        instruction: words.join(" "),
        output,
        mkdir: mkdir === true,
        settings,
        credentials: context.credentials,
        env: io.env,
        cwd: io.cwd,
        logger: context.logger,
        signal,
        stdin: io.stdin,
        stdout: io.stdout,
        onRunFolder: (path) => (recordPath = path),
        onProgress: (event) => progress.onEvent(event),
        onLoopEvent: (event) => {
          const line = describeEvent(event);
          if (line) progress.say(terminalLine(line));
        },
      }),
  );
  const result = await running
    .catch((error: unknown) => {
      progress.stop();
      if (settings.json) io.stdout.write(`${redactSecrets(JSON.stringify({ status: "error", error: errorReport(error), run_record: recordPath ?? null }), context.secrets)}\n`);
      if (recordPath) context.say(`  run record: ${recordPath}`);
      throw error;
    })
    .finally(() => progress.stop());
  for (const line of summarize(result)) context.say(line);
  if (settings.json) io.stdout.write(`${JSON.stringify(result)}\n`);
  return result.status === "accepted" ? EXIT.ok : EXIT.notAccepted;
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

function printEditPlan(image: string, instruction: string, output: string | undefined, context: CommandContext): number {
  const { settings, io } = context;
  const plan = basePlan("edit", context);
  plan.instruction = instruction;
  plan.input = describeInput(image, io.cwd);
  plan.output = plannedOutput(image, output, io.cwd);
  plan.run_folder = `${settings.runDir ?? defaultRunsRoot(io.env)}/<UTC time>-<image name>-<random>`;
  plan.seed = settings.seed ?? "random (drawn at the start and recorded in run.json)";
  printPlan(plan, context);
  return EXIT.ok;
}

function progressStyle(context: CommandContext): ProgressStyle {
  if (context.settings.quiet) return "off";
  return context.io.stderr.isTTY ? "live" : "lines";
}
