// `reasonedit cache stats|clear`: what the model-call cache holds, and emptying it.
import type { Command } from "commander";
import { addExamples } from "../common-options.js";
import type { CliIo } from "../context.js";

export function registerCacheCommand(program: Command, io: CliIo): void {
  const cache = program.command("cache").description("inspect or clear the model-call cache");
  const stats = withCacheOptions(cache.command("stats").description("count the cached answers and their size"));
  addExamples(stats, ["reasonedit cache stats", "reasonedit cache stats --cache-dir .cache/reasonedit --json"]);
  stats.action(async (_options: unknown, cmd: Command) => {
    const { cacheStatsAction } = await import("../actions/cache.js");
    process.exitCode = await cacheStatsAction(cmd, io);
  });
  const clear = withCacheOptions(cache.command("clear").description("delete every cached answer (only in a folder reasonedit marked as its cache)"));
  addExamples(clear, ["reasonedit cache clear", "reasonedit cache clear --cache-dir .cache/reasonedit"]);
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
