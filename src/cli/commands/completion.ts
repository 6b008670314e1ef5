// `reasonedit completion bash|zsh|fish`: prints a shell completion script for every command and its own flags.
import { Argument, type Command } from "commander";
import { addExamples } from "../common-options.js";
import type { CliIo } from "../context.js";

export function registerCompletionCommand(program: Command, io: CliIo): void {
  const command = program
    .command("completion")
    .description("print a shell completion script (bash, zsh or fish)")
    .addArgument(new Argument("<shell>", "bash, zsh or fish").choices(["bash", "zsh", "fish"]));
  addExamples(command, ['eval "$(reasonedit completion bash)"', "reasonedit completion zsh > ~/.zfunc/_reasonedit", "reasonedit completion fish > ~/.config/fish/completions/reasonedit.fish"]);
  command.action(async (shell: "bash" | "zsh" | "fish") => {
    const { completionAction } = await import("../actions/completion.js");
    process.exitCode = await completionAction(shell, io);
  });
}
