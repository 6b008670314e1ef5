// `reasonedit doctor`: checks the setup an edit needs and prints one line per check, with a fix for each problem.
// The report is the command's result, so it goes to stdout (a table for people, one JSON object with --json);
// logs stay on stderr. Exit 0 = all good, 2 = a config problem (token, prompts, folders), 4 = a model unserved
// or a server unreachable.
import type { Command } from "commander";
import { addExamples, addModelOptions, addRuntimeOptions } from "../common-options.js";
import type { CliIo } from "../context.js";

export function registerDoctorCommand(program: Command, io: CliIo): void {
  const command = program
    .command("doctor")
    .description("check Node, sharp, HF_TOKEN, whether the MLLM and editor are served (and by whom), custom servers, prompts and folders")
    .option("--prompts <dir>", "folder of prompt templates to check  [built-in]");
  addModelOptions(command);
  addRuntimeOptions(command, ["max-retries", "verbose", "log-format"]);
  addExamples(command, ["reasonedit doctor", "reasonedit doctor --editor-provider fal-ai --json", "reasonedit doctor --mllm-url http://127.0.0.1:8000/v1 --mllm Qwen/Qwen2.5-VL-7B-Instruct"]);
  command.action(async (_options: unknown, cmd: Command) => {
    const { doctorAction } = await import("../actions/doctor.js");
    process.exitCode = await doctorAction(cmd, io);
  });
}
