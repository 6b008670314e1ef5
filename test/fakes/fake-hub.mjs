// A loopback fake of the Hugging Face Hub's dataset routes that @huggingface/hub 2.x calls to download a dataset,
// answering with the shapes and headers the real Hub sends. Plain JavaScript (types in fake-hub.d.mts).
//
//   const hub = await startFakeHub();
//   hub.addDataset("owner/name", { "data/train-00000-of-00001.parquet": bytes, "README.md": "..." });
//   … HF_ENDPOINT=hub.url …
//   expect(hub.requestsOf("bridge")).toHaveLength(1);
//
// Routes (kind):
//   GET /api/datasets/<owner>/<name>/revision/<rev>?expand=…   "info"     {_id, id, private, gated, …, sha}
//   GET /api/datasets/<owner>/<name>/tree/<rev>[/<path>]?recursive=&expand=   "tree"   [{type, oid, size, path, lfs?, xetHash?}],
//        paginated with a Link: <…>; rel="next" header as the Hub does (pageSize entries a page)
//   GET /datasets/<owner>/<name>/resolve/<rev>/<path>          "resolve"  small (git) files: the bytes, Range honoured;
//        large (LFS/xet) files: the xet file-info JSON when the client accepts application/vnd.xet-fileinfo+json,
//        else a 302 to the CDN bridge, with X-Repo-Commit, X-Linked-Etag, X-Linked-Size, ETag, X-Xet-Hash
//   GET /cas-bridge/<xet hash>?X-Amz-…                         "bridge"   the bytes (206 for a Range), ETag, Accept-Ranges
// Errors as the Hub sends them: X-Error-Code RepoNotFound (401 without a token, 404 with one), RevisionNotFound,
// EntryNotFound, GatedRepo; JSON bodies {"error": …}.
import { Buffer } from "node:buffer";
import { createHash, randomUUID } from "node:crypto";
import { createServer } from "node:http";
import { URL } from "node:url";

/** Files at least this large are stored as LFS/xet objects, as `huggingface_hub` uploads parquet and images. */
const LFS_THRESHOLD = 10 * 1024;

/**
 * @param {import("./fake-hub.d.mts").FakeHubOptions} [options]
 * @returns {Promise<import("./fake-hub.d.mts").FakeHub>}
 */
export async function startFakeHub(options = {}) {
  const state = { datasets: new Map(), requests: [], pageSize: options.pageSize ?? 1000, token: options.token, url: "", faults: new Map() };
  const server = createServer((req, res) => {
    try {
      handle(state, req, res);
    } catch (error) {
      if (!res.headersSent) sendJson(res, 500, { error: `fake hub bug: ${error?.stack ?? error}` });
      else res.destroy();
    }
  });
  server.keepAliveTimeout = 1_000;
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  state.url = `http://127.0.0.1:${server.address().port}`;
  return {
    url: state.url,
    requests: state.requests,
    requestsOf: (kind) => state.requests.filter((request) => request.kind === kind),
    fail: (kind, ...faults) => void state.faults.set(kind, [...(state.faults.get(kind) ?? []), ...faults]),
    addDataset: (repo, files, datasetOptions = {}) => {
      const dataset = state.datasets.get(repo) ?? { branches: new Map(), commits: new Map(), gated: datasetOptions.gated ?? false, private: datasetOptions.private ?? false };
      const commit = commitOf(repo, files);
      const entries = new Map(Object.entries(files).map(([path, content]) => [path, fileEntry(path, Buffer.from(content))]));
      dataset.commits.set(commit, entries);
      dataset.branches.set(datasetOptions.branch ?? "main", commit);
      state.datasets.set(repo, dataset);
      return commit;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function handle(state, req, res) {
  const url = new URL(req.url ?? "/", state.url);
  const path = url.pathname;
  const routes = [
    ["info", /^\/api\/datasets\/([^/]+\/[^/]+)\/revision\/([^/]+)$/],
    ["tree", /^\/api\/datasets\/([^/]+\/[^/]+)\/tree\/([^/]+)(?:\/(.+))?$/],
    ["resolve", /^\/datasets\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/],
    ["bridge", /^\/cas-bridge\/([0-9a-f]{64})$/],
  ];
  for (const [kind, pattern] of routes) {
    const match = pattern.exec(path);
    if (!match) continue;
    state.requests.push({ kind, method: req.method ?? "GET", path: `${path}${url.search}`, headers: { ...req.headers }, at: Date.now() });
    const fault = state.faults.get(kind)?.shift();
    if (fault === "truncate") return truncate(state, match[1], res);
    if (fault !== undefined) return answerFault(res, fault);
    if (kind === "bridge") return answerBridge(state, match[1], req, res);
    const repo = decodeURIComponent(match[1]);
    const revision = decodeURIComponent(match[2]);
    const dataset = state.datasets.get(repo);
    const denied = access(state, dataset, req);
    if (denied) return denied(res);
    const commit = dataset.branches.get(revision) ?? (dataset.commits.has(revision) ? revision : undefined);
    if (!commit) return hubError(res, 404, "RevisionNotFound", `Invalid rev id: ${revision}`);
    const entries = dataset.commits.get(commit);
    if (kind === "info") return answerInfo(repo, dataset, commit, url, res);
    if (kind === "tree") return answerTree(state, entries, match[3] ? decodeURIComponent(match[3]) : "", url, res);
    return answerResolve(state, repo, commit, entries, decodeURIComponent(match[3]), req, res);
  }
  state.requests.push({ kind: "unknown", method: req.method ?? "GET", path: `${path}${url.search}`, headers: { ...req.headers }, at: Date.now() });
  return hubError(res, 404, undefined, `Sorry, we can't find the page you are looking for.`);
}

/** The Hub hides a missing or private repo the same way: 401 without a token, 404 with one. */
function access(state, dataset, req) {
  const authorization = req.headers.authorization;
  const token = authorization?.startsWith("Bearer ") ? authorization.slice(7) : undefined;
  if (token !== undefined && state.token !== undefined && token !== state.token) return (res) => hubError(res, 401, undefined, "Invalid credentials in Authorization header");
  if (!dataset || (dataset.private && token === undefined)) {
    return token === undefined
      ? (res) => hubError(res, 401, "RepoNotFound", "Repository not found")
      : (res) => hubError(res, 404, "RepoNotFound", "Repository not found");
  }
  return undefined;
}

function answerInfo(repo, dataset, commit, url, res) {
  const expand = url.searchParams.getAll("expand");
  const all = { private: dataset.private, gated: dataset.gated, downloads: 1234, likes: 56, lastModified: "2025-04-25T09:12:33.000Z", sha: commit, author: repo.split("/")[0], tags: ["size_categories:n<1K"] };
  const body = { _id: createHash("md5").update(repo).digest("hex").slice(0, 24), id: repo };
  for (const key of expand) if (key in all) body[key] = all[key];
  return sendJson(res, 200, body);
}

function answerTree(state, entries, under, url, res) {
  const recursive = url.searchParams.get("recursive") === "true";
  const listed = treeEntries(entries, under, recursive);
  const cursor = Number(url.searchParams.get("cursor") ?? "0");
  const page = listed.slice(cursor, cursor + state.pageSize);
  const headers = {};
  if (cursor + state.pageSize < listed.length) {
    const next = new URL(url.href);
    next.searchParams.set("cursor", String(cursor + state.pageSize));
    headers.link = `<${next.href}>; rel="next"`;
  }
  return sendJson(res, 200, page, headers);
}

/** Directories first within a folder, then files, as the tree API lists them; directories have size 0. */
function treeEntries(entries, under, recursive) {
  const prefix = under === "" ? "" : `${under}/`;
  const directories = new Set();
  const files = [];
  for (const [path, entry] of entries) {
    if (!path.startsWith(prefix)) continue;
    const rest = path.slice(prefix.length).split("/");
    for (let depth = 1; depth < rest.length; depth++) {
      if (!recursive && depth > 1) break;
      directories.add(prefix + rest.slice(0, depth).join("/"));
    }
    if (recursive || rest.length === 1) files.push(entry);
  }
  const folderEntries = [...directories].sort().map((path) => ({ type: "directory", oid: sha1(`tree ${path}`), size: 0, path }));
  const fileEntries = files
    .sort((a, b) => (a.path < b.path ? -1 : 1))
    .map(({ path, size, oid, lfs, xetHash }) => ({ type: "file", oid, size, path, ...(lfs ? { lfs, xetHash } : {}) }));
  return [...folderEntries, ...fileEntries];
}

function answerResolve(state, repo, commit, entries, path, req, res) {
  const entry = entries.get(path);
  if (!entry) return hubError(res, 404, "EntryNotFound", `${path} does not exist on "${commit}"`, { "x-repo-commit": commit });
  const common = { "x-repo-commit": commit, "access-control-expose-headers": "X-Repo-Commit,X-Linked-Etag,X-Linked-Size,X-Xet-Hash,ETag,Link,Content-Range" };
  if (!entry.lfs) return sendBytes(req, res, entry.bytes, { ...common, etag: `"${entry.oid}"`, "content-type": "text/plain; charset=utf-8" });
  const linked = { ...common, "x-linked-etag": `"${entry.lfs.oid}"`, "x-linked-size": String(entry.size), "x-xet-hash": entry.xetHash, etag: `"${entry.lfs.oid}"` };
  if (String(req.headers.accept ?? "").includes("application/vnd.xet-fileinfo+json")) {
    const links = [
      `<${state.url}/api/datasets/${repo}/xet-read-token/${commit}>; rel="xet-auth"`,
      `<${state.url}/cas/v1/reconstructions/${entry.xetHash}>; rel="xet-reconstruction-info"`,
    ].join(", ");
    const info = { hash: entry.xetHash, refreshRoute: `/api/datasets/${repo}/xet-read-token/${commit}`, etag: entry.lfs.oid, size: entry.size };
    return sendJson(res, 200, info, { ...linked, link: links, vary: "Accept", "content-type": "application/vnd.xet-fileinfo+json" });
  }
  const location = `${state.url}/cas-bridge/${entry.xetHash}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=3600&X-Amz-Signature=${randomUUID().replaceAll("-", "")}`;
  res.writeHead(302, { ...linked, location, "content-length": "0" });
  res.end();
}

function answerBridge(state, hash, req, res) {
  for (const dataset of state.datasets.values()) {
    for (const entries of dataset.commits.values()) {
      for (const entry of entries.values()) {
        if (entry.xetHash === hash) return sendBytes(req, res, entry.bytes, { etag: `"${entry.lfs.oid}"`, "content-type": "application/octet-stream", "x-cache": "Miss from cloudfront" });
      }
    }
  }
  res.writeHead(403, { "content-type": "application/xml" });
  res.end("<Error><Code>AccessDenied</Code></Error>");
}

/** What the Hub's CDN sends when it is overloaded: an HTML page, not the Hub's JSON. */
function answerFault(res, status) {
  const text = `<html><head><title>${status}</title></head><body><center><h1>${status}</h1></center></body></html>`;
  res.writeHead(status, { "content-type": "text/html", "content-length": String(Buffer.byteLength(text)), ...(status === 429 ? { "retry-after": "0" } : {}) });
  res.end(text);
}

/** The connection drops halfway through the body (content-length promises the whole file). */
function truncate(state, hash, res) {
  const entry = [...state.datasets.values()].flatMap((dataset) => [...dataset.commits.values()].flatMap((entries) => [...entries.values()])).find((candidate) => candidate.xetHash === hash);
  const bytes = entry?.bytes ?? Buffer.alloc(1024);
  res.writeHead(200, { "content-type": "application/octet-stream", "content-length": String(bytes.length) });
  res.write(bytes.subarray(0, Math.floor(bytes.length / 2)), () => res.destroy());
}

function sendBytes(req, res, bytes, headers) {
  const range = /^bytes=(\d+)-(\d*)$/.exec(String(req.headers.range ?? ""));
  if (range) {
    const start = Number(range[1]);
    const end = range[2] === "" ? bytes.length - 1 : Math.min(Number(range[2]), bytes.length - 1);
    const slice = bytes.subarray(start, end + 1);
    res.writeHead(206, { ...headers, "accept-ranges": "bytes", "content-range": `bytes ${start}-${end}/${bytes.length}`, "content-length": String(slice.length) });
    return res.end(slice);
  }
  res.writeHead(200, { ...headers, "accept-ranges": "bytes", "content-length": String(bytes.length) });
  return res.end(bytes);
}

function hubError(res, status, code, message, extra = {}) {
  const headers = { ...extra, "x-error-message": message, ...(code ? { "x-error-code": code } : {}) };
  return sendJson(res, status, { error: message }, headers);
}

function sendJson(res, status, body, headers = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "x-request-id": `Root=1-${randomUUID().slice(0, 8)}`, ...headers, "content-length": String(Buffer.byteLength(text)) });
  res.end(text);
}

function fileEntry(path, bytes) {
  const oid = sha1(Buffer.concat([Buffer.from(`blob ${bytes.length}\0`), bytes]));
  if (bytes.length < LFS_THRESHOLD && !path.endsWith(".parquet")) return { path, bytes, size: bytes.length, oid };
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  return { path, bytes, size: bytes.length, oid, lfs: { oid: sha256, size: bytes.length, pointerSize: 134 }, xetHash: createHash("sha256").update(`xet:${sha256}`).digest("hex") };
}

function commitOf(repo, files) {
  const hash = createHash("sha1").update(repo);
  for (const [path, content] of Object.entries(files).sort(([a], [b]) => (a < b ? -1 : 1))) hash.update(path).update(Buffer.from(content));
  return hash.digest("hex");
}

function sha1(data) {
  return createHash("sha1").update(data).digest("hex");
}
