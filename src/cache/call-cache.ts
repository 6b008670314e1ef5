// The content-addressed store of model answers: one entry per call key, written atomically, read defensively.
import { mkdir, readFile, readdir, rm, utimes, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { isAbsolute, join } from "node:path";
import type { Logger } from "pino";
import type { z } from "zod";
import { DEFAULT_CACHE_MAX_BYTES } from "../config/settings.js";
import { ReasonEditError } from "../errors.js";
import { silentLogger } from "../logging.js";
import type { Picture, TokenUsage } from "../loop/types.js";
import { writeFileAtomic } from "../runs/atomic-write.js";
import { environmentError } from "../runs/fs-errors.js";
import {
  ChatEntrySchema,
  EditEntrySchema,
  MARKER_FILE,
  MARKER_TEXT,
  entryPaths,
  isOurMarker,
  type EditEntry,
  type EntryPaths,
} from "./cache-entry.js";
import { CACHE_FORMAT_VERSION, hashCallKey, sha256Hex, type CallKey, type CallKind, type ChatCallKey, type EditCallKey } from "./cache-key.js";
import {
  pruneEntries,
  removeDatasets,
  removeEntries,
  scanCache,
  scanDatasets,
  type CacheTotals,
  type DatasetTotals,
  type PruneLimits,
  type PruneResult,
} from "./cache-scan.js";
import { SingleFlight, type Shared } from "./single-flight.js";

/** read-write: answer from the cache, call and store on a miss; offline: a miss is an error; off: no cache at all. */
export type CacheMode = "read-write" | "offline" | "off";

export interface CallCacheOptions {
  dir: string;
  mode: CacheMode;
  logger?: Logger;
  /** The size the cache is kept under, evicting the least recently used entries; default 2 GB. */
  maxBytes?: number;
}


export interface ChatAnswer {
  text: string;
  usage: TokenUsage;
  finishReason?: string;
}

export interface EditAnswer {
  image: Picture;
  ms: number;
}

/** What this process did with the cache since it was opened. */
export interface SessionCounters {
  hits: number;
  misses: number;
  writes: number;
}

export interface CacheStats extends CacheTotals {
  dir: string;
  mode: CacheMode;
  session: SessionCounters;
}

/** `$XDG_CACHE_HOME/reasonedit`, or `~/.cache/reasonedit` when that is unset or relative (the XDG spec says to ignore it then). */
export function defaultCacheDir(env: Readonly<Record<string, string | undefined>>, home: string = homedir()): string {
  const xdg = env.XDG_CACHE_HOME;
  return join(xdg && isAbsolute(xdg) ? xdg : join(home, ".cache"), "reasonedit");
}

export function offlineMissError(kind: CallKind, target: string): ReasonEditError {
  return new ReasonEditError("cache_miss", `offline: no cached answer for this ${kind} call to ${target}`, {
    hint:
      kind === "edit"
        ? "edits replay only with the same --seed (and image and instruction): pass the --seed of the run that filled the cache, or run once without --offline"
        : "run once without --offline to fill the cache, or point --cache-dir at a filled one",
  });
}

export class CallCache {
  readonly dir: string;
  readonly mode: CacheMode;
  private readonly logger: Logger;
  private readonly counters: SessionCounters = { hits: 0, misses: 0, writes: 0 };
  private readonly flights = new SingleFlight();
  private writable: Promise<boolean> | undefined;
  private readonly maxBytes: number;
  /** Bytes written since the size was last checked; undefined before the first check of this process. */
  private writtenSinceCheck: number | undefined;
  private capping: Promise<void> = Promise.resolve();
  private stoppedWriting = false;

  constructor(options: CallCacheOptions) {
    this.dir = options.dir;
    this.mode = options.mode;
    this.logger = options.logger ?? silentLogger;
    this.maxBytes = options.maxBytes ?? DEFAULT_CACHE_MAX_BYTES;
  }

  get session(): SessionCounters {
    return { ...this.counters };
  }

  async readChat(key: ChatCallKey): Promise<ChatAnswer | undefined> {
    if (this.mode === "off") return undefined;
    const entry = await this.readEntry(key, ChatEntrySchema);
    return this.counted(entry?.value);
  }

  async readEdit(key: EditCallKey): Promise<EditAnswer | undefined> {
    if (this.mode === "off") return undefined;
    const entry = await this.readEntry(key, EditEntrySchema);
    return this.counted(entry && (await this.readImage(key, entry)));
  }

  /** Stores only in read-write mode. A failed write is logged, never thrown: the answer in hand is still good. */
  async writeChat(key: ChatCallKey, answer: ChatAnswer): Promise<void> {
    // finish_reason decides how a bad reply is asked again ("length": a larger budget), so a replay must keep it.
    const finish = answer.finishReason === undefined ? {} : { finishReason: answer.finishReason };
    await this.writeEntry(key, { text: answer.text, usage: answer.usage, ...finish });
  }

  async writeEdit(key: EditCallKey, answer: EditAnswer): Promise<void> {
    const { bytes, mimeType, width, height } = answer.image;
    const value = { mimeType, width, height, ms: answer.ms, bytes: { sha256: sha256Hex(bytes), length: bytes.length } };
    await this.writeEntry(key, value, bytes);
  }

  /** Identical concurrent calls (same key) run `produce` once; see SingleFlight for how aborts are shared. */
  singleFlight<T>(key: CallKey, signal: AbortSignal | undefined, produce: (signal: AbortSignal) => Promise<T>): Promise<Shared<T>> {
    return this.flights.run(hashCallKey(key), signal, produce);
  }

  async stats(): Promise<CacheStats> {
    return { dir: this.dir, mode: this.mode, ...(await scanCache(this.dir)), session: this.session };
  }

  /** Removes every entry this cache wrote. Refuses a folder without reasonedit's CACHEDIR.TAG, so a mistyped --cache-dir wipes nothing. */
  async clear(): Promise<{ entries: number; bytes: number }> {
    if (!(await this.isOurs("clear"))) return { entries: 0, bytes: 0 };
    return removeEntries(this.dir);
  }

  /** Removes the benchmarks `eval hf://datasets/…` downloaded here; refused, as clear is, in a folder not marked as ours. */
  async clearDatasets(): Promise<DatasetTotals> {
    if (!(await this.isOurs("clear"))) return { datasets: 0, bytes: 0 };
    return removeDatasets(this.dir);
  }

  /** The benchmarks downloaded into this cache folder. */
  datasets(): Promise<DatasetTotals> {
    return scanDatasets(this.dir);
  }

  /** False for a missing or empty folder (nothing to do); throws for a folder reasonedit did not mark as its cache. */
  private async isOurs(verb: string): Promise<boolean> {
    const marker = await readFile(join(this.dir, MARKER_FILE), "utf8").catch(() => undefined);
    if (marker === undefined && (await isMissingOrEmpty(this.dir))) return false;
    if (!isOurMarker(marker)) {
      throw new ReasonEditError("usage", `refusing to ${verb} ${this.dir}: it has no ${MARKER_FILE} written by reasonedit, so it may not be a reasonedit cache`, {
        hint: "check --cache-dir and XDG_CACHE_HOME; every folder reasonedit caches into carries that marker",
      });
    }
    return true;
  }

  /** Evicts by last use (see pruneEntries). Refuses, as clear does, a folder reasonedit did not mark as its cache. */
  async prune(limits: PruneLimits): Promise<PruneResult> {
    if (!(await this.isOurs("prune"))) return { removed: { entries: 0, bytes: 0 }, kept: { entries: 0, bytes: 0 } };
    return pruneEntries(this.dir, limits);
  }

  /**
   * Keeps the cache under its size cap: checked at this process's first write and again after each tenth of the cap
   * written, so a long batch cannot outgrow it and a short run pays for one scan at most.
   */
  private capAfterWrite(bytes: number): Promise<void> {
    const due = this.writtenSinceCheck === undefined || this.writtenSinceCheck + bytes > this.maxBytes / 10;
    this.writtenSinceCheck = (this.writtenSinceCheck ?? 0) + bytes;
    if (!due) return this.capping;
    this.writtenSinceCheck = 0;
    this.capping = this.capping.then(async () => {
      const { removed } = await pruneEntries(this.dir, { maxBytes: this.maxBytes });
      if (removed.entries > 0) this.logger.info({ dir: this.dir, removed }, "cache over its size cap: evicted the least recently used entries");
    });
    this.capping = this.capping.catch((error: unknown) => this.logger.warn({ err: error, dir: this.dir }, "could not check the cache size"));
    return this.capping;
  }

  private counted<T>(answer: T | undefined): T | undefined {
    if (answer === undefined) this.counters.misses += 1;
    else this.counters.hits += 1;
    return answer;
  }

  private pathsOf(key: CallKey): EntryPaths {
    return entryPaths(this.dir, hashCallKey(key));
  }

  private async readEntry<S extends z.ZodType>(key: CallKey, schema: S): Promise<z.infer<S> | undefined> {
    const paths = this.pathsOf(key);
    const text = await this.readIfPresent(paths.json);
    if (text === undefined) return undefined;
    const parsed = schema.safeParse(parseJsonOrUndefined(text.toString("utf8")));
    if (parsed.success) {
      // The .json's time is when the entry was last used: the size cap evicts the least recently used first.
      const now = new Date();
      await utimes(paths.json, now, now).catch(() => undefined); // a read-only cache (offline CI) just keeps its times
      return parsed.data;
    }
    await this.discard(paths, "unreadable entry");
    return undefined;
  }

  private async readImage(key: EditCallKey, entry: EditEntry): Promise<EditAnswer | undefined> {
    const paths = this.pathsOf(key);
    const bytes = await this.readIfPresent(paths.bin);
    const expected = entry.value.bytes;
    if (!bytes || bytes.length !== expected.length || sha256Hex(bytes) !== expected.sha256) {
      await this.discard(paths, "image bytes missing or damaged");
      return undefined;
    }
    const { mimeType, width, height, ms } = entry.value;
    return { image: { bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), mimeType, width, height }, ms };
  }

  private async readIfPresent(path: string): Promise<Buffer | undefined> {
    try {
      return await readFile(path);
    } catch (error) {
      if (errorCode(error) !== "ENOENT") this.logger.warn({ err: error, path }, "cache entry unreadable; treating it as a miss");
      return undefined;
    }
  }

  /** Removes an entry whose answer turned out unusable (a reply that failed validation). */
  async forgetChat(key: ChatCallKey): Promise<void> {
    if (this.mode !== "read-write") return;
    const paths = this.pathsOf(key);
    await Promise.all([rm(paths.json, { force: true }), rm(paths.bin, { force: true })]).catch(() => undefined);
  }

  private async discard(paths: EntryPaths, reason: string): Promise<void> {
    this.logger.warn({ path: paths.json, reason }, "discarding a damaged cache entry");
    // A read-only cache (offline CI) cannot delete; the entry still reads as a miss.
    await Promise.all([rm(paths.json, { force: true }), rm(paths.bin, { force: true })]).catch(() => undefined);
  }

  private async writeEntry(key: CallKey, value: unknown, bin?: Uint8Array): Promise<void> {
    if (this.mode !== "read-write" || !(await this.claimFolderOnce())) return;
    const paths = this.pathsOf(key);
    const entry = { format: CACHE_FORMAT_VERSION, kind: key.kind, createdAt: new Date().toISOString(), key, value };
    try {
      // The .json makes an entry visible, so it goes last; the checksum in it catches a .bin from a racing writer.
      if (bin) await writeFileAtomic(paths.bin, bin);
      const json = JSON.stringify(entry);
      await writeFileAtomic(paths.json, json);
      this.counters.writes += 1;
      await this.capAfterWrite(json.length + (bin?.length ?? 0));
    } catch (error) {
      if (bin) await rm(paths.bin, { force: true }).catch(() => undefined); // an image no entry points at is dead weight
      if (ReasonEditError.is(error) && error.code === "environment") return this.stopWriting(error);
      this.logger.warn({ err: error, dir: this.dir }, "could not write to the call cache; this answer is used but not kept");
    }
  }

  /** A full or read-only cache disk stays so for the run: say it once and stop trying, rather than fail every call. */
  private stopWriting(error: ReasonEditError): void {
    if (this.stoppedWriting) return;
    this.stoppedWriting = true;
    this.writable = Promise.resolve(false);
    // At error level so that batch, which hides warnings behind its progress bar, still shows it.
    this.logger.error({ dir: this.dir }, `warning: caching is off for the rest of this run: ${error.message}; ${error.hint ?? ""}`.trim());
  }

  private claimFolderOnce(): Promise<boolean> {
    this.writable ??= this.claimFolder();
    return this.writable;
  }

  /** Writes into a new or empty folder (leaving the marker) or one already marked; never into some other non-empty folder. */
  private async claimFolder(): Promise<boolean> {
    try {
      await mkdir(this.dir, { recursive: true });
      const names = await readdir(this.dir);
      if (names.includes(MARKER_FILE)) return true;
      if (names.length > 0) {
        this.logger.warn({ dir: this.dir }, `not caching: the folder is not empty and has no ${MARKER_FILE}; choose a new or empty --cache-dir`);
        return false;
      }
      // Exclusive create: of two processes claiming one empty folder, one writes the marker and neither fails.
      await writeFile(join(this.dir, MARKER_FILE), MARKER_TEXT, { flag: "wx" }).catch(ignoreCode("EEXIST"));
      return true;
    } catch (error) {
      const environment = environmentError(error, this.dir, "create the cache folder");
      if (environment) this.stopWriting(environment);
      else this.logger.warn({ err: error, dir: this.dir }, "not caching: the cache folder cannot be created");
      return false;
    }
  }
}

function parseJsonOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

async function isMissingOrEmpty(path: string): Promise<boolean> {
  try {
    return (await readdir(path)).length === 0;
  } catch (error) {
    return errorCode(error) === "ENOENT";
  }
}

function errorCode(error: unknown): string | undefined {
  return typeof error === "object" && error !== null && "code" in error ? String(error.code) : undefined;
}

function ignoreCode(code: string): (error: unknown) => undefined {
  return (error) => {
    if (errorCode(error) !== code) throw error;
    return undefined;
  };
}
