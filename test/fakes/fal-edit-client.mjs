#!/usr/bin/env node
// One routed fal-ai image-to-image edit against a fake started elsewhere, as a bare Node process would run it.
// Prints {"ok":true,"bytes":N,…} on success. Used by the silent-exit regression test:
//
//   node test/fakes/fal-edit-client.mjs --fake <url> --mode raw
//       the library alone: Node exits with code 0 while fal polls wait on unref'd timers, printing nothing
//   node test/fakes/fal-edit-client.mjs --fake <url> --mode guarded --editor <path to compiled hf-editor.js>
//       reasonedit's createEditor: a ref'd deadline timer keeps the process alive until the result is printed
import { Blob } from "node:buffer";
import process from "node:process";
import { parseArgs } from "node:util";
import { pathToFileURL } from "node:url";
import { InferenceClient, setLogger } from "@huggingface/inference";
import { pino } from "pino";
import sharp from "sharp";
import { routeHostsTo } from "./route-hosts.mjs";

const { values } = parseArgs({
  options: {
    fake: { type: "string" },
    mode: { type: "string", default: "raw" },
    editor: { type: "string" },
    model: { type: "string", default: "Qwen/Qwen-Image-Edit" },
    timeout: { type: "string", default: "30000" },
  },
});

const quiet = () => {};
const toStderr = (...parts) => void process.stderr.write(`${parts.join(" ")}\n`);
setLogger({ debug: quiet, info: quiet, log: quiet, warn: toStderr, error: toStderr });
const routing = routeHostsTo(values.fake);
const png = await sharp({ create: { width: 32, height: 24, channels: 3, background: "#6080a0" } }).png().toBuffer();

function report(bytes, extra = {}) {
  process.stdout.write(`${JSON.stringify({ ok: true, bytes, ...extra })}\n`);
}

function fail(error) {
  process.stderr.write(`${error?.stack ?? error}\n`);
  process.exitCode = 1;
}

// No top-level await from here on: with one, Node reports the unsettled promise (exit 13) instead of
// exiting 0 silently, which is what a CLI whose main() is a plain promise experiences.
if (values.mode === "raw") {
  const client = new InferenceClient("hf_fake_regression_token", { fetch: routing.fetch, retry_on_error: false });
  client
    .imageToImage(
      {
        model: values.model,
        provider: "fal-ai",
        inputs: new Blob([png], { type: "image/png" }),
        parameters: { prompt: "make it red", seed: 7, image_size: { width: 32, height: 24 } },
      },
      { retry_on_error: false },
    )
    .then(async (blob) => report((await blob.arrayBuffer()).byteLength), fail);
} else {
  const { createEditor } = await import(pathToFileURL(values.editor).href);
  const editor = createEditor({
    model: values.model,
    provider: "fal-ai",
    hfToken: "hf_fake_regression_token",
    timeoutMs: Number(values.timeout),
    maxRetries: 0,
    fetch: routing.fetch,
    logger: pino({ level: "silent" }),
    decode: async (bytes, target) => ({ bytes, mimeType: "image/png", ...target }),
  });
  editor
    .edit({ image: { bytes: png, mimeType: "image/png", width: 32, height: 24 }, instruction: "make it red", seed: 7 })
    .then((outcome) => report(outcome.image.bytes.byteLength, { ms: outcome.ms }), fail);
}
