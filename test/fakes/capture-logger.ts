// A pino logger that keeps its lines in memory, for asserting on what was logged (and what never was).
import { pino, type Logger } from "pino";

export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

export interface CapturedLogger {
  logger: Logger;
  lines: LogLine[];
  /** Everything logged, as one string: handy for "no token anywhere" checks. */
  text(): string;
  at(level: "debug" | "info" | "warn" | "error"): LogLine[];
}

const LEVELS = { debug: 20, info: 30, warn: 40, error: 50 } as const;

export function captureLogger(level: "debug" | "info" | "warn" = "debug"): CapturedLogger {
  const raw: string[] = [];
  const lines: LogLine[] = [];
  const logger = pino({ level, base: undefined }, { write: (line: string) => void (raw.push(line), lines.push(JSON.parse(line) as LogLine)) });
  return {
    logger,
    lines,
    text: () => raw.join(""),
    at: (name) => lines.filter((line) => line.level === LEVELS[name]),
  };
}
