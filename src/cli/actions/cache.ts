// What `reasonedit cache stats|clear` do: count the cached answers, or delete them.
import type { Command } from "commander";
import { CallCache, defaultCacheDir, type CacheStats } from "../../cache/call-cache.js";
import { EXIT } from "../../errors.js";
import { buildContext, type CliIo, type CommandContext } from "../context.js";

export async function cacheStatsAction(cmd: Command, io: CliIo): Promise<number> {
  const context = buildContext(cmd, io);
  const result = await openCache(context).stats();
  if (context.settings.json) io.stdout.write(`${JSON.stringify(statsJson(result))}\n`);
  else io.stdout.write(`${statsLines(result).join("\n")}\n`);
  return EXIT.ok;
}

export async function cacheClearAction(cmd: Command, io: CliIo): Promise<number> {
  const context = buildContext(cmd, io);
  const store = openCache(context);
  const removed = await store.clear();
  if (context.settings.json) io.stdout.write(`${JSON.stringify({ dir: store.dir, removed })}\n`);
  else io.stdout.write(`removed ${removed.entries} entries (${formatBytes(removed.bytes)}) from ${store.dir}\n`);
  return EXIT.ok;
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
