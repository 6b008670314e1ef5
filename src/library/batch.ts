// batch(): many edits from a JSONL or CSV manifest, as `reasonedit batch` runs them; each item's result line is
// handed to onResult the moment it finishes, and the counts come back at the end.
import path from "node:path";
import { Readable } from "node:stream";
import { createServices, loopPolicy, recordableSettings } from "../app/services.js";
import { parseBatchFlags } from "../batch/batch-flags.js";
import type { ResultLine } from "../batch/result-line.js";
import { resumePolicy } from "../batch/resume.js";
import { runBatch } from "../batch/run-batch.js";
import { assertCredentials } from "../config/settings.js";
import { abortable, resolveCall, type CallOptions } from "./options.js";

export type { ResultLine };

export interface BatchOptions extends Omit<CallOptions, "onProgress"> {
  /** A JSONL or CSV manifest path; image paths inside it are relative to it. */
  manifest: string;
  /** Results as `<id>.<ext>` and run records under `runs/<id>/`. */
  outDir: string;
  /** Items in flight at once (default 4). */
  concurrency?: number;
  /** Skip items an earlier run settled; with retryErrors, redo the ones that ended in error. */
  resume?: boolean;
  retryErrors?: boolean;
  /** `"i/n"`: only the rows whose id hashes to shard i of n. */
  shard?: string;
  /** Each item's result, as `batch` prints it; awaited, so a slow consumer slows the batch. */
  onResult?: (line: ResultLine) => void | Promise<void>;
}

export interface BatchResult {
  items: number;
  accepted: number;
  not_accepted: number;
  errors: number;
  /** Items an earlier run had settled (with resume). */
  resumed: number;
  mllm_calls: number;
  editor_calls: number;
  tokens: number;
  out_dir: string;
}

/** Runs every row; a failing item is a result line with an error, never a rejection. Rejects for a bad manifest or an abort. */
export async function batch(options: BatchOptions): Promise<BatchResult> {
  const call = resolveCall(options);
  assertCredentials(call.settings, call.credentials);
  const flags = parseBatchFlags({ outDir: options.outDir, concurrency: options.concurrency, resume: options.resume, retryErrors: options.retryErrors, shard: options.shard });
  const outDir = path.resolve(call.cwd, flags.outDir);
  return abortable(options.signal, async () => {
    const services = await createServices(call.settings, call.credentials, call.logger, call.env, { signal: options.signal, fetch: options.fetch });
    const request = {
      manifest: options.manifest,
      outDir,
      concurrency: flags.concurrency,
      resume: resumePolicy(flags.resume, flags.retryErrors),
      shard: flags.shard,
      loop: loopPolicy(call.settings),
      seed: call.settings.seed,
      settingsForRecord: recordableSettings(call.settings),
      cwd: path.resolve(call.cwd),
      keepImages: call.settings.keepImages,
    };
    const { tally } = await runBatch(request, { services, stdin: emptyStdin(), emit: (line) => options.onResult?.(line), abort: options.signal });
    return {
      items: tally.items,
      accepted: tally.accepted,
      not_accepted: tally.notAccepted,
      errors: tally.errors,
      resumed: tally.resumed,
      mllm_calls: tally.mllmCalls,
      editor_calls: tally.editorCalls,
      tokens: tally.tokens,
      out_dir: outDir,
    };
  });
}

/** The library reads manifests from files only; "-" (stdin) belongs to the CLI. */
function emptyStdin(): NodeJS.ReadableStream {
  return Readable.from([]);
}
