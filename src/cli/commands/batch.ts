// `reasonedit batch <manifest>`: many edits from JSONL/CSV, one result line per item on stdout.
import type { Command } from "commander";
import { addDryRunOption, addExamples, addLoopOptions, addModelOptions, addRuntimeOptions } from "../common-options.js";
import type { CliIo } from "../context.js";

export function registerBatchCommand(program: Command, io: CliIo): void {
  const command = program
    .command("batch")
    .description("edit many images from a JSONL or CSV manifest; one JSON result line per item on stdout")
    .argument("<manifest...>", "JSONL (one {id, image, instruction, …} per line) or CSV with a header; - reads stdin. With --instruction: image paths or quoted globs such as 'photos/*.jpg'")
    .option("--instruction <text>", "edit every image given (paths or globs, not a manifest) with this instruction; ids are the file names")
    .option("--out-dir <dir>", "folder for <id>.<ext> results and the runs/<id>/ run records (required)")
    .option("-j, --concurrency <n>", "items in flight at once, sharing one rate limiter  [4]")
    .option("--resume", "skip items an earlier run finished (accepted or not) or that ended in error; redo the rest")
    .option("--retry-errors", "like --resume, and also redo the items that ended in error")
    .option("--wait", "when another batch holds --out-dir, wait for it to finish instead of refusing")
    .option("--shard <i/n>", "take only the rows whose id hashes to shard i of n (0-based), e.g. 0/4")
    .option("--pass-threshold <share>", "exit 0 when at least this share of items is accepted, e.g. 0.9 or 90%  [1]");
  addModelOptions(command);
  addLoopOptions(command);
  // Run records go under --out-dir/runs, and stdout is always one JSON line per item.
  addRuntimeOptions(command, ["run-dir", "json"]);
  addDryRunOption(command);
  command.option("--json", "with --dry-run: print the plan as one JSON object (the result lines on stdout are JSON anyway)");
  addExamples(command, [
    "reasonedit batch manifest.jsonl --out-dir results -j 8",
    "reasonedit batch manifest.csv --out-dir results --resume",
    "reasonedit batch 'photos/*.jpg' --instruction \"make it black and white\" --out-dir edited",
    "reasonedit batch manifest.jsonl --out-dir results --shard 0/4 --dry-run",
  ]);
  command.action(async (manifests: string[], _options: unknown, cmd: Command) => {
    const { batchAction } = await import("../actions/batch.js");
    process.exitCode = await batchAction(manifests, cmd, io);
  });
}
