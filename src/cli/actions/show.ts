// What `reasonedit show` does: finds a run record and prints its rounds, as text or JSON, or draws a contact sheet.
import { terminalLine } from "../../terminal-text.js";
import { readdir, stat } from "node:fs/promises";
import path from "node:path";
import type { Command } from "commander";
import { describeReport, EXIT, ReasonEditError } from "../../errors.js";
import { pictureFromFile } from "../../eval/picture-file.js";
import { contactSheet } from "../../images/contact-sheet.js";
import { convertImage, formatOfExtension, writableExtensions } from "../../images/output.js";
import { writeFileAtomic } from "../../runs/atomic-write.js";
import { defaultRunsRoot, readRunRecord } from "../../runs/run-folder.js";
import { findRun } from "../../runs/run-index.js";
import type { CandidateRecord, RoundRecord, RunRecord } from "../../runs/run-record.js";
import { buildContext, type CliIo, type CommandContext } from "../context.js";
import { roundResultOf } from "../../app/edit-result.js";
import { cappedText, scoreText } from "../../app/score-text.js";

interface LoadedRun {
  record: RunRecord;
  recordPath: string;
  dir: string;
}

export async function showAction(target: string | undefined, cmd: Command, io: CliIo): Promise<number> {
  const context = buildContext(cmd, io);
  const run = await loadRun(await locateRecord(target, context));
  if (context.settings.json) io.stdout.write(`${JSON.stringify(runJson(run))}\n`);
  else if (!context.settings.quiet) io.stdout.write(`${runLines(run).map(terminalLine).join("\n")}\n`);
  const sheet = cmd.opts<{ sheet?: string }>().sheet;
  if (sheet) context.say(`contact sheet: ${await writeSheet(run, path.resolve(io.cwd, sheet))}`);
  return EXIT.ok;
}

async function locateRecord(target: string | undefined, context: CommandContext): Promise<string> {
  if (target === undefined) return newestRecord(runsRoot(context));
  const resolved = path.resolve(context.io.cwd, target);
  const info = await stat(resolved).catch(() => undefined);
  if (info) return info.isDirectory() ? path.join(resolved, "run.json") : resolved;
  return recordById(target, runsRoot(context));
}

/** `show 20261201T0940…-cat-1a2b3c`, or any part of the id only one run has (`show 1a2b3c`, `show cat`). */
async function recordById(id: string, root: string): Promise<string> {
  const { found, matches } = await findRun(root, id);
  if (found) return path.join(found, "run.json");
  if (matches.length > 1) {
    throw new ReasonEditError("usage", `${matches.length} runs under ${root} match ${id}: ${matches.slice(0, 3).join(", ")}${matches.length > 3 ? ", …" : ""}`, { hint: "give more of the id (see reasonedit runs list)" });
  }
  throw new ReasonEditError("input_missing", `no run at ${id}, and no run under ${root} has that id`, { hint: "give a run folder, its run.json or an id from `reasonedit runs list` (with --run-dir for another folder)" });
}

function runsRoot(context: CommandContext): string {
  return context.settings.runDir ?? defaultRunsRoot(context.io.env);
}

/** The run whose run.json changed last: the one finished or still going most recently. */
async function newestRecord(root: string): Promise<string> {
  const names = await readdir(root).catch(() => [] as string[]);
  const records = await Promise.all(
    names.map(async (name) => {
      const file = path.join(root, name, "run.json");
      const info = await stat(file).catch(() => undefined);
      return info ? { file, mtime: info.mtimeMs } : undefined;
    }),
  );
  const newest = records.filter((entry) => entry !== undefined).sort((a, b) => b.mtime - a.mtime)[0];
  if (!newest) throw new ReasonEditError("input_missing", `no runs under ${root}`, { hint: "run `reasonedit edit` first, or pass a run folder (or --run-dir)" });
  return newest.file;
}

async function loadRun(recordPath: string): Promise<LoadedRun> {
  try {
    return { record: await readRunRecord(recordPath), recordPath, dir: path.dirname(recordPath) };
  } catch (error) {
    const reason = error instanceof SyntaxError ? "it is not JSON" : `it is not a reasonedit run record (${(error as Error).message.split("\n")[0]})`;
    throw new ReasonEditError("input_unreadable", `cannot read ${recordPath}: ${reason}`, { hint: "point show at a folder that `reasonedit edit` or `batch` wrote" });
  }
}

function chosenOf(round: RoundRecord): CandidateRecord {
  return round.candidates[round.chosen]!;
}

function runLines({ record, recordPath }: LoadedRun): string[] {
  const kept = record.kept_round === null ? "no kept round" : `kept round ${record.kept_round} of ${record.rounds.length}`;
  const header = `run ${record.id}: ${record.status.replace(/_/g, " ")}, ${kept}${record.stop_reason ? `, stopped: ${record.stop_reason.replace(/_/g, " ")}` : ""}`;
  const concrete = record.concrete_instruction && record.concrete_instruction !== record.instruction ? [`thought:     "${record.concrete_instruction}"`] : [];
  const totals = record.totals;
  return [
    header,
    `input:       ${record.input.label} (${record.input.width}×${record.input.height})`,
    `instruction: "${record.instruction}"`,
    ...concrete,
    ...record.rounds.flatMap((round) => roundLines(round, record.kept_round)),
    `totals:      ${totals.mllm_calls} MLLM calls, ${totals.editor_calls} edits, ${totals.tokens} tokens${totals.cached_calls ? `, ${totals.cached_calls} from cache` : ""}, ${(totals.wall_ms / 1000).toFixed(1)}s`,
    ...record.degraded.map((degradation) => `degraded:    ${degradation.message}`),
    ...(record.output ? [`output:      ${record.output}`] : []),
    ...(record.error ? [`error:       ${record.error.code}: ${describeReport(record.error)}`] : []),
    `record:      ${recordPath}`,
  ];
}

function roundLines(round: RoundRecord, keptRound: number | null): string[] {
  const chosen = chosenOf(round);
  const base = round.base === "source" ? "source" : `round ${round.base}`;
  const kept = round.index === keptRound ? " ★ kept" : "";
  const verdict = chosen.verdict ?? "no verdict";
  const refined = chosen.verdict === "refine" && chosen.refined_instruction ? ` → "${chosen.refined_instruction}"` : "";
  const timings = [`edit ${seconds(chosen.edit_ms)}`, ...Object.entries(chosen.steps).map(([step, record]) => `${step} ${seconds(record.ms)}`)];
  return [
    `round ${round.index}${kept} (edits ${base}, seed ${chosen.seed}): "${round.instruction}"`,
    `  ${verdict}${refined}`,
    `  ${candidateScores(chosen)}`,
    `  ${timings.join(" · ")}`,
    ...round.failures.map((failure) => `  ! ${failure.step}: ${failure.message}`),
  ];
}

function candidateScores(candidate: CandidateRecord): string {
  const capped = candidate.capped_score === undefined ? "" : ` · ${cappedText(candidate.capped_score)}`;
  return `${scoreText(candidate.scores)}${capped}`;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

function runJson({ record, recordPath, dir }: LoadedRun): Record<string, unknown> {
  return {
    run: record.id,
    run_record: recordPath,
    status: record.status,
    instruction: record.instruction,
    concrete_instruction: record.concrete_instruction,
    kept_round: record.kept_round,
    stop_reason: record.stop_reason,
    source_image: record.input.source_image === null ? null : path.join(dir, record.input.source_image),
    rounds: record.rounds.map((round) => roundResultOf(round, (file) => path.join(dir, file))),
    totals: record.totals,
    output: record.output,
    error: record.error,
  };
}

/** The sheet in the format its extension names (PNG without one); images the record did not keep are left out. */
async function writeSheet({ record, dir }: LoadedRun, file: string): Promise<string> {
  const extension = path.extname(file);
  const format = extension === "" ? "png" : formatOfExtension(extension);
  if (!format) throw new ReasonEditError("usage", `cannot write a contact sheet as ${extension}`, { hint: `use ${writableExtensions()}` });
  const wanted = [
    { file: record.input.source_image, caption: "source" },
    ...record.rounds.map((round) => ({ file: chosenOf(round).image, caption: sheetCaption(round, record.kept_round) })),
  ];
  const tiles = (await Promise.all(wanted.map((tile) => keptTile(dir, tile.file, tile.caption)))).filter((tile) => tile !== undefined);
  if (tiles.length === 0) {
    throw new ReasonEditError("input_missing", `run ${record.id} kept no images to draw`, { hint: "it ran with --keep-images none; run it again with --keep-images all to see its rounds" });
  }
  const sheet = await contactSheet(tiles);
  await writeFileAtomic(file, format === "png" ? sheet : await convertImage(sheet, format));
  return file;
}

async function keptTile(dir: string, file: string | null, caption: string) {
  if (!file) return undefined;
  const picture = await pictureFromFile(path.join(dir, file)).catch(() => undefined);
  return picture && { picture, caption };
}

function sheetCaption(round: RoundRecord, keptRound: number | null): string {
  const chosen = chosenOf(round);
  const scores = chosen.scores.sc || chosen.scores.pq ? scoreText(chosen.scores) : "no scores";
  return `round ${round.index}${round.index === keptRound ? " ★" : ""} · ${chosen.verdict ?? "edited"}\n${scores}`;
}
