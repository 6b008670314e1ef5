// What every hosted-model adapter needs to know: which model, which route, how to authenticate and how patient to be.
import type { Logger } from "pino";
import type { SharedThrottle } from "./throttle.js";

export interface HostedModelOptions {
  model: string;
  /** "auto" or a provider name. Ignored when `url` is set. */
  provider: string;
  /** A custom server instead of Inference Providers. */
  url?: string;
  /** Sent as Bearer to `url`, and only there. */
  apiKey?: string;
  /** Authenticates hosted calls; never sent to `url`. */
  hfToken?: string;
  timeoutMs: number;
  maxRetries: number;
  billTo?: string;
  fetch?: typeof fetch;
  logger: Logger;
  /** Shared by every call of the process so a 429 slows everyone; a private one when omitted. */
  throttle?: SharedThrottle;
}
