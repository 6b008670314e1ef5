// `reasonedit cache stats|clear`: what the model-call cache holds, and emptying it.
import { Command } from "commander";
import { CallCache, defaultCacheDir, type CacheStats } from "../../cache/call-cache.js";
import { EXIT } from "../../errors.js";
import { buildContext, type CliIo, type CommandContext } from "../context.js";

export function registerCacheCommand(program: Command, io: CliIo): void {
  const cache = program.command("cache").description("inspect or clear the model-call cache");
  const stats = withCacheOptions(cache.command("stats").description("count the cached answers and their size"));
  stats.action(async (_options: unknown, cmd: Command) => {
    const context = buildContext(cmd, io);
    const result = await openCache(context).stats();
    if (context.settings.json) io.stdout.write(`${JSON.stringify(statsJson(result))}\n`);
    else io.stdout.write(`${statsLines(result).join("\n")}\n`);
    process.exitCode = EXIT.ok;
  });
  const clear = withCacheOptions(cache.command("clear").description("delete every cached answer (only in a folder reasonedit marked as its cache)"));
  clear.action(async (_options: unknown, cmd: Command) => {
    const context = buildContext(cmd, io);
    const store = openCache(context);
    const removed = await store.clear();
    if (context.settings.json) io.stdout.write(`${JSON.stringify({ dir: store.dir, removed })}\n`);
    else io.stdout.write(`removed ${removed.entries} entries (${formatBytes(removed.bytes)}) from ${store.dir}\n`);
    process.exitCode = EXIT.ok;
  });
}

function withCacheOptions(command: Command): Command {
  return command
    .option("--cache-dir <dir>", "model-call cache  [$XDG_CACHE_HOME/reasonedit]")
    .option("--json", "print one JSON object on stdout")
    .option("--config <file>", "settings file  [./reasonedit.config.json]");
}

function openCache(context: CommandContext): CallCache {
  const dir = context.settings.cacheDir ?? defaultCacheDir(context.io.env);
  return new CallCache({ dir, mode: "read-write", logger: context.logger });
}

function statsLines(stats: CacheStats): string[] {
  const span = stats.oldest && stats.newest ? [`oldest  ${stats.oldest.toISOString()}`, `newest  ${stats.newest.toISOString()}`] : [];
  return [
    `cache   ${stats.dir}`,
    `entries ${stats.entries} (${stats.chat} chat, ${stats.edit} edit)`,
    `size    ${formatBytes(stats.bytes)}`,
    ...span,
  ];
}

function statsJson(stats: CacheStats): Record<string, unknown> {
  return {
    dir: stats.dir,
    entries: stats.entries,
    chat: stats.chat,
    edit: stats.edit,
    bytes: stats.bytes,
    oldest: stats.oldest?.toISOString() ?? null,
    newest: stats.newest?.toISOString() ?? null,
  };
}

export function formatBytes(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`;
}
