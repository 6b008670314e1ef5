// The ways eval edits an item, what each one includes, and the loop settings and seeds each one uses.
import { sha256Hex } from "../cache/cache-key.js";
import { ReasonEditError } from "../errors.js";
import type { LoopSettings } from "../loop/run-edit-loop.js";

export const EVAL_MODES = ["single", "think", "loop", "reroll", "full"] as const;
export type EvalMode = (typeof EVAL_MODES)[number];

/** The paper's comparison; `full` is asked for by name, as it adds what the paper does not have. */
export const DEFAULT_MODES: readonly EvalMode[] = ["single", "think", "loop", "reroll"];

/** What each mode runs, as the report states it. */
export const MODE_DESCRIPTIONS: Record<EvalMode, string> = {
  single: "one edit of the benchmark's instruction",
  think: "think, then one edit of the concrete instruction",
  loop: "the paper's loop: think, then edit → describe/assess/conclude → refine or re-edit, up to --rounds edits; best round by the reasoner's SC·PQ",
  reroll: "as many single edits as loop made on the item; keeps the one the reasoner's own SC·PQ ranks best (as loop picks its round)",
  full: "the loop as `edit` runs it by default: plus exact ops, preserve, the change map and --candidates",
};

/** Only `full` gets exact ops, preserve and the change map: in every other mode a delta is the method's alone. */
export function usesExtras(mode: EvalMode): boolean {
  return mode === "full";
}

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

/**
 * The loop settings of a mode. The paper's modes run one candidate per round with exact ops, preserve and the change
 * map off; eval also hands them no workbench, so none of these can reach them whatever the settings say.
 */
export function loopSettingsFor(mode: EvalMode, base: LoopSettings, seed: number): LoopSettings {
  const paper = { ...base, candidates: 1, preserve: false, ops: false, changeMap: false, seed };
  switch (mode) {
    case "single":
    case "reroll":
      return { ...paper, think: false, reflect: false, rounds: 1 };
    case "think":
      return { ...paper, think: true, reflect: false, rounds: 1 };
    case "loop":
      return { ...paper, think: true, reflect: true };
    case "full":
      return { ...base, think: true, reflect: true, seed };
  }
}

/** --min-score gates the paper's loop; `full` when it runs without loop. */
export function gatedMode(modes: readonly EvalMode[]): "loop" | "full" | undefined {
  if (modes.includes("loop")) return "loop";
  return modes.includes("full") ? "full" : undefined;
}
