// What `reasonedit doctor` does: runs the checks and prints the report on stdout (a table, or JSON with --json).
import { terminalLines } from "../../terminal-text.js";
import type { Command } from "commander";
import { runDoctor, type DoctorCheck, type DoctorReport } from "../../app/doctor/run-doctor.js";
import { redactSecrets } from "../../redact.js";
import { buildContext, type CliIo } from "../context.js";

export async function doctorAction(cmd: Command, io: CliIo): Promise<number> {
  const context = buildContext(cmd, io);
  const report = await runDoctor({ settings: context.settings, credentials: context.credentials, env: io.env });
  // The checks never print a token; redacting anyway is the last line of defence.
  const text = context.settings.json ? `${JSON.stringify(doctorJson(report))}\n` : terminalLines(renderDoctor(report, { quiet: context.settings.quiet }));
  io.stdout.write(redactSecrets(text, context.secrets));
  return report.exitCode;
}

const MARKS: Record<DoctorCheck["status"], string> = { ok: "✓", warn: "!", fail: "✗", skip: "-" };

/** One line per check (✓ ok, ! warning, ✗ problem, - skipped), its fix indented below, and a summary. */
export function renderDoctor(report: DoctorReport, options: { quiet?: boolean } = {}): string {
  const shown = options.quiet ? report.checks.filter((check) => check.status === "fail" || check.status === "warn") : report.checks;
  const width = Math.max(...report.checks.map((check) => check.label.length));
  const lines: string[] = [];
  for (const check of shown) {
    lines.push(`${MARKS[check.status]} ${check.label.padEnd(width)}  ${check.detail}`);
    if (check.fix && (check.status === "fail" || check.status === "warn")) lines.push(`  ${" ".repeat(width)}  → ${check.fix}`);
  }
  const failed = report.checks.filter((check) => check.status === "fail").length;
  const warned = report.checks.filter((check) => check.status === "warn").length;
  if (failed > 0) lines.push(`${failed} problem${failed > 1 ? "s" : ""}${warned ? `, ${warned} warning${warned > 1 ? "s" : ""}` : ""} (exit ${report.exitCode})`);
  else if (!options.quiet) lines.push(warned ? `ready, with ${warned} warning${warned > 1 ? "s" : ""}` : "ready to edit");
  return lines.length > 0 ? `${lines.join("\n")}\n` : "";
}

export function doctorJson(report: DoctorReport): Record<string, unknown> {
  return { ok: report.exitCode === 0, exit_code: report.exitCode, checks: report.checks };
}
