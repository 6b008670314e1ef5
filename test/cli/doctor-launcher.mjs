#!/usr/bin/env node
// The built CLI (dist/) exactly as bin.js runs it, with huggingface.co routed to loopback fakes for tests:
// REASONEDIT_TEST_FAKE_URL serves the Hub mapping (the shared fake), REASONEDIT_TEST_WHOAMI_URL serves
// /api/whoami-v2 (hub-extras.ts). Nothing else is changed.
import process from "node:process";
import { URL } from "node:url";
import { rewriteHostedUrl } from "../fakes/route-hosts.mjs";

const fakeUrl = process.env.REASONEDIT_TEST_FAKE_URL;
const whoamiUrl = process.env.REASONEDIT_TEST_WHOAMI_URL;
if (fakeUrl) {
  const original = globalThis.fetch;
  globalThis.fetch = (input, init) => {
    const href = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    if (whoamiUrl && href.startsWith("https://huggingface.co/api/whoami-v2")) return original(`${whoamiUrl}/api/whoami-v2`, init);
    return original(rewriteHostedUrl(href, fakeUrl), init);
  };
}

const { main } = await import("../../dist/src/cli/main.js");
await main(process.argv);
