// Token redaction for everything we print or log; kept free of heavy imports so the CLI can load it at start-up.

const TOKEN_PATTERN = /\b(hf_[A-Za-z0-9]{6,}|sk-[A-Za-z0-9_-]{8,}|Bearer\s+[A-Za-z0-9._~+/=-]{6,}|Key\s+[A-Za-z0-9:._-]{8,})/g;

/** Replaces anything shaped like a credential. Used on every log line and error message we print. */
export function redactSecrets(text: string, extraSecrets: readonly string[] = []): string {
  let out = text.replace(TOKEN_PATTERN, "[redacted]");
  for (const secret of extraSecrets) if (secret.length >= 4) out = out.split(secret).join("[redacted]");
  return out;
}
