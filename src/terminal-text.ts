// Text for a terminal: model replies, file names and error messages can carry escape sequences (window title,
// clear screen, OSC 52 clipboard writes) that must never reach the user's terminal as commands.
import { stripVTControlCharacters } from "node:util";

/** C0 and C1 controls, and the bidirectional overrides that can make a line read differently from what it holds. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROLS = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu;

/** One line as a terminal should show it: escape sequences and controls removed, line breaks and tabs as spaces. */
export function terminalLine(text: string): string {
  return stripVTControlCharacters(text).replace(/[\r\n\t\v\f]+/g, " ").replace(CONTROLS, "");
}

/** Several lines: each made safe on its own, the breaks between them kept. */
export function terminalLines(text: string): string {
  return text.split("\n").map(terminalLine).join("\n");
}
