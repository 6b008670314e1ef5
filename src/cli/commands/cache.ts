// `reasonedit cache stats|clear|prune`: what the model-call cache holds, emptying it, and trimming it by age and size.
import type { Command } from "commander";
import { addExamples } from "../common-options.js";
import type { CliIo } from "../context.js";

export function registerCacheCommand(program: Command, io: CliIo): void {
  const cache = program.command("cache").description("inspect, prune or clear the model-call cache");
  const stats = withCacheOptions(cache.command("stats").description("count the cached answers and their size"));
  addExamples(stats, ["reasonedit cache stats", "reasonedit cache stats --cache-dir .cache/reasonedit --json"]);
  stats.action(async (_options: unknown, cmd: Command) => {
    const { cacheStatsAction } = await import("../actions/cache.js");
    process.exitCode = await cacheStatsAction(cmd, io);
  });
  const prune = withCacheOptions(
    cache
      .command("prune")
      .description("delete the entries not used for a while, then the least recently used until the cache fits a size")
      .option("--older-than <age>", 'entries not used for this long, e.g. "30d", "12h"')
      .option("--max-size <size>", 'then evict the least recently used until the cache fits, e.g. "2GB", "500MB"'),
  );
  addExamples(prune, ["reasonedit cache prune --older-than 30d", "reasonedit cache prune --older-than 30d --max-size 2GB"]);
  prune.action(async (_options: unknown, cmd: Command) => {
    const { cachePruneAction } = await import("../actions/cache.js");
    process.exitCode = await cachePruneAction(cmd, io);
  });
  const clear = withCacheOptions(
    cache
      .command("clear")
      .description("delete every cached answer (only in a folder reasonedit marked as its cache); downloaded datasets stay unless --datasets")
      .option("--datasets", "also delete the benchmarks eval downloaded from the Hub (hf://datasets/…)"),
  );
  addExamples(clear, ["reasonedit cache clear", "reasonedit cache clear --datasets --cache-dir .cache/reasonedit"]);
  clear.action(
    async (_options: unknown, cmd: Command) => {
      const { cacheClearAction } = await import("../actions/cache.js");
      process.exitCode = await cacheClearAction(cmd, io);
    },
  );
}

function withCacheOptions(command: Command): Command {
  return command
    .option("--cache-dir <dir>", "model-call cache  [$XDG_CACHE_HOME/reasonedit]")
    .option("--json", "print one JSON object on stdout")
    .option("--config <file>", "settings file  [./reasonedit.config.json]");
}
