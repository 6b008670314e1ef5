// Model text never drives the terminal: escape sequences and controls are removed from human output.
import { describe, expect, it } from "vitest";
import { terminalLine, terminalLines } from "../src/terminal-text.js";

describe("terminalLine", () => {
  it("removes window-title, clear-screen, clipboard (OSC 52) and 8-bit CSI sequences, keeping the text", () => {
    expect(terminalLine("make it \u001b]0;pwned\u0007snowy")).toBe("make it snowy");
    expect(terminalLine("\u001b[2J\u001b[Hsky\u001b]52;c;cm0gLXJmIH4=\u001b\\ blue")).toBe("sky blue");
    expect(terminalLine("a\u009b31mred\u001bcb")).toBe("aredb");
  });

  it("turns line breaks into spaces so a reply cannot forge a line, and drops bidi overrides and lone controls", () => {
    expect(terminalLine('sky\r\naccepted: kept round 1\tok')).toBe("sky accepted: kept round 1 ok");
    expect(terminalLine("abc\u202edcba\u0007\u0000")).toBe("abcdcba");
    expect(terminalLine("café → ★ 雪")).toBe("café → ★ 雪");
  });

  it("keeps the breaks between lines when given several", () => {
    expect(terminalLines("one\u001b[31m\ntwo")).toBe("one\ntwo");
  });
});
