// report.html: one self-contained page (images by relative path in the out-dir) that opens from disk with no server.
import { EVAL_MODES, type EvalMode } from "./modes.js";
import type { AttemptView } from "./outcome.js";
import type { EvalReport, ItemReport } from "./report.js";
import {
  categoryRows,
  costRows,
  loopBehaviourLines,
  formatScore,
  gateLines,
  intersectionRows,
  languageTitle,
  modeLines,
  overallHeader,
  overallRows,
  settingsLine,
} from "./report-markdown.js";

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px;color:#1f1f1f;background:#fafaf8}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}
.meta{color:#555;margin-bottom:16px}
table{border-collapse:collapse;margin:6px 0 12px;background:#fff}
th,td{border:1px solid #ddd;padding:4px 8px;text-align:right}th:first-child,td:first-child{text-align:left}
th{background:#f0f0ec}
.item{background:#fff;border:1px solid #ddd;border-radius:6px;padding:12px;margin:14px 0}
.item h3{margin:0 0 4px;font-size:15px}.instruction{margin:0 0 10px}
.columns{display:flex;gap:12px;overflow-x:auto;align-items:flex-start}
.column{flex:0 0 auto;width:240px}
.column>figure img{width:240px;height:auto;display:block;border:1px solid #ccc}
figure{margin:0}figcaption{font-size:12px;color:#333;margin-top:3px}
.rounds{display:flex;gap:4px;flex-wrap:wrap;margin-top:6px}
.rounds figure{width:76px}.rounds img{width:76px;height:auto;display:block;border:2px solid transparent}
.rounds .kept img{border-color:#2b7a2b}
.verdict-success{color:#2b7a2b}.verdict-refine{color:#9a6a00}.verdict-failed{color:#b22}
.error{color:#b22}
`;

// Marks each image once it has loaded (data-loaded="true") or failed ("false"), so a headless check can read it from the DOM.
const IMAGE_PROBE = `
for (const img of document.images) {
  const mark = () => img.setAttribute("data-loaded", String(img.naturalWidth > 0));
  if (img.complete) mark(); else { img.addEventListener("load", mark); img.addEventListener("error", mark); }
}
window.addEventListener("load", () => {
  const images = [...document.images];
  document.body.setAttribute("data-images-loaded", String(images.filter((img) => img.naturalWidth > 0).length));
  document.body.setAttribute("data-images-total", String(images.length));
});
`;

export function renderHtml(report: EvalReport): string {
  return [
    "<!doctype html>",
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>reasonedit eval: ${escapeHtml(report.settings.benchmark)}</title>`,
    `<style>${STYLE}</style></head><body>`,
    `<h1>reasonedit eval: ${escapeHtml(report.settings.benchmark)}</h1>`,
    `<div class="meta">${escapeHtml(settingsLine(report))}</div>`,
    `<h2>Modes</h2>\n<ul id="modes">${modeLines(report).map((line) => `<li>${escapeHtml(line)}</li>`).join("")}</ul>`,
    ...report.languages.map((language) => languageTables(report, language)),
    costTable(report),
    behaviourList(report),
    gateLine(report),
    `<h2>Items</h2>`,
    ...report.items.map((item) => itemSection(item, report.metric)),
    `<script>${IMAGE_PROBE}</script>`,
    "</body></html>",
    "",
  ].join("\n");
}

function htmlTable(id: string, header: string[], rows: string[][]): string {
  const head = `<tr>${header.map((cell) => `<th>${escapeHtml(cell)}</th>`).join("")}</tr>`;
  const body = rows.map((row) => `<tr>${row.map((cell) => `<td>${escapeHtml(cell)}</td>`).join("")}</tr>`).join("\n");
  return `<table id="${id}"><thead>${head}</thead><tbody>\n${body}\n</tbody></table>`;
}

/** One language's tables; ids carry the language so a page with en and cn has one overall table each. */
function languageTables(report: EvalReport, language: string): string {
  const id = language.replace(/[^A-Za-z0-9_-]/g, "-");
  const intersection = intersectionRows(report, language);
  const categories = categoryRows(report, language);
  return [
    `<h2>${escapeHtml(languageTitle(report, language))}</h2>`,
    `<p class="meta">${escapeHtml(report.metric.describe)} Δ is paired on the items both modes scored, with a seeded bootstrap 95% interval.</p>`,
    htmlTable(`overall-${id}`, overallHeader(report), overallRows(report, language)),
    intersection.length > 0 ? `<h3>Intersection subset</h3>\n${htmlTable(`intersection-${id}`, ["mode", ...report.metric.keys, "items"], intersection)}` : "",
    `<h3>Per category (${escapeHtml(report.metric.keys.join(" / "))})</h3>`,
    htmlTable(`categories-${id}`, categories.header, categories.rows.map((row) => row.map((cell) => cell.replace(/\*\*/g, "")))),
  ].join("\n");
}

function costTable(report: EvalReport): string {
  const { header, rows } = costRows(report);
  return `<h2>Cost</h2>\n${htmlTable("cost", header, rows)}`;
}

function behaviourList(report: EvalReport): string {
  const lines = loopBehaviourLines(report);
  if (lines.length === 0) return "";
  return `<h2>Loop behaviour</h2>\n<ul id="behaviour">${lines.map((line) => `<li>${escapeHtml(line)}</li>`).join("")}</ul>`;
}

function gateLine(report: EvalReport): string {
  if (!report.gate) return "";
  return `<h2>Gate</h2>\n<ul id="gate">${gateLines(report).map((line) => `<li>${escapeHtml(line)}</li>`).join("")}</ul>`;
}

function itemSection(item: ItemReport, metric: EvalReport["metric"]): string {
  const columns = [sourceColumn(item), ...EVAL_MODES.flatMap((mode) => (item.modes[mode] ? [modeColumn(mode, item, metric)] : []))];
  const hint = item.knowledge_hint ? ` <span class="meta">(hint for the judge: ${escapeHtml(item.knowledge_hint)})</span>` : "";
  return [
    `<section class="item" id="item-${escapeHtml(item.key)}">`,
    `<h3>${escapeHtml(item.key)} · ${escapeHtml(item.task_type)}</h3>`,
    `<p class="instruction">${escapeHtml(item.instruction)}${hint}</p>`,
    `<div class="columns">${columns.join("\n")}</div>`,
    "</section>",
  ].join("\n");
}

function sourceColumn(item: ItemReport): string {
  return `<div class="column"><figure>${img(item.source, "source")}<figcaption>source</figcaption></figure></div>`;
}

function modeColumn(mode: EvalMode, item: ItemReport, metric: EvalReport["metric"]): string {
  const result = item.modes[mode]!;
  const others = metric.keys.filter((key) => key !== metric.headline && key in result.scores);
  const scores = [...others.map((key) => `${key} ${formatScore(result.scores[key])}`), `<strong>${metric.headline} ${formatScore(result.scores[metric.headline])}</strong>`].join(" · ");
  const picture = result.output ? img(result.output, `${mode} result`) : "";
  const error = result.error ? `<div class="error">${escapeHtml(`${result.error.code}: ${result.error.message}`)}</div>` : "";
  const concrete =
    result.concrete_instruction && result.concrete_instruction !== item.instruction
      ? `<div class="meta">thought: ${escapeHtml(result.concrete_instruction)}</div>`
      : "";
  const rounds = result.attempts.length > 1 || mode === "loop" || mode === "full" ? `<div class="rounds">${result.attempts.map(attemptFigure).join("")}</div>` : "";
  return `<div class="column" data-mode="${mode}"><figure>${picture}<figcaption><strong>${mode}</strong> · ${scores}</figcaption></figure>${error}${concrete}${rounds}</div>`;
}

function attemptFigure(attempt: AttemptView): string {
  // Reroll samples have no verdict: show the reasoner's own SC·PQ, which picked the kept one.
  const value = attempt.loop_sc && attempt.loop_pq ? Math.min(...attempt.loop_sc) * Math.min(...attempt.loop_pq) : null;
  const label = attempt.verdict ?? (value === null ? "edited" : `SC·PQ ${value.toFixed(0)}`);
  const title = [attempt.instruction, attempt.refined_instruction ? `→ ${attempt.refined_instruction}` : ""].filter(Boolean).join(" ");
  const kept = attempt.kept ? " kept" : "";
  const verdictClass = attempt.verdict ? ` verdict-${attempt.verdict}` : "";
  return `<figure class="attempt${kept}" title="${escapeHtml(title)}">${attempt.image === null ? `<span class="not-kept">not kept</span>` : img(attempt.image, `round ${attempt.index}`)}<figcaption class="${verdictClass.trim()}">${attempt.index}. ${escapeHtml(label)}${attempt.kept ? " ★" : ""}</figcaption></figure>`;
}

function img(relativePath: string, alt: string): string {
  const src = relativePath.split("/").map(encodeURIComponent).join("/");
  return `<img src="${escapeHtml(src)}" alt="${escapeHtml(alt)}" decoding="async">`;
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
