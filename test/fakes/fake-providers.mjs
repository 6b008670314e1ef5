// A loopback fake of everything @huggingface/inference 4.13.30 talks to for reasonedit: an OpenAI-compatible
// chat server, an HF-Inference image-to-image endpoint, the Hub's provider mapping, the router, and the
// fal-ai queue (submit → status polls → result → media download). Plain JavaScript so a child process can
// run it too (see serve.mjs); types live in fake-providers.d.mts.
//
//   const fake = await startFakeProviders({ chat: () => '{"ok":true}' });
//   fake.fail("chat", fault.rateLimited(2), fault.unavailable());   // next two chat calls fail, then succeed
//   … call `${fake.url}/v1` (endpointUrl) or route the hosted hosts here with routeHostsTo(fake.url) …
//   expect(fake.requestsOf("chat")).toHaveLength(3);
//   await fake.close();
//
// Routes (method, path → kind):
//   GET  /hub/api/models/<org>/<name>              → "hub"         mapping JSON (array form)
//   POST /router/fal-ai/<providerId>               → "fal-submit"  {request_id, response_url}
//   GET  /router/fal-ai/<providerId>/requests/<id>/status → "fal-status"  IN_QUEUE (with queue_position)/IN_PROGRESS…COMPLETED
//   GET  /router/fal-ai/<providerId>/requests/<id> → "fal-result"  {images:[{url: <fake>/media/<id>.png}]}
//   GET  /media/<file>                             → "media"       the edited image
//   GET  /_fake/requests                           → (not recorded) the recorded requests, without raw bytes, for a
//                                                    test that runs this fake in another process
//   POST …/chat/completions (any prefix)           → "chat"        ChatCompletionOutput
//   POST anything else                             → "edit"        HF-Inference: raw bytes or {inputs: base64, parameters} in, image out
import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import { createServer } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import { URL } from "node:url";

/** Builders for the faults you can queue with `fake.fail(kind, ...faults)`. */
export const fault = {
  /** An HTTP error with a JSON body ({error: <message>} unless `body` is given). */
  status: (status, options = {}) => ({ type: "status", status, ...options }),
  rateLimited: (retryAfter) =>
    fault.status(429, retryAfter === undefined ? {} : { headers: { "retry-after": String(retryAfter) } }),
  unavailable: () => fault.status(503),
  serverError: () => fault.status(500),
  /** 401, 402 or 403 with the router's wording. */
  authError: (status = 401) => fault.status(status),
  /** The socket is destroyed as soon as the request arrives (ECONNRESET / "other side closed"). */
  reset: () => ({ type: "reset" }),
  /** The request is accepted and never answered. */
  hang: () => ({ type: "hang" }),
  /** 200 with something that is not an image (text/html by default). */
  notImage: (contentType = "text/html; charset=utf-8") => ({ type: "not-image", contentType }),
  /** An HTTP error with a plain-text body (TGI's and DeepSeek's 422s). */
  text: (status, text, contentType = "text/plain; charset=utf-8") => ({ type: "text", status, text, contentType }),
  /**
   * 200 with a body that is far too large or never ends: `prefix`, then `chunkBytes` of `fill` every `intervalMs`,
   * up to `totalBytes` (Infinity: until the client hangs up). With `declareLength`, Content-Length says the total.
   */
  flood: ({ contentType = "application/json", prefix = "", fill = "a", totalBytes = Infinity, chunkBytes = 64 * 1024, intervalMs = 0, declareLength = false } = {}) => ({
    type: "flood",
    contentType,
    prefix,
    fill,
    totalBytes,
    chunkBytes,
    intervalMs,
    declareLength,
  }),
};

const ERROR_MESSAGES = {
  400: "Bad request",
  401: "Invalid credentials in Authorization header",
  402: "You have exceeded your monthly included credits for Inference Providers. Subscribe to PRO to get 20x more monthly included credits.",
  403: "This authentication method does not have sufficient permissions to call Inference Providers on behalf of user test",
  404: "Model not found",
  422: "Unprocessable entity",
  429: "Too many requests, please retry later",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};

const DEFAULT_MAPPING = [
  { provider: "fal-ai", providerId: "fal-ai/qwen-image-edit", task: "image-to-image", status: "live" },
];

/**
 * Starts the fake on 127.0.0.1 (a free port).
 * @param {import("./fake-providers.d.mts").FakeProvidersOptions} [options]
 * @returns {Promise<import("./fake-providers.d.mts").FakeProviders>}
 */
export async function startFakeProviders(options = {}) {
  const state = {
    chat: options.chat ?? (() => '{"ok":true}'),
    edit: options.edit ?? tintedCopy,
    mappings: { ...options.mappings },
    hubBodies: {},
    defaultMapping: options.defaultMapping === undefined ? DEFAULT_MAPPING : options.defaultMapping,
    falPolls: options.falPolls ?? 0,
    falQueueAhead: options.falQueueAhead ?? 0,
    routerChatProvider: options.routerChatProvider,
    latencyMs: { ...options.latencyMs },
    rejectResponseFormat: options.rejectResponseFormat ?? false,
    faults: new Map(),
    jobs: new Map(),
    media: new Map(),
    requests: [],
    inFlight: 0,
    /** Callbacks re-run whenever a request arrives or leaves; each removes itself once its wait is over. */
    watchers: new Set(),
    nextId: 1,
  };
  const server = createServer((req, res) => {
    handle(state, server, req, res).catch((error) => {
      if (!res.headersSent) sendJson(res, 500, { error: `fake server bug: ${error?.stack ?? error}` });
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 1_000;
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = server.address().port;
  const url = `http://127.0.0.1:${port}`;
  state.url = url;

  return {
    url,
    port,
    requests: state.requests,
    requestsOf: (kind) => state.requests.filter((request) => request.kind === kind),
    fail: (kind, ...faults) => {
      const queue = state.faults.get(kind) ?? [];
      queue.push(...faults);
      state.faults.set(kind, queue);
    },
    pendingFaults: (kind) => (state.faults.get(kind) ?? []).length,
    setChat: (responder) => void (state.chat = responder),
    setEdit: (responder) => void (state.edit = responder),
    setMapping: (model, entries) => void (state.mappings[model] = entries),
    setHubBody: (model, body) => void (state.hubBodies[model] = body),
    setDefaultMapping: (entries) => void (state.defaultMapping = entries),
    setFalPolls: (polls) => void (state.falPolls = polls),
    setFalQueueAhead: (ahead) => void (state.falQueueAhead = ahead),
    setRouterChatProvider: (provider) => void (state.routerChatProvider = provider),
    setLatency: (kind, ms) => void (state.latencyMs[kind] = ms),
    setRejectResponseFormat: (reject) => void (state.rejectResponseFormat = reject),
    inFlight: () => state.inFlight,
    until: (condition) => until(state, condition),
    received: (kind, count = 1) => until(state, () => state.requests.filter((request) => request.kind === kind).length >= count),
    idle: () => until(state, () => state.inFlight === 0),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function handle(state, server, req, res) {
  const raw = await readAll(req);
  const url = new URL(req.url ?? "/", state.url);
  if (url.pathname === "/_fake/requests") return sendJson(res, 200, state.requests.map(withoutBytes));
  const kind = classify(req.method ?? "GET", url.pathname);
  const record = recordRequest(state, kind, req, url, raw);
  // In flight from arrival until the response has closed (answered, or the client gone) AND the fake has stopped
  // working on it: a request whose client was killed during its latency is still asleep here, and only leaves once
  // it wakes and sees the client gone, so `idle()` after a kill means nothing of the killed client is left.
  state.inFlight++;
  notify(state);
  let closed = req.socket.destroyed;
  let working = true;
  let left = false;
  const leave = () => {
    if (left) return;
    left = true;
    state.inFlight--;
    notify(state);
  };
  res.on("close", () => {
    closed = true;
    if (!working) leave();
  });
  try {
    const latency = state.latencyMs[kind] ?? 0;
    if (latency > 0) await sleep(latency); // node:timers, so a test's fake clock does not freeze the fake
    // Nobody to answer: taking a queued fault or running a responder now would spend them on a dead request
    // (the fault meant for a later test, an edit counted for an item the killed client never received).
    if (closed || req.socket.destroyed) return;
    return await answer(state, kind, record, req, url, res);
  } finally {
    working = false;
    if (closed) leave();
  }
}

function answer(state, kind, record, req, url, res) {
  const injected = state.faults.get(kind)?.shift();
  if (injected) return applyFault(injected, req, res);

  switch (kind) {
    case "hub":
      return answerMapping(state, url, res);
    case "chat":
      return answerChat(state, record, res);
    case "edit":
      return answerEdit(state, record, res);
    case "fal-submit":
      return answerFalSubmit(state, url, record, res);
    case "fal-status":
      return answerFalStatus(state, url, res);
    case "fal-result":
      return answerFalResult(state, url, res);
    case "media":
      return answerMedia(state, url, res);
    default:
      return sendJson(res, 404, { error: `the fake does not serve ${req.method} ${url.pathname}` });
  }
}

/** Resolves once `condition` holds, re-checked on every arrival and departure: a gate, not a poll. */
function until(state, condition) {
  return new Promise((resolve) => {
    const check = () => {
      if (!condition()) return;
      state.watchers.delete(check);
      resolve();
    };
    state.watchers.add(check);
    check();
  });
}

function notify(state) {
  for (const check of [...state.watchers]) check();
}

function classify(method, path) {
  if (method === "GET" && path.startsWith("/hub/api/models/")) return "hub";
  if (method === "GET" && path.startsWith("/media/")) return "media";
  if (path.startsWith("/router/fal-ai/")) {
    if (method === "POST") return "fal-submit";
    if (/\/requests\/[^/]+\/status$/.test(path)) return "fal-status";
    if (/\/requests\/[^/]+$/.test(path)) return "fal-result";
  }
  if (method === "POST" && path.endsWith("/chat/completions")) return "chat";
  if (method === "POST") return "edit";
  return "unknown";
}

// ---- recording ----------------------------------------------------------------------------------

function recordRequest(state, kind, req, url, raw) {
  const images = [];
  const json = parseJson(raw, req.headers["content-type"]);
  let body = null;
  if (json !== undefined) body = stripImages(json, images);
  else if (raw.length > 0) images.push(describeImage(raw, req.headers["content-type"]));
  const record = {
    kind,
    method: req.method ?? "GET",
    path: `${url.pathname}${url.search}`,
    headers: { ...req.headers },
    body,
    bodyBytes: raw.length,
    images,
    raw,
    at: Date.now(),
  };
  state.requests.push(record);
  return record;
}

function withoutBytes({ raw: _raw, images, ...rest }) {
  return { ...rest, images: images.map(({ data: _data, ...image }) => image) };
}

function parseJson(raw, contentType) {
  if (raw.length === 0) return undefined;
  const looksJson = (contentType ?? "").includes("json") || raw[0] === 0x7b || raw[0] === 0x5b;
  if (!looksJson) return undefined;
  try {
    return JSON.parse(raw.toString("utf8"));
  } catch {
    return undefined;
  }
}

/** Replaces every data URL or long base64 string by a short placeholder and notes its bytes and hash. */
function stripImages(value, images) {
  if (typeof value === "string") {
    const decoded = decodeImageString(value);
    if (!decoded) return value;
    const image = describeImage(decoded.bytes, decoded.mimeType);
    images.push(image);
    return `<image ${image.mimeType ?? "?"} ${image.bytes} bytes sha256:${image.sha256.slice(0, 12)}>`;
  }
  if (Array.isArray(value)) return value.map((item) => stripImages(item, images));
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, stripImages(item, images)]));
  }
  return value;
}

function decodeImageString(text) {
  const dataUrl = /^data:([^;,]*);base64,(.*)$/s.exec(text);
  if (dataUrl) return { mimeType: dataUrl[1] || undefined, bytes: Buffer.from(dataUrl[2], "base64") };
  if (text.length >= 64 && /^[A-Za-z0-9+/]+=*$/.test(text)) return { mimeType: undefined, bytes: Buffer.from(text, "base64") };
  return undefined;
}

function describeImage(bytes, mimeType) {
  return { bytes: bytes.length, sha256: sha256(bytes), mimeType: mimeType ?? sniffMime(bytes), data: bytes };
}

// ---- answers --------------------------------------------------------------------------------------

function applyFault(injected, req, res) {
  switch (injected.type) {
    case "reset":
      req.socket.destroy();
      return;
    case "hang":
      return; // closeAllConnections() in close() ends it
    case "not-image":
      res.writeHead(200, { "content-type": injected.contentType });
      res.end(injected.contentType.includes("json") ? JSON.stringify({ generated_text: "no image here" }) : "<html><body>Not an image</body></html>");
      return;
    case "status":
      return sendJson(res, injected.status, injected.body ?? { error: ERROR_MESSAGES[injected.status] ?? `HTTP ${injected.status}` }, injected.headers);
    case "text":
      res.writeHead(injected.status, { "content-type": injected.contentType, ...injected.headers });
      res.end(injected.text);
      return;
    case "flood":
      void flood(injected, res);
      return;
    default:
      throw new Error(`unknown fault ${JSON.stringify(injected)}`);
  }
}

/** Writes a flood fault's body, honouring backpressure, until its total or until the client goes away. */
async function flood(injected, res) {
  const headers = { "content-type": injected.contentType };
  if (injected.declareLength) headers["content-length"] = String(injected.totalBytes);
  res.writeHead(200, headers);
  const chunk = Buffer.alloc(injected.chunkBytes, injected.fill);
  let sent = Buffer.byteLength(injected.prefix);
  res.write(injected.prefix);
  while (sent < injected.totalBytes && !res.destroyed) {
    const piece = injected.totalBytes - sent < chunk.length ? chunk.subarray(0, injected.totalBytes - sent) : chunk;
    sent += piece.length;
    if (!res.write(piece)) await drainedOrClosed(res);
    if (injected.intervalMs > 0) await sleep(injected.intervalMs);
  }
  if (!res.destroyed) res.end();
}

function drainedOrClosed(res) {
  return new Promise((resolve) => {
    const done = () => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.on("drain", done);
    res.on("close", done);
  });
}

function answerMapping(state, url, res) {
  const model = decodeURIComponent(url.pathname.slice("/hub/api/models/".length));
  if (state.hubBodies[model] !== undefined) return sendJson(res, 200, state.hubBodies[model]);
  const entries = state.mappings[model] ?? state.defaultMapping;
  if (!entries) return sendJson(res, 404, { error: "Repository not found" });
  const inferenceProviderMapping = entries.map((entry) => ({ hfModelId: model, status: "live", ...entry }));
  return sendJson(res, 200, { _id: `fake-${model}`, id: model, inferenceProviderMapping });
}

async function answerChat(state, record, res) {
  const body = record.body ?? {};
  if (state.rejectResponseFormat && body.response_format) {
    return sendJson(res, 400, {
      error: { message: "response_format json_schema is not supported by this server", type: "invalid_request_error" },
    });
  }
  const reply = normalizeChatReply(await state.chat(body, record));
  const message = { role: "assistant", content: reply.text, ...reply.message };
  const output = {
    id: `chatcmpl-fake-${state.nextId++}`,
    object: "chat.completion",
    created: Math.floor(Date.now() / 1000),
    model: typeof body.model === "string" ? body.model : "fake-model",
    choices: [{ index: 0, message, logprobs: null, finish_reason: reply.finishReason ?? "stop" }],
    ...reply.extra,
  };
  if (reply.usage !== null) output.usage = reply.usage ?? estimateUsage(record, reply.text ?? "");
  // The auto router names the provider it chose in a header.
  const routed = state.routerChatProvider && record.path.startsWith("/router/") ? { "x-inference-provider": state.routerChatProvider } : {};
  return sendJson(res, 200, output, { ...routed, ...reply.headers });
}

function normalizeChatReply(reply) {
  return typeof reply === "string" ? { text: reply } : reply;
}

function estimateUsage(record, text) {
  const prompt = Math.ceil(JSON.stringify(record.body?.messages ?? "").length / 4) + 85 * record.images.length;
  const completion = Math.ceil(text.length / 4);
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

async function answerEdit(state, record, res) {
  const image = record.body ? record.images[0]?.data : record.raw;
  if (!image) return sendJson(res, 400, { error: "no image in the request" });
  const parameters = record.body?.parameters ?? {};
  const output = await runEdit(state, { image, mimeType: sniffMime(image), parameters, kind: "edit" });
  res.writeHead(200, { "content-type": output.contentType, "x-request-id": `fake-edit-${state.nextId++}` });
  res.end(output.bytes);
}

function answerFalSubmit(state, url, record, res) {
  const providerId = url.pathname.slice("/router/fal-ai/".length);
  const id = `req-${state.nextId++}`;
  const { image_url: _single, image_urls: _many, ...parameters } = record.body ?? {};
  const image = record.images[0]?.data;
  state.jobs.set(id, { id, providerId, image, parameters, pollsLeft: state.falPolls, polls: 0, ahead: state.falQueueAhead });
  return sendJson(res, 200, {
    status: "IN_QUEUE",
    request_id: id,
    response_url: `https://queue.fal.run/${providerId}/requests/${id}`,
    status_url: `https://queue.fal.run/${providerId}/requests/${id}/status`,
    cancel_url: `https://queue.fal.run/${providerId}/requests/${id}/cancel`,
    queue_position: state.falQueueAhead,
  });
}

function answerFalStatus(state, url, res) {
  const job = findJob(state, url.pathname.replace(/\/status$/, ""));
  if (!job) return sendJson(res, 404, { detail: "Request not found" });
  job.polls++;
  // As fal: while queued, each answer counts the jobs still ahead (0: next to run); then IN_PROGRESS with logs.
  if (job.ahead > 0) {
    job.ahead--;
    return sendJson(res, 202, { status: "IN_QUEUE", request_id: job.id, queue_position: job.ahead, response_url: responseUrl(job) });
  }
  if (job.pollsLeft > 0) {
    job.pollsLeft--;
    const body = job.polls === 1 ? { status: "IN_QUEUE", queue_position: 0 } : { status: "IN_PROGRESS", logs: null };
    return sendJson(res, 202, { ...body, request_id: job.id, response_url: responseUrl(job) });
  }
  return sendJson(res, 200, { status: "COMPLETED", request_id: job.id });
}

function responseUrl(job) {
  return `https://queue.fal.run/${job.providerId}/requests/${job.id}`;
}

async function answerFalResult(state, url, res) {
  const job = findJob(state, url.pathname);
  if (!job) return sendJson(res, 404, { detail: "Request not found" });
  if (!job.image) return sendJson(res, 422, { detail: [{ msg: "image_url is required", loc: ["body", "image_url"] }] });
  const output = await runEdit(state, { image: job.image, mimeType: sniffMime(job.image), parameters: job.parameters, kind: "fal" });
  const file = `${job.id}.${output.contentType === "image/jpeg" ? "jpg" : "png"}`;
  state.media.set(file, output);
  return sendJson(res, 200, {
    images: [{ url: `${state.url}/media/${file}`, content_type: output.contentType }],
    seed: job.parameters.seed ?? 0,
    has_nsfw_concepts: [false],
    prompt: job.parameters.prompt ?? "",
  });
}

function answerMedia(state, url, res) {
  const output = state.media.get(url.pathname.slice("/media/".length));
  if (!output) return sendJson(res, 404, { detail: "Not found" });
  res.writeHead(200, { "content-type": output.contentType, "content-length": output.bytes.length });
  res.end(output.bytes);
}

function findJob(state, path) {
  const id = /\/requests\/([^/]+)$/.exec(path)?.[1];
  return id === undefined ? undefined : state.jobs.get(id);
}

async function runEdit(state, input) {
  const output = await state.edit(input);
  if (Buffer.isBuffer(output) || output instanceof Uint8Array) {
    const bytes = Buffer.from(output);
    return { bytes, contentType: sniffMime(bytes) ?? "application/octet-stream" };
  }
  return { bytes: Buffer.from(output.bytes), contentType: output.contentType };
}

/** The default edit: the input tinted red (recognisably altered, same size), as PNG. */
export async function tintedCopy({ image }) {
  const { default: sharp } = await import("sharp");
  const bytes = await sharp(image).tint({ r: 255, g: 40, b: 40 }).png().toBuffer();
  return { bytes, contentType: "image/png" };
}

// ---- helpers --------------------------------------------------------------------------------------

function sendJson(res, status, body, headers = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers });
  res.end(text);
}

function readAll(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on("data", (chunk) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

export function sha256(bytes) {
  return createHash("sha256").update(bytes).digest("hex");
}

function sniffMime(bytes) {
  if (bytes.length >= 8 && bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return "image/png";
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return "image/jpeg";
  if (bytes.length >= 12 && bytes.subarray(0, 4).toString() === "RIFF" && bytes.subarray(8, 12).toString() === "WEBP") return "image/webp";
  return undefined;
}
