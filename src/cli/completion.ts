// `reasonedit completion bash|zsh|fish`: a completion script written from the registered commands and their flags,
// so it never lists a flag a command does not take.
import type { Command } from "commander";

export const SHELLS = ["bash", "zsh", "fish"] as const;
export type Shell = (typeof SHELLS)[number];

interface CommandFlags {
  /** "cache stats" for a subcommand. */
  path: string[];
  flags: string[];
}

export function completionScript(program: Command, shell: Shell): string {
  const commands = collect(program, []);
  const top = program.commands.map((command) => command.name());
  switch (shell) {
    case "bash":
      return bashScript(top, commands);
    case "zsh":
      return `#compdef reasonedit\nautoload -U +X bashcompinit && bashcompinit\n${bashScript(top, commands)}`;
    case "fish":
      return fishScript(program, commands);
  }
}

function collect(command: Command, path: string[]): CommandFlags[] {
  return command.commands.flatMap((sub) => {
    const here = [...path, sub.name()];
    const flags = sub.options.flatMap((option) => [option.short, option.long].filter((flag): flag is string => !!flag));
    return [{ path: here, flags: [...flags, "--help"] }, ...collect(sub, here)];
  });
}

function bashScript(top: string[], commands: CommandFlags[]): string {
  const cases = commands
    .map((entry) => {
      const subcommands = commands.filter((other) => other.path.length === entry.path.length + 1 && other.path.join(" ").startsWith(`${entry.path.join(" ")} `));
      return `    "${entry.path.join(" ")}") subs="${subcommands.map((sub) => sub.path.at(-1)!).join(" ")}" flags="${entry.flags.join(" ")}" ;;`;
    })
    .join("\n");
  return `# reasonedit completion for bash: eval "$(reasonedit completion bash)" (or save it under ~/.local/share/bash-completion/completions/reasonedit)
_reasonedit() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" path="" next word subs flags i
  local known="|${commands.map((entry) => entry.path.join(" ")).join("|")}|"
  for ((i = 1; i < COMP_CWORD; i++)); do
    word="\${COMP_WORDS[i]}"
    if [ -z "$path" ]; then next="$word"; else next="$path $word"; fi
    [[ "$known" == *"|$next|"* ]] && path="$next"
  done
  case "$path" in
    "") subs="${top.join(" ")}" flags="--help --version" ;;
${cases}
  esac
  if [[ "$cur" == -* ]]; then
    COMPREPLY=($(compgen -W "$flags" -- "$cur"))
  elif [ -n "$subs" ]; then
    COMPREPLY=($(compgen -W "$subs" -- "$cur"))
  else
    COMPREPLY=($(compgen -f -- "$cur"))
  fi
  return 0
}
complete -o filenames -F _reasonedit reasonedit
`;
}

function fishScript(program: Command, commands: CommandFlags[]): string {
  const top = program.commands.map((command) => `complete -c reasonedit -n __fish_use_subcommand -a ${command.name()} -d ${quote(command.description())}`);
  const flags = commands.flatMap((entry) =>
    entry.flags
      .filter((flag) => flag.startsWith("--"))
      .map((flag) => `complete -c reasonedit -n ${quote(`__fish_seen_subcommand_from ${entry.path.at(-1)}`)} -l ${flag.slice(2)}`),
  );
  return `# reasonedit completion for fish: reasonedit completion fish > ~/.config/fish/completions/reasonedit.fish\n${[...top, ...flags].join("\n")}\n`;
}

function quote(text: string): string {
  return `'${text.replace(/'/g, "\\'")}'`;
}
