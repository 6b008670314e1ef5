// Writes report.json, report.md and report.html into the out-dir, each atomically.
import path from "node:path";
import { writeFileAtomic } from "../runs/atomic-write.js";
import { reportJson, type EvalReport } from "./report.js";
import { renderHtml } from "./report-html.js";
import { renderMarkdown } from "./report-markdown.js";

export interface ReportFiles {
  json: string;
  markdown: string;
  html: string;
}

export async function writeReports(outDir: string, report: EvalReport): Promise<ReportFiles> {
  const files: ReportFiles = {
    json: path.join(outDir, "report.json"),
    markdown: path.join(outDir, "report.md"),
    html: path.join(outDir, "report.html"),
  };
  await writeFileAtomic(files.json, reportJson(report));
  await writeFileAtomic(files.markdown, renderMarkdown(report));
  await writeFileAtomic(files.html, renderHtml(report));
  return files;
}
