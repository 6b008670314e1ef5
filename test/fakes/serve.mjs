#!/usr/bin/env node
// Runs the fake providers in their own process, for tests that must not hold sockets in the test process
// (the silent-exit regression) or that drive the built CLI. Prints one JSON line {"url": …} on stdout
// when listening; stops on SIGTERM/SIGINT or when stdin closes (so it dies with its parent).
//
//   node test/fakes/serve.mjs [--fal-polls N] [--latency kind=ms]… [--mapping model=provider,providerId,task]…
//                             [--chat-reply TEXT] [--reject-response-format]
import process from "node:process";
import { parseArgs } from "node:util";
import { startFakeProviders } from "./fake-providers.mjs";

const { values } = parseArgs({
  options: {
    "fal-polls": { type: "string" },
    latency: { type: "string", multiple: true },
    mapping: { type: "string", multiple: true },
    "chat-reply": { type: "string" },
    "reject-response-format": { type: "boolean" },
  },
});

const latencyMs = Object.fromEntries((values.latency ?? []).map((pair) => {
  const [kind, ms] = pair.split("=");
  return [kind, Number(ms)];
}));
const mappings = {};
for (const spec of values.mapping ?? []) {
  const [model, rest] = spec.split("=");
  const [provider, providerId, task = "image-to-image"] = rest.split(",");
  (mappings[model] ??= []).push({ provider, providerId, task });
}
const chatReply = values["chat-reply"];

const fake = await startFakeProviders({
  falPolls: Number(values["fal-polls"] ?? 0),
  latencyMs,
  mappings,
  rejectResponseFormat: values["reject-response-format"] ?? false,
  ...(chatReply === undefined ? {} : { chat: () => chatReply }),
});
process.stdout.write(`${JSON.stringify({ url: fake.url })}\n`);

const stop = () => fake.close().then(() => process.exit(0));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
if (!process.stdin.isTTY) {
  process.stdin.on("end", stop);
  process.stdin.resume();
}
