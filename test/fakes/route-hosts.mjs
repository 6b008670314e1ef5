// Sends the hosts @huggingface/inference hard-codes to a local fake. The library uses its `fetch` option
// only for the Hub mapping and the first POST; fal polls and media downloads use the global fetch, so
// both need the rewrite:
//
//   const routing = routeHostsTo(fake.url);            // also replaces globalThis.fetch
//   const client = new InferenceClient("hf_test", { fetch: routing.fetch });
//   …
//   routing.restore();
//
// https://router.huggingface.co → <url>/router, https://huggingface.co → <url>/hub,
// https://queue.fal.run → <url>/router/fal-ai. data: URLs and every other host pass through untouched.

import { URL } from "node:url";

const HOSTS = new Map([
  ["router.huggingface.co", "/router"],
  ["huggingface.co", "/hub"],
  ["queue.fal.run", "/router/fal-ai"],
]);

/** The URL the fake should receive instead, or the same URL when it is not one of the hosted hosts. */
export function rewriteHostedUrl(href, baseUrl) {
  if (!/^https:\/\//.test(href)) return href;
  const url = new URL(href);
  const prefix = HOSTS.get(url.host);
  return prefix === undefined ? href : `${baseUrl}${prefix}${url.pathname}${url.search}`;
}

/**
 * @param {string} baseUrl the fake's http://127.0.0.1:<port>
 * @param {{ patchGlobal?: boolean }} [options] patchGlobal (default true) also replaces globalThis.fetch
 */
export function routeHostsTo(baseUrl, options = {}) {
  const original = globalThis.fetch;
  const routed = (input, init) => {
    const href = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    const target = rewriteHostedUrl(href, baseUrl);
    if (target === href) return original(input, init);
    return original(input instanceof globalThis.Request ? new globalThis.Request(target, input) : target, init);
  };
  if (options.patchGlobal !== false) globalThis.fetch = routed;
  return {
    fetch: routed,
    restore: () => {
      if (globalThis.fetch === routed) globalThis.fetch = original;
    },
  };
}
