// edit(): one reasoned edit as a function — the same job, run record and result object as `reasonedit edit --json`.
import { extname } from "node:path";
import type { Logger } from "pino";
import { runEditJob } from "../app/edit-job.js";
import { editResultOf, type EditResult } from "../app/edit-result.js";
import { ProgressPorts, type ProgressEvent } from "../app/progress.js";
import { createServices, loopSettings, randomSeed, recordableSettings } from "../app/services.js";
import { assertCredentials, type Credentials, type Settings } from "../config/settings.js";
import { ReasonEditError } from "../errors.js";
import { formatOfExtension, writableExtensions } from "../images/output.js";
import type { LoopEvent } from "../loop/run-edit-loop.js";
import { abortable, resolveCall, type CallOptions } from "./options.js";

export interface EditOptions extends CallOptions {
  /** A path or an http(s) URL. */
  image: string;
  /** What to change, in any language. */
  instruction: string;
  /** Where to write the result (the extension picks the format); default `<name>.edited<ext>` beside the input. */
  output?: string;
}

/** Edits one image: think, edit, reflect until accepted or out of rounds. Rejects with a ReasonEditError. */
export async function edit(options: EditOptions): Promise<EditResult> {
  const call = resolveCall(options);
  return runEdit({ ...call, ...options, settings: call.settings, credentials: call.credentials });
}

/** What the CLI hands over once it has read flags, files and environment into settings. */
export interface EditRun {
  image: string;
  instruction: string;
  output?: string;
  /** Create the output's folder when it is missing; otherwise a missing folder is refused before any call. */
  mkdir?: boolean;
  settings: Settings;
  credentials: Credentials;
  env: Record<string, string | undefined>;
  cwd: string;
  logger: Logger;
  signal?: AbortSignal;
  onProgress?: (event: ProgressEvent) => void;
  /** The loop's own events (the CLI's round lines). */
  onLoopEvent?: (event: LoopEvent) => void;
  /** Told where the run record will be, as soon as the run folder is chosen. */
  onRunFolder?: (recordPath: string) => void;
  stdin?: NodeJS.ReadableStream;
  /** Receives the image bytes for `output: "-"`. */
  stdout?: NodeJS.WritableStream;
  fetch?: typeof fetch;
}

export async function runEdit(run: EditRun): Promise<EditResult> {
  assertCredentials(run.settings, run.credentials);
  const instruction = run.instruction.trim();
  checkRequest(instruction, run.output);
  const loop = loopSettings(run.settings, run.settings.seed ?? randomSeed());
  return abortable(run.signal, async () => {
    const services = await createServices(run.settings, run.credentials, run.logger, run.env, { signal: run.signal, fetch: run.fetch });
    const progress = new ProgressPorts((event) => run.onProgress?.(event), services.models);
    const job = { image: run.image, instruction, output: run.output, loop, runsRoot: services.runsRoot, settingsForRecord: recordableSettings(run.settings), cwd: run.cwd, keepImages: run.settings.keepImages, mkdir: run.mkdir === true, reuseEarlierSeed: run.settings.seed === undefined };
    const result = await runEditJob(job, {
      ...services,
      reasoner: progress.reasoner(services.reasoner),
      editor: progress.editor(services.editor),
      stdin: run.stdin,
      stdout: run.stdout,
      signal: run.signal,
      onRunFolder: run.onRunFolder,
      onEvent: (event) => {
        progress.onLoopEvent(event);
        run.onLoopEvent?.(event);
      },
    });
    return editResultOf(result);
  });
}

/** Refuses, before any paid call, what could only fail or mislead at the end. */
function checkRequest(instruction: string, output: string | undefined): void {
  if (instruction === "") {
    throw new ReasonEditError("usage", "the instruction is empty", { hint: 'say what to change, e.g. reasonedit edit photo.jpg "make the sky stormy"' });
  }
  const name = output?.split(/[\\/]/).pop() ?? "";
  if (output !== undefined && output !== "-" && name !== "" && name.includes(".") && formatOfExtension(extname(name)) === undefined) {
    throw new ReasonEditError("usage", `cannot write ${output}: unknown image extension`, {
      hint: `use ${writableExtensions()} (the extension picks the format)`,
    });
  }
}
