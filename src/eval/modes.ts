// The four ways eval edits an item, and the loop settings and seeds each one uses.
import { sha256Hex } from "../cache/cache-key.js";
import { ReasonEditError } from "../errors.js";
import type { LoopPolicy } from "../app/services.js";
import type { LoopSettings } from "../loop/run-edit-loop.js";

export const EVAL_MODES = ["single", "think", "loop", "reroll"] as const;
export type EvalMode = (typeof EVAL_MODES)[number];

/** Parses `--modes a,b`: known names only, in canonical order; reroll needs loop, whose edit count it matches. */
export function parseModes(text: string): EvalMode[] {
  const names = text
    .split(",")
    .map((name) => name.trim().toLowerCase())
    .filter((name) => name !== "");
  const unknown = names.filter((name) => !(EVAL_MODES as readonly string[]).includes(name));
  if (unknown.length > 0 || names.length === 0) {
    throw new ReasonEditError("usage", `unknown eval mode${unknown.length > 1 ? "s" : ""}: ${unknown.join(", ") || "(none given)"}`, {
      hint: `choose from ${EVAL_MODES.join(", ")}, comma-separated`,
    });
  }
  const modes = EVAL_MODES.filter((mode) => names.includes(mode));
  if (modes.includes("reroll") && !modes.includes("loop")) {
    throw new ReasonEditError("usage", "--modes reroll needs loop too: reroll makes as many edit calls per item as loop did", {
      hint: "use --modes loop,reroll (or add the other modes)",
    });
  }
  return modes;
}

/** Per item and mode, from the item key and --seed, so a replay from the cache asks for exactly the same calls. */
export function seedFor(baseSeed: number, key: string, mode: EvalMode): number {
  const offset = Number.parseInt(sha256Hex(`${key}\u0000${mode}`).slice(0, 8), 16);
  return (baseSeed + offset) % 2 ** 31;
}

/** The loop settings of a mode; reroll runs one single-pass edit per sample, each with its own seed. */
export function loopSettingsFor(mode: EvalMode, base: LoopPolicy, seed: number): LoopSettings {
  switch (mode) {
    case "single":
    case "reroll":
      return { ...base, think: false, reflect: false, rounds: 1, candidates: 1, seed };
    case "think":
      return { ...base, think: true, reflect: false, rounds: 1, candidates: 1, seed };
    case "loop":
      return { ...base, think: true, reflect: true, seed };
  }
}
