// reasonedit as a library: the public surface, kept stable on purpose. Everything else under dist/ is internal.
//
//   import { edit } from "reasonedit";
//   const result = await edit({ image: "cat.jpg", instruction: "make it snow", hfToken: process.env.HF_TOKEN });
//
// Each function returns the object the matching command prints with --json, and rejects with a ReasonEditError
// (code, message, hint, exitCode); an aborted `signal` rejects with code "interrupted".
export { edit, type EditOptions } from "./library/edit.js";
export { batch, type BatchOptions, type BatchResult, type ResultLine } from "./library/batch.js";
export { evaluate, type EvaluateOptions, type EvaluateResult } from "./library/evaluate.js";
export type { CallOptions, EditSettings } from "./library/options.js";
export type { EditResult, RoundResult } from "./app/edit-result.js";
export type { ProgressEvent, ProgressStep, RoundScores } from "./app/progress.js";
export type { EvalMode } from "./eval/modes.js";
export { ReasonEditError, errorReport, type ErrorCode, type ErrorReport } from "./errors.js";
export { VERSION } from "./version.js";
