// `reasonedit cache stats|clear|prune`: what the model-call cache holds, emptying it, and trimming it by age and size.
import { Command } from "commander";
import { CallCache, defaultCacheDir, type CacheStats } from "../../cache/call-cache.js";
import type { PruneLimits } from "../../cache/cache-scan.js";
import { parseDuration, parseSize } from "../../config/quantities.js";
import { EXIT, ReasonEditError } from "../../errors.js";
import { buildContext, type CliIo, type CommandContext } from "../context.js";
import { formatBytes, plural } from "../render.js";

export function registerCacheCommand(program: Command, io: CliIo): void {
  const cache = program.command("cache").description("inspect, prune or clear the model-call cache");
  const stats = withCacheOptions(cache.command("stats").description("count the cached answers and their size"));
  stats.action(async (_options: unknown, cmd: Command) => {
    const context = buildContext(cmd, io);
    const result = await openCache(context).stats();
    if (context.settings.json) io.stdout.write(`${JSON.stringify(statsJson(result))}\n`);
    else io.stdout.write(`${statsLines(result).join("\n")}\n`);
    process.exitCode = EXIT.ok;
  });
  const prune = withCacheOptions(
    cache
      .command("prune")
      .description("delete the entries not used for a while, then the least recently used until the cache fits a size")
      .option("--older-than <age>", 'entries not used for this long, e.g. "30d", "12h"')
      .option("--max-size <size>", 'then evict the least recently used until the cache fits, e.g. "2GB", "500MB"'),
  );
  prune.action(async (_options: unknown, cmd: Command) => {
    const context = buildContext(cmd, io);
    const store = openCache(context);
    const limits = pruneLimits(cmd.opts<{ olderThan?: string; maxSize?: string }>());
    const { removed, kept } = await store.prune(limits);
    if (context.settings.json) io.stdout.write(`${JSON.stringify({ dir: store.dir, removed, kept })}\n`);
    else io.stdout.write(`removed ${plural(removed.entries, "entry", "entries")} (${formatBytes(removed.bytes)} freed) from ${store.dir}; ${plural(kept.entries, "entry", "entries")} (${formatBytes(kept.bytes)}) kept\n`);
    process.exitCode = EXIT.ok;
  });
  const clear = withCacheOptions(cache.command("clear").description("delete every cached answer (only in a folder reasonedit marked as its cache)"));
  clear.action(async (_options: unknown, cmd: Command) => {
    const context = buildContext(cmd, io);
    const store = openCache(context);
    const removed = await store.clear();
    if (context.settings.json) io.stdout.write(`${JSON.stringify({ dir: store.dir, removed })}\n`);
    else io.stdout.write(`removed ${plural(removed.entries, "entry", "entries")} (${formatBytes(removed.bytes)}) from ${store.dir}\n`);
    process.exitCode = EXIT.ok;
  });
}

function withCacheOptions(command: Command): Command {
  return command
    .option("--cache-dir <dir>", "model-call cache  [$XDG_CACHE_HOME/reasonedit]")
    .option("--json", "print one JSON object on stdout")
    .option("--config <file>", "settings file  [./reasonedit.config.json]");
}

function pruneLimits(options: { olderThan?: string; maxSize?: string }): PruneLimits {
  if (options.olderThan === undefined && options.maxSize === undefined) {
    throw new ReasonEditError("usage", "cache prune needs --older-than, --max-size or both", { hint: "e.g. reasonedit cache prune --older-than 30d --max-size 2GB" });
  }
  return {
    ...(options.olderThan !== undefined ? { unusedSince: new Date(Date.now() - parseDuration(options.olderThan, "--older-than")) } : {}),
    ...(options.maxSize !== undefined ? { maxBytes: parseSize(options.maxSize, "--max-size") } : {}),
  };
}

function openCache(context: CommandContext): CallCache {
  const dir = context.settings.cacheDir ?? defaultCacheDir(context.io.env);
  return new CallCache({ dir, mode: "read-write", logger: context.logger, maxBytes: context.settings.cacheMaxSize });
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
