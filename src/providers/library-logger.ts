// @huggingface/inference logs to console (stdout) by default; stdout is reserved for results.
import { setLogger } from "@huggingface/inference";
import type { Logger } from "pino";
import { redactSecrets } from "../logging.js";

/** Sends the library's chatter to pino (stderr): its routine notices at debug, its warnings and errors as such. */
export function routeLibraryLogs(logger: Logger): void {
  const child = logger.child({ component: "@huggingface/inference" });
  const format = (message: string, args: unknown[]) => redactSecrets([message, ...args.map(String)].join(" "));
  setLogger({
    debug: (message, ...args) => child.debug(format(message, args)),
    info: (message, ...args) => child.debug(format(message, args)),
    log: (message, ...args) => child.debug(format(message, args)),
    warn: (message, ...args) => child.warn(format(message, args)),
    error: (message, ...args) => child.error(format(message, args)),
  });
}
