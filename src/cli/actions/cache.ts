// What `reasonedit cache stats|clear|prune` do: count the cached answers, delete them, or trim them by age and size.
import type { Command } from "commander";
import { CallCache, defaultCacheDir, type CacheStats } from "../../cache/call-cache.js";
import type { DatasetTotals, PruneLimits } from "../../cache/cache-scan.js";
import { parseDuration, parseSize } from "../../config/quantities.js";
import { EXIT, ReasonEditError } from "../../errors.js";
import { buildContext, type CliIo, type CommandContext } from "../context.js";
import { formatBytes, plural } from "../render.js";

export async function cacheStatsAction(cmd: Command, io: CliIo): Promise<number> {
  const context = buildContext(cmd, io);
  const store = openCache(context);
  const [result, datasets] = await Promise.all([store.stats(), store.datasets()]);
  if (context.settings.json) io.stdout.write(`${JSON.stringify({ ...statsJson(result), datasets })}\n`);
  else io.stdout.write(`${[...statsLines(result), datasetsLine(datasets)].join("\n")}\n`);
  return EXIT.ok;
}

export async function cacheClearAction(cmd: Command, io: CliIo): Promise<number> {
  const context = buildContext(cmd, io);
  const store = openCache(context);
  const removed = await store.clear();
  const alsoDatasets = cmd.opts<{ datasets?: boolean }>().datasets === true;
  const datasets = alsoDatasets ? await store.clearDatasets() : await store.datasets();
  if (context.settings.json) {
    io.stdout.write(`${JSON.stringify({ dir: store.dir, removed, [alsoDatasets ? "removed_datasets" : "kept_datasets"]: datasets })}\n`);
    return EXIT.ok;
  }
  io.stdout.write(`removed ${plural(removed.entries, "entry", "entries")} (${formatBytes(removed.bytes)}) from ${store.dir}\n`);
  if (alsoDatasets) io.stdout.write(`removed ${plural(datasets.datasets, "downloaded dataset", "downloaded datasets")} (${formatBytes(datasets.bytes)})\n`);
  else if (datasets.datasets > 0) io.stdout.write(`kept ${plural(datasets.datasets, "downloaded dataset", "downloaded datasets")} (${formatBytes(datasets.bytes)}); --datasets removes them too\n`);
  return EXIT.ok;
}

export async function cachePruneAction(cmd: Command, io: CliIo): Promise<number> {
  const context = buildContext(cmd, io);
  const store = openCache(context);
  const limits = pruneLimits(cmd.opts<{ olderThan?: string; maxSize?: string }>());
  const { removed, kept } = await store.prune(limits);
  if (context.settings.json) io.stdout.write(`${JSON.stringify({ dir: store.dir, removed, kept })}\n`);
  else io.stdout.write(`removed ${plural(removed.entries, "entry", "entries")} (${formatBytes(removed.bytes)} freed) from ${store.dir}; ${plural(kept.entries, "entry", "entries")} (${formatBytes(kept.bytes)}) kept\n`);
  return EXIT.ok;
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

function datasetsLine(datasets: DatasetTotals): string {
  return `datasets ${datasets.datasets} downloaded from the Hub (${formatBytes(datasets.bytes)})`;
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
