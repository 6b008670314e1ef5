import { describe, expect, it } from "vitest";
import { CACHE_FORMAT_VERSION, canonicalJson, chatCallKey, editCallKey, hashCallKey } from "../../src/cache/cache-key.js";
import type { ChatRequest } from "../../src/providers/chat-model.js";
import { askAbout, picture } from "./cache-doubles.js";

describe("cache keys", () => {
  it("writes the same canonical JSON whatever the key order, at any depth", () => {
    expect(canonicalJson({ b: 1, a: { d: [{ z: 1, y: 2 }], c: null } })).toBe('{"a":{"c":null,"d":[{"y":2,"z":1}]},"b":1}');
  });

  it("puts the format version in every key, so a format change retires old entries", () => {
    const chat = chatCallKey("m", askAbout("x"));
    const edit = editCallKey("e", { image: picture(new Uint8Array([1])), instruction: "x", seed: 1 });
    expect(chat.v).toBe(CACHE_FORMAT_VERSION);
    expect(edit.v).toBe(CACHE_FORMAT_VERSION);
    expect(hashCallKey({ ...chat, v: CACHE_FORMAT_VERSION + 1 })).not.toBe(hashCallKey(chat));
  });

  it("replaces data-URL images by the hash of their bytes and keeps other parts as sent", () => {
    const request: ChatRequest = {
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "compare" },
            { type: "image_url", image_url: { url: "data:image/png;base64,AAEC" } },
            { type: "image_url", image_url: { url: "https://example.com/cat.png" } },
          ],
        },
      ],
    };
    expect(chatCallKey("m", request).messages[0]!.content).toEqual([
      { type: "text", text: "compare" },
      { type: "image_url", image_url: { url: "data:image/png;sha256,ae4b3280e56e2faf83f414a6e3dabe9d5fbe18976544c05fed121accb85b53fc" } },
      { type: "image_url", image_url: { url: "https://example.com/cat.png" } },
    ]);
  });

  it("treats a request without optional settings like one with them unset", () => {
    const bare: ChatRequest = { messages: [{ role: "user", content: "hi" }] };
    const explicit: ChatRequest = { ...bare, seed: undefined, temperature: undefined };
    expect(hashCallKey(chatCallKey("m", bare))).toBe(hashCallKey(chatCallKey("m", explicit)));
    expect(hashCallKey(chatCallKey("m", bare))).not.toBe(hashCallKey(chatCallKey("m", { ...bare, seed: 0 })));
  });
});
