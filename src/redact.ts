// Secret redaction for every string reasonedit writes (stdout, stderr, logs, run records, cache entries, reports).
// Kept free of heavy imports so the CLI can load it at start-up.

export const REDACTED = "[redacted]";

/**
 * Values shorter than this are not redacted by value: placeholders that local servers accept ("EMPTY", "none",
 * "ollama") would shred ordinary text and JSON. No real provider key is this short.
 */
export const MIN_SECRET_LENGTH = 8;

/** A cut-off secret ("sk-abc…", from a truncated provider message) still leaks this much; shorter tails are left. */
const MIN_CUT_PREFIX = 4;

/** Token shapes redacted even when not registered. fal keys ("Key id:secret") need their colon: "Key takeaways" is prose. */
const TOKEN_PATTERN = /\b(hf_[A-Za-z0-9]{6,}|sk-[A-Za-z0-9_-]{8,}|Bearer\s+[A-Za-z0-9._~+/=-]{6,}|Key\s+[A-Za-z0-9._-]{4,}:[A-Za-z0-9._-]{8,})/g;

/**
 * The secrets of this process (the HF token, every API key), registered once where they are read, so that each
 * sink can scrub them by value without every caller having to carry them along.
 */
const knownSecrets = new Set<string>();

export function rememberSecrets(values: ReadonlyArray<string | undefined>): void {
  for (const value of values) {
    const secret = value?.trim();
    if (secret && secret.length >= MIN_SECRET_LENGTH) knownSecrets.add(secret);
  }
}

/**
 * Replaces every known secret (and `extraSecrets`) wherever it appears, whatever its shape — raw, JSON-escaped,
 * URL-encoded or HTML-escaped, or cut short before a "…" — then anything shaped like a token.
 */
export function redactSecrets(text: string, extraSecrets: readonly string[] = []): string {
  let out = text;
  for (const secret of secretsWith(extraSecrets)) {
    for (const form of formsOf(secret)) if (out.includes(form)) out = out.split(form).join(REDACTED);
    if (out.includes("…")) out = redactCutPrefixes(out, secret);
  }
  return out.replace(TOKEN_PATTERN, REDACTED);
}

/** Redacts the strings written to a stream; bytes (an image on stdout) pass as they are. */
export function redactingWriter<T extends NodeJS.WritableStream>(stream: T): T {
  const write = stream.write.bind(stream) as (chunk: unknown, ...rest: unknown[]) => boolean;
  return new Proxy(stream, {
    get(target, property) {
      if (property === "write") return (chunk: unknown, ...rest: unknown[]) => write(typeof chunk === "string" ? redactSecrets(chunk) : chunk, ...rest);
      const value = Reflect.get(target, property) as unknown;
      return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** True when a URL carries a user name or password (`http://user:pass@host/`). */
export function hasUserinfo(url: string): boolean {
  try {
    const parsed = new URL(url.trim());
    return parsed.username !== "" || parsed.password !== "";
  } catch {
    return /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*@/i.test(url.trim());
  }
}

/** The URL without its user name and password, for messages and records. */
export function withoutUserinfo(url: string): string {
  try {
    const parsed = new URL(url.trim());
    if (!parsed.username && !parsed.password) return url;
    parsed.username = "";
    parsed.password = "";
    return parsed.toString();
  } catch {
    return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#]*@/i, "$1");
  }
}

function secretsWith(extra: readonly string[]): Set<string> {
  if (extra.length === 0) return knownSecrets;
  const all = new Set(knownSecrets);
  for (const secret of extra) if (secret.length >= MIN_SECRET_LENGTH) all.add(secret);
  return all;
}

function formsOf(secret: string): Set<string> {
  return new Set([secret, JSON.stringify(secret).slice(1, -1), encodeURIComponent(secret), escapeHtml(secret)]);
}

/** As the HTML report escapes text. */
function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Truncated messages end a cut secret with "…": the prefix before it is as much a leak. */
function redactCutPrefixes(text: string, secret: string): string {
  let out = text;
  for (let at = out.indexOf("…"); at >= 0; at = out.indexOf("…", at + 1)) {
    for (let length = Math.min(secret.length - 1, at); length >= MIN_CUT_PREFIX; length--) {
      if (!out.startsWith(secret.slice(0, length), at - length)) continue;
      out = `${out.slice(0, at - length)}${REDACTED}${out.slice(at)}`;
      at += REDACTED.length - length;
      break;
    }
  }
  return out;
}
