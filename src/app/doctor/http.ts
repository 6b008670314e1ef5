// One bounded GET for the checks, and the words for what went wrong on the network.
import { networkReason } from "../../providers/network-reason.js";
export interface Http {
  fetch: typeof fetch;
  timeoutMs: number;
}

type HttpAnswer = { status: number; body: unknown; error?: undefined } | { error: string; status?: undefined; body?: undefined };

/** One GET under a deadline; a network failure or timeout comes back as `error`, never thrown. */
export async function httpGet(http: Http, url: string, headers: Record<string, string>): Promise<HttpAnswer> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), http.timeoutMs);
  try {
    const response = await http.fetch(url, { headers, signal: controller.signal });
    const text = await response.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text) as unknown;
    } catch {
      // not JSON: keep the text
    }
    return { status: response.status, body };
  } catch (error) {
    return { error: controller.signal.aborted ? `no answer within ${(http.timeoutMs / 1000).toFixed(1)} s` : networkReason(error) };
  } finally {
    clearTimeout(timer);
  }
}

export function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split("\n")[0] ?? message;
}
