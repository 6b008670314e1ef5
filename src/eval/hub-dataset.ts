// `hf://datasets/<owner>/<name>[@<revision>][/<path>]`: a benchmark straight from the Hugging Face Hub. Its files
// are downloaded once, through @huggingface/hub, into <cache-dir>/datasets/<owner>/<name>/snapshots/<commit>/,
// so a second run (or --offline) reads them from disk. Parquet files are read as GEdit-Bench-shaped rows; a dataset
// of KRIS-Bench category folders (annotation.json per folder) is read as KRIS-Bench, fetching only the images it runs.
import { createHash, randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { Readable, Transform } from "node:stream";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import { pipeline } from "node:stream/promises";
import type { Logger } from "pino";
import { z } from "zod";
import { MARKER_FILE, MARKER_TEXT, isOurMarker } from "../cache/cache-entry.js";
import { ReasonEditError } from "../errors.js";
import { formatBytes } from "../images/read-source.js";
import { silentLogger } from "../logging.js";
import { retryProviderCall } from "../providers/retry.js";
import { writeFileAtomic } from "../runs/atomic-write.js";
import type { BenchmarkSource } from "./benchmark.js";
import { ANNOTATION_FILE, openKrisBenchmark, type KrisFiles } from "./kris-folder.js";
import { openParquetBenchmark } from "./parquet-benchmark.js";
import { networkReason } from "../providers/network-reason.js";
import { DATASETS_FOLDER } from "../cache/cache-scan.js";

export const HUB_PREFIX = "hf://datasets/";
const DEFAULT_HUB_URL = "https://huggingface.co";
/** The branch where the Hub keeps its own parquet conversion of datasets uploaded in other formats. */
const CONVERTED_PARQUET = "refs/convert/parquet";
const COMMIT_PATTERN = /^[0-9a-f]{40}$/;

export interface HubDatasetSpec {
  repo: string;
  revision: string;
  /** Only files under this folder (or this one file) count; "" for the whole dataset. */
  path: string;
  /** Whether the spec named the revision; if not, the Hub's parquet conversion is tried when main has neither shape. */
  explicitRevision: boolean;
}

export interface HubDatasetOptions {
  cacheDir: string;
  offline: boolean;
  /** HF_ENDPOINT, e.g. a mirror; https://huggingface.co when unset. */
  hubUrl?: string;
  accessToken?: string;
  fetch?: typeof fetch;
  signal?: AbortSignal;
  /** Progress lines (downloads) for a person. */
  say?: (line: string) => void;
  /** Retries of a Hub call that failed for a passing reason (429, 5xx, a broken connection); 4 by default. */
  maxRetries?: number;
  /** The first retry's wait (it doubles each time); tests set 0. */
  retryBaseDelayMs?: number;
  logger?: Logger;
}

const ListingSchema = z.array(
  z.object({
    type: z.string(),
    path: z.string(),
    size: z.number(),
    lfs: z.object({ oid: z.string(), size: z.number() }).optional(),
  }),
);
type Listing = z.infer<typeof ListingSchema>;
type ListedFile = Listing[number];

export function isHubSpec(spec: string): boolean {
  return spec.startsWith("hf://");
}

export function parseHubSpec(spec: string): HubDatasetSpec {
  const match = /^hf:\/\/datasets\/([A-Za-z0-9][\w.-]*)\/([A-Za-z0-9][\w.-]*)(?:@([^/]+))?(?:\/(.*))?$/.exec(spec);
  if (!match) {
    throw new ReasonEditError("usage", `not a Hub dataset: ${spec}`, {
      hint: "write hf://datasets/<owner>/<name>, optionally @<revision> and /<folder>, e.g. hf://datasets/stepfun-ai/GEdit-Bench",
    });
  }
  const revision = match[3] ? decodeURIComponent(match[3]) : "main";
  return { repo: `${match[1]}/${match[2]}`, revision, path: (match[4] ?? "").replace(/\/+$/, ""), explicitRevision: match[3] !== undefined };
}

export async function openHubBenchmark(spec: string, options: HubDatasetOptions): Promise<BenchmarkSource> {
  const parsed = parseHubSpec(spec);
  const hub = new HubClient(parsed.repo, options);
  let snapshot = await hub.snapshot(parsed.revision);
  const base = `${HUB_PREFIX}${parsed.repo}${parsed.explicitRevision ? `@${encodeURIComponent(parsed.revision)}` : ""}`;
  let chosen = chooseFiles(snapshot.listing, parsed.path, base);
  if (chosen.kind === "none" && !parsed.explicitRevision) {
    const converted = await hub.snapshot(CONVERTED_PARQUET).catch((error: unknown) => {
      if (ReasonEditError.is(error) && error.code === "input_missing") return undefined;
      throw error;
    });
    if (converted) {
      snapshot = converted;
      chosen = chooseFiles(converted.listing, parsed.path, `${HUB_PREFIX}${parsed.repo}@${encodeURIComponent(CONVERTED_PARQUET)}`);
    }
  }
  if (chosen.kind === "parquet") {
    const files = [];
    for (const file of chosen.files) files.push({ file: await hub.file(snapshot, file), name: file.path });
    return { ...(await openParquetBenchmark(files, { label: spec, imagesDir: path.join(hub.repoDir, "images", snapshot.commit) })), commit: snapshot.commit };
  }
  if (chosen.kind === "kris") return { ...(await openKrisBenchmark(hubKrisFiles(hub, snapshot, chosen.root), spec)), commit: snapshot.commit };
  const where = parsed.path ? ` under ${parsed.path}` : "";
  throw new ReasonEditError("manifest", `${spec} has no parquet files and no KRIS-Bench ${ANNOTATION_FILE} folders${where} at ${snapshot.commit.slice(0, 12)}`, {
    hint: "eval reads a dataset's parquet files (GEdit-Bench's columns: key, task_type, instruction, input_image, ...) or KRIS-Bench's category folders",
  });
}

type Chosen = { kind: "parquet"; files: ListedFile[] } | { kind: "kris"; root: string; annotations: ListedFile[] } | { kind: "none" };

/** `/<path>` names a folder, a file, or the start of file names (`data/test` for data/test-00000-of-00001.parquet). */
function isUnder(file: string, under: string): boolean {
  return under === "" || file === under || file.startsWith(`${under}/`) || (file.startsWith(under) && /^[-_.]/.test(file.slice(under.length)));
}

function chooseFiles(listing: Listing, under: string, base: string): Chosen {
  const inside = listing.filter((entry) => entry.type === "file" && isUnder(entry.path, under));
  const parquet = inside.filter((entry) => entry.path.endsWith(".parquet")).sort((a, b) => (a.path < b.path ? -1 : 1));
  if (parquet.length > 0) return { kind: "parquet", files: onlyOneSplit(parquet, base) };
  const annotations = inside.filter((entry) => path.posix.basename(entry.path) === ANNOTATION_FILE && entry.path.includes("/"));
  if (annotations.length === 0) return { kind: "none" };
  // The category folders' parent: the shallowest folder that holds annotated folders.
  const parents = annotations.map((entry) => path.posix.dirname(path.posix.dirname(entry.path)));
  const root = parents.sort((a, b) => a.length - b.length)[0]!;
  return { kind: "kris", root: root === "." ? "" : root, annotations: annotations.filter((entry) => parentOf(entry.path) === (root === "." ? "" : root)) };
}

/** Split names the way `datasets` recognises them in file and folder names. */
const SPLIT_IN_PATH = /(^|[/_.-])(train|training|test|testing|eval|evaluation|valid|validation|dev)(?=$|[/_.-])/i;

/**
 * One split's files: `datasets` names them data/<split>-00000-of-00003.parquet, the Hub's conversion lays them out as
 * <config>/<split>/0000.parquet. Several splits (train and test, or one split of several configs) are never mixed.
 */
function onlyOneSplit(files: ListedFile[], base: string): ListedFile[] {
  const splitOf = (file: string) => {
    const match = SPLIT_IN_PATH.exec(file);
    return match ? file.slice(0, match.index + match[1]!.length + match[2]!.length) : "";
  };
  const splits = [...new Set(files.map((file) => splitOf(file.path)))];
  if (splits.length <= 1) return files;
  const named = splits.map((split) => split || "(no split name)");
  throw new ReasonEditError("usage", `${base} has ${splits.length} splits: ${named.join(", ")}`, {
    hint: `name the one to run after the dataset, e.g. ${base}/${splits.find((split) => split !== "")}`,
  });
}

function parentOf(file: string): string {
  const parent = path.posix.dirname(path.posix.dirname(file));
  return parent === "." ? "" : parent;
}

function hubKrisFiles(hub: HubClient, snapshot: Snapshot, root: string): KrisFiles {
  const prefix = root === "" ? "" : `${root}/`;
  const byPath = new Map(snapshot.listing.map((entry) => [entry.path, entry]));
  const entry = (relative: string): ListedFile => {
    const listed = byPath.get(`${prefix}${relative}`);
    if (!listed) throw new ReasonEditError("input_missing", `${hub.repo} has no file ${prefix}${relative} at ${snapshot.commit.slice(0, 12)}`, { hint: "the annotation names an image the dataset does not hold" });
    return listed;
  };
  return {
    categories: async () =>
      snapshot.listing.filter((listed) => listed.type === "file" && listed.path.startsWith(prefix) && listed.path.slice(prefix.length).split("/").length === 2 && listed.path.endsWith(`/${ANNOTATION_FILE}`)).map((listed) => listed.path.slice(prefix.length).split("/")[0]!),
    readAnnotation: async (category) => readFile(await hub.file(snapshot, entry(`${category}/${ANNOTATION_FILE}`)), "utf8"),
    image: (category, name) => hub.file(snapshot, entry(path.posix.join(category, name))),
  };
}

interface Snapshot {
  commit: string;
  listing: Listing;
}

/** The Hub calls, each through @huggingface/hub, and the on-disk store they fill. */
class HubClient {
  readonly repoDir: string;
  private readonly hubUrl: string;
  private readonly fetch: typeof fetch;
  private lastFailure: { status: number; code: string } | undefined;
  private claimed: Promise<void> | undefined;

  constructor(
    readonly repo: string,
    private readonly options: HubDatasetOptions,
  ) {
    this.repoDir = path.join(options.cacheDir, DATASETS_FOLDER, ...repo.split("/"));
    this.hubUrl = (options.hubUrl?.trim() || DEFAULT_HUB_URL).replace(/\/+$/, "");
    const base = options.fetch ?? fetch;
    this.fetch = async (input, init) => {
      const signal = options.signal && init?.signal ? AbortSignal.any([options.signal, init.signal]) : (options.signal ?? init?.signal ?? null);
      this.lastFailure = undefined;
      const response = await base(input, { ...init, signal });
      this.lastFailure = response.ok ? undefined : { status: response.status, code: response.headers.get("x-error-code") ?? "" };
      return response;
    };
  }

  /** The commit a revision points at, and its file list: from the Hub, or from the store when offline. */
  async snapshot(revision: string): Promise<Snapshot> {
    const refFile = path.join(this.repoDir, "refs", encodeURIComponent(revision));
    if (this.options.offline || COMMIT_PATTERN.test(revision)) {
      const commit = COMMIT_PATTERN.test(revision) ? revision : (await readFile(refFile, "utf8").catch(() => "")).trim();
      const listing = commit ? await this.cachedListing(commit) : undefined;
      if (listing) return { commit, listing };
      if (this.options.offline) {
        throw new ReasonEditError("cache_miss", `offline: ${HUB_PREFIX}${this.repo}${revision === "main" ? "" : `@${revision}`} is not in the cache (${this.repoDir})`, {
          hint: "run once without --offline to download it, or point --cache-dir at a cache that has it",
        });
      }
    }
    const commit = await this.call(`look up ${revision}`, revision, async () => {
      const { datasetInfo } = await import("@huggingface/hub");
      const info = await datasetInfo({ name: this.repo, revision, additionalFields: ["sha"], ...this.common() });
      return z.string().regex(COMMIT_PATTERN).parse(info.sha);
    });
    await this.claimStore();
    await writeFileAtomic(refFile, commit);
    const listing = (await this.cachedListing(commit)) ?? (await this.downloadListing(commit));
    return { commit, listing };
  }

  /** The local path of one dataset file, downloaded (and checked against the listing) if it is not there yet. */
  async file(snapshot: Snapshot, entry: ListedFile): Promise<string> {
    const target = path.join(this.snapshotDir(snapshot.commit), ...safeSegments(entry.path));
    const present = await stat(target).catch(() => undefined);
    if (present && present.size === entry.size) return target;
    if (this.options.offline) {
      throw new ReasonEditError("cache_miss", `offline: ${entry.path} of ${HUB_PREFIX}${this.repo} is not in the cache`, { hint: "run once without --offline to download it" });
    }
    await this.claimStore();
    this.options.say?.(`${HUB_PREFIX}${this.repo}: downloading ${entry.path} (${formatBytes(entry.size)})`);
    await this.call(`download ${entry.path}`, snapshot.commit, () => this.download(snapshot.commit, entry, target));
    return target;
  }

  private async download(commit: string, entry: ListedFile, target: string): Promise<void> {
    const { downloadFile } = await import("@huggingface/hub");
    // xet: false reads the file through the resolve URL (the Hub redirects to its CDN) rather than the xet protocol.
    const blob = await downloadFile({ repo: { type: "dataset", name: this.repo }, path: entry.path, revision: commit, xet: false, ...this.common() });
    if (!blob) throw new ReasonEditError("input_missing", `${this.repo} has no file ${entry.path} at ${commit.slice(0, 12)}`, { hint: "the dataset changed while downloading; run again" });
    await mkdir(path.dirname(target), { recursive: true });
    const partial = `${target}.${randomBytes(6).toString("hex")}.partial`;
    const hash = createHash("sha256");
    let received = 0;
    const count = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        hash.update(chunk);
        received += chunk.length;
        done(null, chunk);
      },
    });
    try {
      await pipeline(Readable.fromWeb(blob.stream() as WebReadableStream), count, createWriteStream(partial), { signal: this.options.signal });
      const digest = hash.digest("hex");
      if (received !== entry.size || (entry.lfs && entry.lfs.oid !== digest)) {
        throw new ReasonEditError("provider_network", `${entry.path} arrived damaged (${received} of ${entry.size} bytes${entry.lfs && entry.lfs.oid !== digest ? ", checksum differs" : ""})`, { hint: "run again to download it anew" });
      }
      await rename(partial, target);
    } finally {
      await rm(partial, { force: true });
    }
  }

  private async downloadListing(commit: string): Promise<Listing> {
    const listing = await this.call("list the files", commit, async () => {
      const { listFiles } = await import("@huggingface/hub");
      const entries: Listing = [];
      for await (const entry of listFiles({ repo: { type: "dataset", name: this.repo }, revision: commit, recursive: true, ...this.common() })) {
        entries.push({ type: entry.type, path: entry.path, size: entry.size, ...(entry.lfs ? { lfs: { oid: entry.lfs.oid, size: entry.lfs.size } } : {}) });
      }
      return entries;
    });
    await writeFileAtomic(this.listingFile(commit), JSON.stringify(listing));
    return listing;
  }

  private async cachedListing(commit: string): Promise<Listing | undefined> {
    const text = await readFile(this.listingFile(commit), "utf8").catch(() => undefined);
    if (text === undefined) return undefined;
    try {
      return ListingSchema.parse(JSON.parse(text));
    } catch {
      return undefined;
    }
  }

  private listingFile(commit: string): string {
    return path.join(this.repoDir, "listings", `${commit}.json`);
  }

  private snapshotDir(commit: string): string {
    return path.join(this.repoDir, "snapshots", commit);
  }

  private common(): { hubUrl: string; fetch: typeof fetch; accessToken?: string } {
    return { hubUrl: this.hubUrl, fetch: this.fetch, ...(this.options.accessToken ? { accessToken: this.options.accessToken } : {}) };
  }

  /** Runs one Hub call, retrying passing failures, and turns what can go wrong into an error that says what to do. */
  private call<T>(what: string, revision: string, run: () => Promise<T>): Promise<T> {
    const attempt = async () => {
      try {
        return await run();
      } catch (error) {
        if (ReasonEditError.is(error) || this.options.signal?.aborted) throw error;
        throw this.explain(error, what, revision);
      }
    };
    return retryProviderCall(attempt, {
      maxRetries: this.options.maxRetries ?? 4,
      logger: this.options.logger ?? silentLogger,
      provider: "the Hub",
      ...(this.options.signal ? { signal: this.options.signal } : {}),
      ...(this.options.retryBaseDelayMs !== undefined ? { baseDelayMs: this.options.retryBaseDelayMs } : {}),
    });
  }

  private explain(error: unknown, what: string, revision: string): ReasonEditError {
    const dataset = `${HUB_PREFIX}${this.repo}`;
    const page = `${this.hubUrl}/datasets/${this.repo}`;
    const message = error instanceof Error ? error.message : String(error);
    if (error instanceof TypeError && /access token must start with/.test(message)) {
      return new ReasonEditError("no_token", "HF_TOKEN does not look like a Hugging Face token (they start with hf_)", { hint: "set HF_TOKEN to a token from https://huggingface.co/settings/tokens, or unset it for a public dataset" });
    }
    const failure = this.lastFailure;
    if (!failure) {
      const reason = networkReason(error);
      const proxy = reason.startsWith("the proxy") ? "check HTTPS_PROXY (and NO_PROXY) and that the proxy allows " + new URL(this.hubUrl).host + "; " : "";
      return new ReasonEditError("provider_network", `could not ${what} of ${dataset} from ${this.hubUrl}: ${reason}`, {
        hint: `${proxy || "check the network (and HF_ENDPOINT); "}a dataset downloaded before also runs with --offline`,
      });
    }
    if (failure.code === "RevisionNotFound") return new ReasonEditError("input_missing", `${dataset} has no revision "${revision}"`, { hint: `see the branches and tags at ${page}` });
    if (failure.code === "GatedRepo" || failure.status === 403) {
      return new ReasonEditError("provider_auth", `${dataset} is gated or forbidden (HTTP ${failure.status})`, {
        hint: `accept its conditions at ${page} and set HF_TOKEN to a token of that account`,
      });
    }
    if (failure.code === "RepoNotFound" || failure.status === 404 || (failure.status === 401 && !this.options.accessToken)) {
      return new ReasonEditError("input_missing", `dataset ${this.repo} not found on ${this.hubUrl} (HTTP ${failure.status})`, {
        hint: this.options.accessToken
          ? "check the owner and name; for a private dataset, HF_TOKEN must belong to an account that can read it"
          : "check the owner and name (hf://datasets/<owner>/<name>); a private dataset needs HF_TOKEN",
      });
    }
    if (failure.status === 401) return new ReasonEditError("provider_auth", `the Hub refused HF_TOKEN (HTTP 401) for ${dataset}`, { hint: "create a new token at https://huggingface.co/settings/tokens" });
    const transient = failure.status === 429 || failure.status === 408 || failure.status >= 500;
    return new ReasonEditError(failure.status === 429 ? "provider_rate_limited" : "provider_unavailable", `the Hub answered HTTP ${failure.status} to ${what} of ${dataset}`, {
      status: failure.status,
      retryable: transient,
      hint: "try again later; a dataset downloaded before also runs with --offline",
    });
  }

  private claimStore(): Promise<void> {
    this.claimed ??= claimCacheFolder(this.options.cacheDir);
    return this.claimed;
  }
}

/** Writes into the cache folder only when it is new, empty or already reasonedit's (the call cache's own rule). */
export async function claimCacheFolder(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const names = await readdir(dir);
  if (names.includes(MARKER_FILE)) {
    if (isOurMarker(await readFile(path.join(dir, MARKER_FILE), "utf8").catch(() => undefined))) return;
  } else if (names.length === 0) {
    await writeFile(path.join(dir, MARKER_FILE), MARKER_TEXT, { flag: "wx" }).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== "EEXIST") throw error;
    });
    return;
  }
  throw new ReasonEditError("output_unwritable", `not writing into ${dir}: the folder is not empty and has no ${MARKER_FILE} written by reasonedit`, {
    hint: "choose a new or empty --cache-dir",
  });
}

/** A repository path as folder names, refusing any that would leave the snapshot folder. */
function safeSegments(file: string): string[] {
  const segments = file.split("/");
  if (segments.some((segment) => segment === "" || segment === "." || segment === ".." || segment.includes("\\"))) {
    throw new ReasonEditError("manifest", `refusing the dataset file name ${JSON.stringify(file)}`, { hint: "the dataset lists a path that is not a plain relative path" });
  }
  return segments;
}
