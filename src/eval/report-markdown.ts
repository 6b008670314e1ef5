// report.md: the report's tables, for a pull request comment or a terminal.
import type { ScoreRecord } from "./metric.js";
import type { EvalMode } from "./modes.js";
import { UNSPECIFIED_LANGUAGE, type EvalReport, type LanguageDelta, type LoopBehaviour, type ModeReport, type RerollBehaviour } from "./report.js";

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
  const languages = report.languages.length > 1 ? ` · ${report.languages.length} languages, never pooled` : "";
  return `editor ${s.editor} · reasoning ${s.mllm}${s.reply_format === "tags" ? " (tags replies)" : ""} · judge ${s.judge}${repeats} (${report.metric.name}) · rounds ${s.rounds} · chain ${s.chain} · seed ${s.seed} · ${report.items.length} items in ${report.categories.length} categories${languages}`;
}

export function renderMarkdown(report: EvalReport): string {
  return [
    `# reasonedit eval: ${report.settings.benchmark}`,
    "",
    settingsLine(report),
    "",
    ...modesSection(report),
    ...report.languages.flatMap((language) => languageSection(report, language)),
    ...costSection(report),
    ...behaviourSection(report),
    ...gateSection(report),
    ...errorSection(report),
  ].join("\n");
}

function table(header: string[], rows: string[][]): string[] {
  return [`| ${header.join(" | ")} |`, `|${header.map(() => "---").join("|")}|`, ...rows.map((row) => `| ${row.join(" | ")} |`), ""];
}

/** What each mode ran, so a delta is read as what it measures. */
export function modeLines(report: EvalReport): string[] {
  return modeEntries(report).map(([mode, m]) => `${mode}: ${m.includes}`);
}

function modesSection(report: EvalReport): string[] {
  return ["## Modes", "", ...modeLines(report).map((line) => `- ${line}`), ""];
}

export function overallHeader(report: EvalReport): string[] {
  const headline = report.metric.headline;
  return ["mode", ...report.metric.keys, `Δ${headline} vs single [95% CI] (pairs)`, `${headline} sd (judge)`, "scored", "missing", "errors"];
}

/** `+0.32 [−0.05, +0.70] (n 120)`: the paired delta, its bootstrap interval and how many items it rests on. */
export function formatPairedDelta(delta: LanguageDelta | undefined, headline: string): string {
  if (!delta) return "–";
  const value = formatDelta(delta[headline] as number | null);
  const interval = delta.ci95 ? ` [${formatDelta(delta.ci95[0])}, ${formatDelta(delta.ci95[1])}]` : "";
  return `${value}${interval} (n ${delta.items})`;
}

/** One language's overall table rows, shared by report.md and report.html. */
export function overallRows(report: EvalReport, language: string): string[][] {
  const { keys, headline } = report.metric;
  return modeEntries(report).flatMap(([mode, m]) => {
    const block = m.languages[language];
    if (!block) return [];
    return [
      [
        mode,
        ...keys.map((key) => formatScore(block.overall[key])),
        mode === "single" ? "" : formatPairedDelta(m.delta_vs_single?.[language], headline),
        formatScore(block.judge_spread[headline]?.std),
        `${block.items.scored}/${block.items.total}`,
        keys.map((key) => block.missing[key] ?? 0).join("/"),
        String(block.items.errors),
      ],
    ];
  });
}

export function intersectionRows(report: EvalReport, language: string): string[][] {
  return modeEntries(report).flatMap(([mode, m]) => {
    const subset = m.languages[language]?.intersection;
    return subset ? [[mode, ...report.metric.keys.map((key) => formatScore(subset.overall[key])), String(subset.items)]] : [];
  });
}

export function categoryRows(report: EvalReport, language: string): { header: string[]; rows: string[][] } {
  const modes = modeEntries(report).filter(([, m]) => m.languages[language]);
  const categories = [...new Set(modes.flatMap(([, m]) => Object.keys(m.languages[language]!.categories)))].sort();
  const cell = (scores: ScoreRecord | undefined) => (scores ? report.metric.keys.map((key) => formatScore(scores[key])).join(" / ") : "–");
  const rows = categories.map((category) => [category, ...modes.map(([, m]) => cell(m.languages[language]!.categories[category]))]);
  const meta = [...new Set(modes.flatMap(([, m]) => Object.keys(m.languages[language]!.meta_categories ?? {})))].sort();
  const metaRows = meta.map((name) => [`**${name}**`, ...modes.map(([, m]) => cell(m.languages[language]!.meta_categories?.[name]))]);
  return { header: ["category", ...modes.map(([mode]) => mode)], rows: [...rows, ...metaRows] };
}

export function languageTitle(report: EvalReport, language: string): string {
  const count = report.items.filter((item) => languageOfReport(item) === language).length;
  return `Language: ${language} (${count} item${count === 1 ? "" : "s"})`;
}

function languageOfReport(item: { language?: string }): string {
  return item.language?.trim().toLowerCase() || UNSPECIFIED_LANGUAGE;
}

function languageSection(report: EvalReport, language: string): string[] {
  const intersection = intersectionRows(report, language);
  const categories = categoryRows(report, language);
  const keys = report.metric.keys.join(" / ");
  return [
    `## ${languageTitle(report, language)}`,
    "",
    report.metric.describe,
    `Δ is paired: this mode minus single on the items both scored, with a seeded bootstrap 95% interval over those items (${report.bootstrap.resamples} resamples${report.bootstrap.stratified_by_category ? ", within each category" : ""}).`,
    "",
    ...table(overallHeader(report), overallRows(report, language)),
    ...(intersection.length > 0 ? ["### Intersection subset", "", ...table(["mode", ...report.metric.keys, "items"], intersection)] : []),
    `### Per category (${keys})`,
    "",
    ...table(categories.header, categories.rows),
  ];
}

function costSection(report: EvalReport): string[] {
  const { header, rows } = costRows(report);
  return ["## Cost", "", "Calls served from the cache count as calls: the figures describe the method, not this run's bill.", "", ...table(header, rows)];
}

/** The cost table both reports show: totals and per-item figures per mode, then the judge's calls. */
export function costRows(report: EvalReport): { header: string[]; rows: string[][] } {
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
  return { header, rows };
}

function behaviourSection(report: EvalReport): string[] {
  const lines: string[] = [];
  const loop = loopBehaviourLines(report);
  if (loop.length > 0) lines.push("## Loop behaviour", "", ...loop.map((line) => `- ${line}`), "");
  const reroll = report.modes.reroll?.behaviour as RerollBehaviour | undefined;
  if (reroll) {
    lines.push("## Reroll", "", `- samples → items: ${pairs(reroll.samples_histogram)}`, `- kept sample is not the last: ${formatShare(reroll.kept_not_last)}`, "");
  }
  return lines;
}

/** How the loop mode behaved (stop rounds, reasons, verdicts, kept and accepted shares); none without a loop mode. */
export function loopBehaviourLines(report: EvalReport): string[] {
  const loop = report.modes.loop?.behaviour as LoopBehaviour | undefined;
  if (!loop) return [];
  return [
    `rounds played → items: ${pairs(loop.stop_round_histogram)}`,
    `stop reasons: ${pairs(loop.stop_reasons)}`,
    `verdicts over all rounds: ${pairs(loop.verdict_mix)}`,
    `kept round is not the last: ${formatShare(loop.kept_not_last)}`,
    `accepted by reflection: ${formatShare(loop.accepted)}`,
  ];
}

function gateSection(report: EvalReport): string[] {
  const gate = report.gate;
  if (!gate) return [];
  return ["## Gate", "", ...gateLines(report).map((line) => `- ${line}`), ""];
}

export function gateLines(report: EvalReport): string[] {
  const gate = report.gate;
  if (!gate) return [];
  const headline = report.metric.headline;
  const entries = Object.entries(gate.languages);
  const line = (result: { score: number | null; passed: boolean }) =>
    `${gate.mode} ${headline} ${formatScore(result.score)} against --min-score ${gate.min_score}: ${result.passed ? "passed" : "FAILED"}`;
  if (entries.length === 1) return [line(entries[0]![1])];
  return [...entries.map(([language, result]) => `${language}: ${line(result)}`), `every language must pass: ${gate.passed ? "passed" : "FAILED"}`];
}

function errorSection(report: EvalReport): string[] {
  const rows = modeEntries(report).flatMap(([mode, m]) => m.errors.map((error) => [mode, error.key, error.code, error.message.replace(/\|/g, "\\|")]));
  return rows.length === 0 ? [] : ["## Errors", "", ...table(["mode", "item", "code", "message"], rows)];
}

function pairs(counts: Record<string, number>): string {
  const entries = Object.entries(counts);
  return entries.length === 0 ? "–" : entries.map(([key, count]) => `${key}: ${count}`).join(", ");
}
