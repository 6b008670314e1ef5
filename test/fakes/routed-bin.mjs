#!/usr/bin/env node
// The built CLI exactly as dist/src/bin.js runs it, with the hosts @huggingface/inference hard-codes
// (router.huggingface.co, huggingface.co, queue.fal.run) sent to the loopback fake at REASONEDIT_FAKE_URL, so a
// CLI test can drive hosted routes (the Hub mapping, "auto", fal's queue) offline. Nothing else is changed.
import process from "node:process";
import { routeHostsTo } from "./route-hosts.mjs";

const fakeUrl = process.env.REASONEDIT_FAKE_URL;
if (!fakeUrl) throw new Error("routed-bin.mjs needs REASONEDIT_FAKE_URL");
routeHostsTo(fakeUrl);

const { main } = await import("../../dist/src/cli/main.js");
await main(process.argv);
