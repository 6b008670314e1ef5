// Redaction by value: a registered secret is scrubbed in every form it can take in text reasonedit writes.
import { describe, expect, it } from "vitest";
import { hasUserinfo, redactSecrets, rememberSecrets, withoutUserinfo } from "../src/redact.js";

const KEY = 'k3y"with\\odd/chars&<shape>';

describe("redactSecrets", () => {
  rememberSecrets([KEY, "short"]);

  it("scrubs the raw value and its JSON, URL and HTML forms", () => {
    const text = [KEY, JSON.stringify({ error: `bad ${KEY}` }), `?k=${encodeURIComponent(KEY)}`, KEY.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)].join(" | ");
    const out = redactSecrets(text);
    expect(out).toBe(`[redacted] | {"error":"bad [redacted]"} | ?k=[redacted] | [redacted]`);
  });

  it("scrubs a secret cut short by a truncated message, and leaves short placeholders alone", () => {
    expect(redactSecrets(`quota exceeded for key ${KEY.slice(0, 9)}…`)).toBe("quota exceeded for key [redacted]…");
    expect(redactSecrets("a short answer")).toBe("a short answer");
  });

  it("still scrubs token-shaped strings it was never told about", () => {
    expect(redactSecrets("Authorization: Bearer abcdef123456 and hf_abcdefghijkl")).toBe("Authorization: [redacted] and [redacted]");
  });
});

describe("URL userinfo", () => {
  it("is detected and removed", () => {
    expect(hasUserinfo("http://me:pw@host:8000/v1")).toBe(true);
    expect(hasUserinfo("http://host:8000/v1?key=1")).toBe(false);
    expect(withoutUserinfo("http://me:pw@host:8000/v1")).toBe("http://host:8000/v1");
  });
});
