// The flags every model-calling command shares (README, "edit flags"), and reading back only those the user typed.
import { Option, type Command } from "commander";
import { SETTING_KEYS, type SettingsInput } from "../config/settings.js";
import { README_URL } from "../version.js";

/** A shared flag, by its long name without dashes, e.g. "run-dir" or "no-think". */
export type SharedFlag = string;

function option(flags: string, description: string, choices?: string[]): Option {
  const made = new Option(flags, description);
  return choices ? made.choices(choices) : made;
}

const MODEL_OPTIONS = [
  option("--mllm <model>", "reasoning model (Hub id)  [Qwen/Qwen3-VL-235B-A22B-Instruct]"),
  option("--mllm-provider <provider>", 'provider for the MLLM, or "auto"  [auto]'),
  option("--mllm-url <url>", "OpenAI-compatible server for the MLLM (vLLM, Ollama, LM Studio, TGI, an Inference Endpoint)"),
  option("--editor <model>", "image editing model (Hub id)  [Qwen/Qwen-Image-Edit]"),
  option("--editor-provider <provider>", 'provider for the editor, e.g. fal-ai, replicate, wavespeed, or "auto"  [auto]'),
  option("--editor-url <url>", "HF-Inference-protocol endpoint for the editor (e.g. an Inference Endpoint)"),
];

const LOOP_OPTIONS = [
  option("--rounds <n>", "edit-call budget: at most this many edits  [3]"),
  option("--no-think", "skip the thinking step: the editor gets your instruction as written"),
  option("--no-reflect", "single pass: one edit, no reflection"),
  option("--chain <mode>", "what a refined round edits: the latest result or the source  [latest]", ["latest", "source"]),
  option("--seed <n>", "seed of the first edit (later edits use seed+1, seed+2, …)  [random]"),
  option("--candidates <n>", "edits per round, made concurrently; the best-scored one continues  [1]"),
  option("--no-preserve", "do not composite the source back outside a local edit"),
  option("--no-ops", "no exact operations: the editor performs rotations, crops and colour changes too"),
  option("--no-change-map", "do not show reflection a map of where the edit changed the image"),
  option("--steps <n>", "editor inference steps  [provider default]"),
  option("--guidance <x>", "editor guidance scale  [provider default]"),
  option("--prompts <dir>", "folder of prompt templates overriding the built-in ones"),
  option("--reply-format <format>", "how the reasoner answers: json, or tags (the released ReasonEdit reasoner's plain-text think and <#Think> … <#Success>|<#Reflection>|<#Failed> conclude)  [json]", ["json", "tags"]),
  // Here because the commands that run the loop are the ones that write run records.
  option("--keep-images <which>", "images the run record keeps: all (compact, as the MLLM saw them), final (the kept result), none  [all]", ["all", "final", "none"]),
];

const RUNTIME_OPTIONS = [
  option("--timeout <seconds>", "deadline for each model call, polling included  [300]"),
  option("--max-retries <n>", "retries for 408/429/5xx and network errors, with backoff  [4]"),
  option("--max-tokens <n>", "reply budget of each reasoning call; a reply cut off there is asked once more with 4x  [1024]"),
  option("--run-dir <dir>", "folder that receives run records  [$XDG_STATE_HOME/reasonedit/runs]"),
  option("--cache-dir <dir>", "model-call cache  [$XDG_CACHE_HOME/reasonedit]"),
  option("--no-cache", "neither read nor write the model-call cache"),
  option("--offline", "answer only from the cache; fail on a miss"),
  option("--json", "print one JSON object on stdout"),
  option("-q, --quiet", "print nothing but errors"),
  option("-v, --verbose", "debug logs on stderr"),
  option("--log-format <format>", "log format on stderr  [pretty]", ["json", "pretty"]),
  option("--config <file>", "settings file, above $XDG_CONFIG_HOME/reasonedit/config.json  [./reasonedit.config.json]"),
];

/** Adds the shared options except those the command does not honour, so its help lists only what it takes. */
function addShared(command: Command, options: readonly Option[], omit: readonly SharedFlag[]): Command {
  for (const shared of options) {
    if (omit.includes(shared.long!.slice(2))) continue;
    command.addOption(option(shared.flags, shared.description, shared.argChoices));
  }
  return command;
}

export function addModelOptions(command: Command, omit: readonly SharedFlag[] = []): Command {
  return addShared(command, MODEL_OPTIONS, omit);
}

export function addLoopOptions(command: Command, omit: readonly SharedFlag[] = []): Command {
  return addShared(command, LOOP_OPTIONS, omit);
}

export function addRuntimeOptions(command: Command, omit: readonly SharedFlag[] = []): Command {
  return addShared(command, RUNTIME_OPTIONS, omit);
}

/** --dry-run, for the commands that call models (edit, batch, eval). */
export function addDryRunOption(command: Command): Command {
  return command.option("--dry-run", "print the plan (settings and where each came from, inputs, outputs, routes) and call nothing");
}

/** Ends a command's help with real examples and where the full documentation is. */
export function addExamples(command: Command, examples: readonly string[]): Command {
  return command.addHelpText("after", `\nExamples:\n${examples.map((example) => `  $ ${example}`).join("\n")}\n\nDocumentation: ${README_URL}\n`);
}

/** The settings the user actually typed: commander's own defaults (e.g. think=true from --no-think) must not outrank the config file. */
export function typedSettings(command: Command): SettingsInput {
  const values = command.opts<Record<string, unknown>>();
  const typed: SettingsInput = {};
  for (const key of SETTING_KEYS) {
    if (command.getOptionValueSource(key) === "cli" && values[key] !== undefined) typed[key] = values[key];
  }
  return typed;
}
