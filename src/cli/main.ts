// The program: registers each command, runs it, and maps every error to one message and one exit code.
import { Command, CommanderError } from "commander";
import { hfTokenFrom } from "../config/settings.js";
import { describeReport, errorReport, EXIT, ReasonEditError } from "../errors.js";
import { redactingWriter, redactSecrets, rememberSecrets } from "../redact.js";
import { README_URL, VERSION } from "../version.js";
import { isBrokenPipe, watchForBrokenPipe } from "./broken-pipe.js";
import { terminalLines } from "../terminal-text.js";
import type { CliIo } from "./context.js";

type Registrar = (program: Command, io: CliIo) => void;

/** Each command's module is loaded only when that command runs (or for help), so start-up stays fast. */
const COMMANDS: Record<string, () => Promise<Registrar>> = {
  edit: async () => (await import("./commands/edit.js")).registerEditCommand,
  batch: async () => (await import("./commands/batch.js")).registerBatchCommand,
  eval: async () => (await import("./commands/eval.js")).registerEvalCommand,
  show: async () => (await import("./commands/show.js")).registerShowCommand,
  doctor: async () => (await import("./commands/doctor.js")).registerDoctorCommand,
  cache: async () => (await import("./commands/cache.js")).registerCacheCommand,
  completion: async () => (await import("./commands/completion.js")).registerCompletionCommand,
  runs: async () => (await import("./commands/runs.js")).registerRunsCommand,
};

const TOP_LEVEL_HELP = `
Environment:
  HF_TOKEN                    a Hugging Face token with "Make calls to Inference Providers" (hosted MLLM and editor);
                              not needed when both --mllm-url and --editor-url point at your own servers
  REASONEDIT_MLLM_API_KEY     Bearer key for --mllm-url (sent there only); likewise REASONEDIT_EDITOR_API_KEY,
                              REASONEDIT_JUDGE_API_KEY
  REASONEDIT_<SETTING>        any setting, e.g. REASONEDIT_ROUNDS=2, REASONEDIT_REFLECT=false

Examples:
  $ HF_TOKEN=hf_... reasonedit edit photo.jpg "make it look like the morning after a snowstorm"
  $ reasonedit batch manifest.jsonl --out-dir results
  $ reasonedit doctor

Documentation: ${README_URL}
`;

export async function buildProgram(io: CliIo, argv: readonly string[] = []): Promise<Command> {
  const program = new Command("reasonedit")
    .description("Edit images by reasoning: an MLLM thinks, a diffusion editor edits, the MLLM reflects — until it is right.")
    .version(VERSION, "-V, --version")
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .addHelpText("after", TOP_LEVEL_HELP);
  for (const name of commandsNeeded(argv.slice(2))) (await COMMANDS[name]!())(program, io);
  return program;
}

function commandsNeeded(args: readonly string[]): string[] {
  const first = args.find((arg) => !arg.startsWith("-"));
  if (first !== undefined && first in COMMANDS) return [first];
  if (first === undefined && args.length > 0 && args.every((arg) => arg === "-V" || arg === "--version")) return [];
  return Object.keys(COMMANDS);
}

export async function main(argv: string[], given: CliIo = processIo()): Promise<void> {
  const io: CliIo = { ...given, closed: given.closed ?? watchForBrokenPipe(given) };
  try {
    // undici is loaded only when a proxy is set, so start-up stays fast without one.
    if (Object.keys(io.env).some((name) => /^https?_proxy$/i.test(name) && io.env[name]?.trim())) {
      const { installProxy } = await import("../providers/proxy.js");
      withoutWarning("UNDICI-EHPA", () => installProxy(io.env)); // "EnvHttpProxyAgent is experimental": not the user's concern
    }
    const program = await buildProgram(io, argv);
    await program.parseAsync(argv);
  } catch (error) {
    // A write that failed because the reader left is the end of the pipe, not an error worth a message.
    process.exitCode = isBrokenPipe(error, io.closed) ? EXIT.brokenPipe : reportError(error, io);
  }
  if (io.closed?.aborted) process.exitCode = EXIT.brokenPipe;
}

function withoutWarning(code: string, run: () => void): void {
  const emit = process.emitWarning;
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const options = rest[0] as { code?: string } | string | undefined;
    if ((typeof options === "object" && options?.code === code) || rest[1] === code) return;
    (emit as (...args: unknown[]) => void).call(process, warning, ...rest);
  }) as typeof process.emitWarning;
  try {
    run();
  } finally {
    process.emitWarning = emit;
  }
}

/** Every string written to stdout and stderr, by any command or library, passes redaction of the secrets in env. */
function processIo(): CliIo {
  rememberSecrets(secretsInEnv(process.env));
  return { stdin: process.stdin, stdout: redactingWriter(process.stdout), stderr: redactingWriter(process.stderr), env: process.env, cwd: process.cwd() };
}

/** The HF token and every API key reasonedit reads from the environment. */
export function secretsInEnv(env: NodeJS.ProcessEnv): string[] {
  const names = ["HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "REASONEDIT_MLLM_API_KEY", "REASONEDIT_EDITOR_API_KEY", "REASONEDIT_JUDGE_API_KEY"];
  const login = hfTokenFrom(env); // the token `hf auth login` saved is a secret too
  return [...names.map((name) => env[name]?.trim()), login?.token].filter((s): s is string => !!s);
}

/** Prints an error once, in words a user can act on, and returns its exit code. */
export function reportError(error: unknown, io: CliIo): number {
  const secrets = secretsInEnv(io.env);
  const write = (text: string) => io.stderr.write(`${terminalLines(redactSecrets(text, secrets))}\n`);
  if (error instanceof CommanderError) {
    if (error.code === "commander.helpDisplayed" || error.code === "commander.version" || error.code === "commander.help") return EXIT.ok;
    return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  }
  if (ReasonEditError.is(error)) {
    const report = errorReport(error);
    write(`reasonedit: ${describeReport(report)}`);
    if (report.hint) write(`  → ${report.hint}`);
    return error.exitCode;
  }
  const stack = error instanceof Error ? (error.stack ?? error.message) : String(error);
  write(`reasonedit: internal error (a bug): ${stack}`);
  write("  → please report it with the command you ran and the run record path, if one was printed");
  return EXIT.internal;
}
