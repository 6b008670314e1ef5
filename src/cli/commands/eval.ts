// `reasonedit eval <benchmark>`: single-pass vs reasoning modes over a GEdit-shaped benchmark, scored by a judge model.
import { Option, type Command } from "commander";
import { addDryRunOption, addExamples, addLoopOptions, addModelOptions, addRuntimeOptions } from "../common-options.js";
import type { CliIo } from "../context.js";
import { DEFAULT_CONCURRENCY, DEFAULT_JUDGE } from "../../eval/eval-options.js";

export function registerEvalCommand(program: Command, io: CliIo): void {
  const command = program
    .command("eval")
    .description("score single-pass editing against thinking and reflection on a benchmark, with a separate judge model")
    .argument(
      "<benchmark>",
      'JSONL in GEdit-Bench\'s shape ({"key", "task_type", "instruction", "input_image", ...}), a parquet file, a KRIS-Bench folder, or hf://datasets/<owner>/<name>',
    )
    .option("--modes <list>", "comma-separated: single, think, loop, reroll, full (loop plus exact ops, preserve, change map)  [single,think,loop,reroll]")
    .option("--out-dir <dir>", "where reports and every mode's images go  [./reasonedit-eval/<benchmark name>]")
    .option("--judge <model>", `judge model for VIEScore  [${DEFAULT_JUDGE}]`)
    .option("--judge-provider <provider>", 'provider for the judge, or "auto"  [auto]')
    .option("--judge-url <url>", "OpenAI-compatible server for the judge (key in REASONEDIT_JUDGE_API_KEY)")
    .option("--judge-repeats <k>", "judge each image k times and report the spread  [1]")
    .option("--metric <name>", "viescore (GEdit-Bench: SC, PQ, O on 0–10) or kris (KRIS-Bench's four 1–5 criteria on 0–100)  [the benchmark's own]")
    .option("--judge-images <how>", "working (the ≤1024 px images the reasoner sees) or original (GEdit's rendering: full size; images first for a Qwen judge)  [working]")
    .option("--min-score <score>", "exit 3 when the loop mode's headline score (full's when loop does not run) is below this in any language (O 0–10; kris 0–100)")
    .option("-j, --concurrency <n>", `items evaluated at once  [${DEFAULT_CONCURRENCY}]`)
    .option("--limit <n>", "run only the first n items (after the other filters)")
    .option("--sample <n>", "run n items drawn with --seed, spread evenly over the categories")
    .option("--categories <list>", "comma-separated task types (GEdit-Bench) or category folders (KRIS-Bench) to run")
    .option("--language <lang>", "run only items in this language, e.g. en or cn (GEdit-Bench's instruction_language)");
  addModelOptions(command);
  // Each mode sets thinking and reflection itself; every item's run records go under <out-dir>/items.
  addLoopOptions(command, ["no-think", "no-reflect"]);
  addRuntimeOptions(command, ["run-dir"]);
  // Declared but hidden, so typing them gets eval's own explanation instead of "unknown option".
  command.addOption(new Option("--no-think").hideHelp()).addOption(new Option("--no-reflect").hideHelp());
  addDryRunOption(command);
  addExamples(command, [
    "reasonedit eval fixtures/bench/sample.jsonl --out-dir eval-out",
    "reasonedit eval bench.jsonl --modes single,loop --judge-repeats 3 -j 4",
    "reasonedit eval bench.jsonl --offline --cache-dir .cache/reasonedit --min-score 6.5",
  ]);
  describeOption(command, "--seed", "base of the seeds each item and mode derive from, so reruns ask for the same edits  [0]");
  describeOption(command, "--rounds", "edit-call budget of the loop mode (reroll matches what it spends)  [3]");
  command.action(async (benchmark: string, _options: unknown, cmd: Command) => {
    const { evalAction } = await import("../actions/eval.js");
    process.exitCode = await evalAction(benchmark, cmd, io);
  });
}

/** The shared flags read for edit; this is what they mean for eval. */
function describeOption(command: Command, flag: string, description: string): void {
  const option = command.options.find((candidate) => candidate.long === flag);
  if (option) option.description = description;
}
