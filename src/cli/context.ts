// What a command needs from its environment: resolved settings, credentials, a logger and the process streams.
import type { Command } from "commander";
import type { Logger } from "pino";
import { credentialsFromEnv, readConfigFiles, resolveSettingsWithOrigins, settingsFromEnv, type Credentials, type Settings, type SettingOrigin } from "../config/settings.js";
import { createLogger, redactSecrets } from "../logging.js";
import { rememberSecrets } from "../redact.js";
import { typedSettings } from "./common-options.js";
import { terminalLine } from "../terminal-text.js";

export interface CliIo {
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Aborted when the reader of stdout (or stderr) went away, e.g. `| head -1`: start nothing new. */
  closed?: AbortSignal;
}

export interface CommandContext {
  settings: Settings;
  /** Where each setting came from (flag, environment, config file, default), for --dry-run. */
  origins: Record<keyof Settings, SettingOrigin>;
  credentials: Credentials;
  logger: Logger;
  io: CliIo;
  /** Human output on stderr (nothing with --quiet). Every line passes token redaction and loses terminal control sequences. */
  say: (line: string) => void;
  secrets: string[];
}

export function buildContext(command: Command, io: CliIo): CommandContext {
  const configPath = command.opts<{ config?: string }>().config;
  const files = readConfigFiles(configPath, io.cwd, io.env);
  const { settings, origins } = resolveSettingsWithOrigins({ files, env: settingsFromEnv(io.env), flags: typedSettings(command), command: commandPath(command) });
  const credentials = credentialsFromEnv(io.env);
  const secrets = [credentials.hfToken, credentials.mllmApiKey, credentials.editorApiKey, io.env.REASONEDIT_JUDGE_API_KEY?.trim()].filter((s): s is string => !!s);
  // Registered for every sink: stdout, stderr, logs, run records, cache entries and reports are scrubbed of them.
  rememberSecrets(secrets);
  const level = settings.quiet ? "error" : settings.verbose ? "debug" : "warn";
  const logger = createLogger({ level, format: settings.logFormat }, io.stderr);
  const say = (line: string) => {
    if (!settings.quiet) io.stderr.write(`${terminalLine(redactSecrets(line, secrets))}\n`);
  };
  return { settings, origins, credentials, logger, io, say, secrets };
}

/** "edit", "runs list": the words after `reasonedit` that run this command. */
function commandPath(command: Command): string {
  const names: string[] = [];
  for (let at: Command | null = command; at?.parent; at = at.parent) names.unshift(at.name());
  return names.join(" ");
}
