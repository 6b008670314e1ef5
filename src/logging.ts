// pino on stderr (stdout is reserved for results), with token redaction as a last line of defence.
import { pino, type Logger } from "pino";
import { redactSecrets } from "./redact.js";
import { terminalLine } from "./terminal-text.js";

export { redactSecrets };

export type LogFormat = "json" | "pretty";
export type LogLevel = "silent" | "error" | "warn" | "info" | "debug";

export interface LoggingOptions {
  level: LogLevel;
  format: LogFormat;
}

export function createLogger(options: LoggingOptions, destination: NodeJS.WritableStream = process.stderr): Logger {
  const stream =
    options.format === "pretty"
      ? { write: (line: string) => destination.write(redactSecrets(prettyLine(line))) }
      : { write: (line: string) => destination.write(redactSecrets(line)) };
  return pino({ level: options.level, base: undefined, timestamp: pino.stdTimeFunctions.isoTime }, stream);
}

const LEVEL_NAMES: Record<number, string> = { 10: "trace", 20: "debug", 30: "info", 40: "warn", 50: "error", 60: "fatal" };

function prettyLine(line: string): string {
  try {
    const { level, time, msg, ...rest } = JSON.parse(line) as Record<string, unknown>;
    const extra = Object.keys(rest).length > 0 ? ` ${JSON.stringify(rest)}` : "";
    const clock = typeof time === "string" ? time.slice(11, 19) : "";
    return `${clock} ${LEVEL_NAMES[level as number] ?? level} ${terminalLine(String(msg ?? ""))}${terminalLine(extra)}\n`;
  } catch {
    return line;
  }
}

export const silentLogger: Logger = pino({ level: "silent" });
