// report.md: the report's tables, for a pull request comment or a terminal.
import type { Scores } from "./aggregate.js";
import type { EvalMode } from "./modes.js";
import type { EvalReport, LoopBehaviour, ModeReport, RerollBehaviour } from "./report.js";

export function formatScore(value: number | null | undefined): string {
  return value === null || value === undefined ? "–" : value.toFixed(2);
}

export function formatDelta(value: number | null | undefined): string {
  if (value === null || value === undefined) return "–";
  return `${value >= 0 ? "+" : "−"}${Math.abs(value).toFixed(2)}`;
}

export function formatShare(share: { count: number; share: number | null }): string {
  return share.share === null ? "–" : `${share.count} (${Math.round(share.share * 100)}%)`;
}

export function modeEntries(report: EvalReport): Array<[EvalMode, ModeReport]> {
  return Object.entries(report.modes) as Array<[EvalMode, ModeReport]>;
}

export function settingsLine(report: EvalReport): string {
  const s = report.settings;
  const repeats = s.judge_repeats > 1 ? ` × ${s.judge_repeats} repeats` : "";
  return `editor ${s.editor} · reasoning ${s.mllm} · judge ${s.judge}${repeats} · rounds ${s.rounds} · chain ${s.chain} · seed ${s.seed} · ${report.items.length} items in ${report.categories.length} categories`;
}

export function renderMarkdown(report: EvalReport): string {
  return [
    `# reasonedit eval: ${report.settings.benchmark}`,
    "",
    settingsLine(report),
    "",
    ...modesSection(report),
    ...overallSection(report),
    ...categorySection(report),
    ...costSection(report),
    ...behaviourSection(report),
    ...gateSection(report),
    ...errorSection(report),
  ].join("\n");
}

function table(header: string[], rows: string[][]): string[] {
  return [`| ${header.join(" | ")} |`, `|${header.map(() => "---").join("|")}|`, ...rows.map((row) => `| ${row.join(" | ")} |`), ""];
}

export const OVERALL_HEADER = ["mode", "SC", "PQ", "O", "ΔO vs single", "O sd (judge)", "scored", "missing SC/PQ", "errors"];

/** The overall table's rows, shared by report.md and report.html. */
export function overallRows(report: EvalReport): string[][] {
  return modeEntries(report).map(([mode, m]) => [
    mode,
    formatScore(m.overall.SC),
    formatScore(m.overall.PQ),
    formatScore(m.overall.O),
    formatDelta(m.delta_vs_single?.overall.O),
    formatScore(m.judge.spread.O.std),
    `${m.items.scored}/${m.items.total}`,
    `${m.missing.SC}/${m.missing.PQ}`,
    String(m.items.errors),
  ]);
}

/** What each mode ran, so a delta is read as what it measures. */
export function modeLines(report: EvalReport): string[] {
  return modeEntries(report).map(([mode, m]) => `${mode}: ${m.includes}`);
}

function modesSection(report: EvalReport): string[] {
  return ["## Modes", "", ...modeLines(report).map((line) => `- ${line}`), ""];
}

function overallSection(report: EvalReport): string[] {
  const rows = overallRows(report);
  return [
    "## Overall",
    "",
    "VIEScore 0–10 as GEdit-Bench computes it: per item O = √(min SC · min PQ), mean per category, then the unweighted mean of the categories.",
    "",
    ...table(OVERALL_HEADER, rows),
  ];
}

function categorySection(report: EvalReport): string[] {
  const modes = modeEntries(report);
  const cell = (scores: Scores | undefined) => (scores ? `${formatScore(scores.SC)} / ${formatScore(scores.PQ)} / **${formatScore(scores.O)}**` : "–");
  const rows = report.categories.map((category) => [category, ...modes.map(([, m]) => cell(m.categories[category]))]);
  return ["## Per category (SC / PQ / O)", "", ...table(["category", ...modes.map(([mode]) => mode)], rows)];
}

function costSection(report: EvalReport): string[] {
  const rows = modeEntries(report).map(([mode, m]) => {
    const per = m.cost.per_item;
    return [
      mode,
      String(m.cost.mllm_calls),
      String(m.cost.editor_calls),
      String(m.cost.tokens),
      (m.cost.wall_ms / 1000).toFixed(1),
      per ? per.mllm_calls.toFixed(1) : "–",
      per ? per.editor_calls.toFixed(1) : "–",
      per ? Math.round(per.tokens).toString() : "–",
      per ? (per.wall_ms / 1000).toFixed(1) : "–",
      String(m.judge.calls),
    ];
  });
  const header = ["mode", "MLLM calls", "editor calls", "tokens", "wall s", "MLLM / item", "edits / item", "tokens / item", "wall s / item", "judge calls"];
  return ["## Cost", "", "Calls served from the cache count as calls: the figures describe the method, not this run's bill.", "", ...table(header, rows)];
}

function behaviourSection(report: EvalReport): string[] {
  const lines: string[] = [];
  const loop = report.modes.loop?.behaviour as LoopBehaviour | undefined;
  if (loop) {
    lines.push(
      "## Loop behaviour",
      "",
      `- rounds played → items: ${pairs(loop.stop_round_histogram)}`,
      `- stop reasons: ${pairs(loop.stop_reasons)}`,
      `- verdicts over all rounds: ${pairs(loop.verdict_mix)}`,
      `- kept round is not the last: ${formatShare(loop.kept_not_last)}`,
      `- accepted by reflection: ${formatShare(loop.accepted)}`,
      "",
    );
  }
  const reroll = report.modes.reroll?.behaviour as RerollBehaviour | undefined;
  if (reroll) {
    lines.push("## Reroll", "", `- samples → items: ${pairs(reroll.samples_histogram)}`, `- kept sample is not the last: ${formatShare(reroll.kept_not_last)}`, "");
  }
  return lines;
}

function gateSection(report: EvalReport): string[] {
  const gate = report.gate;
  if (!gate) return [];
  const verdict = gate.passed ? "passed" : "FAILED";
  return ["## Gate", "", `${gate.mode} O ${formatScore(gate.O)} against --min-score ${gate.min_score}: **${verdict}**`, ""];
}

function errorSection(report: EvalReport): string[] {
  const rows = modeEntries(report).flatMap(([mode, m]) => m.errors.map((error) => [mode, error.key, error.code, error.message.replace(/\|/g, "\\|")]));
  return rows.length === 0 ? [] : ["## Errors", "", ...table(["mode", "item", "code", "message"], rows)];
}

function pairs(counts: Record<string, number>): string {
  const entries = Object.entries(counts);
  return entries.length === 0 ? "–" : entries.map(([key, count]) => `${key}: ${count}`).join(", ");
}
