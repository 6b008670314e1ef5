// `reasonedit doctor`: checks the setup an edit needs and prints one line per check, with a fix for each problem.
// The report is the command's result, so it goes to stdout (a table for people, one JSON object with --json);
// logs stay on stderr. Exit 0 = all good, 2 = a config problem (token, prompts, folders), 4 = a model unserved
// or a server unreachable.
import type { Command } from "commander";
import type { DoctorCheck, DoctorReport } from "../../app/doctor/run-doctor.js";
import { redactSecrets } from "../../redact.js";
import { addModelOptions, addRuntimeOptions } from "../common-options.js";
import { buildContext, type CliIo } from "../context.js";

export function registerDoctorCommand(program: Command, io: CliIo): void {
  const command = program
    .command("doctor")
    .description("check Node, sharp, HF_TOKEN, whether the MLLM and editor are served (and by whom), custom servers, prompts and folders")
    .option("--prompts <dir>", "folder of prompt templates to check  [built-in]");
  addModelOptions(command);
  addRuntimeOptions(command);
  command.action(async (_options: unknown, cmd: Command) => {
    const context = buildContext(cmd, io);
    const { runDoctor } = await import("../../app/doctor/run-doctor.js");
    const report = await runDoctor({ settings: context.settings, credentials: context.credentials, env: io.env });
    // The checks never print a token; redacting anyway is the last line of defence.
    const text = context.settings.json ? `${JSON.stringify(doctorJson(report))}\n` : renderDoctor(report, { quiet: context.settings.quiet });
    io.stdout.write(redactSecrets(text, context.secrets));
    process.exitCode = report.exitCode;
  });
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
