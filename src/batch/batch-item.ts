// Turns manifest entries into runnable items: validated fields, resolved image, output and run folder, unique ids.
import path from "node:path";
import { isUrlSpec } from "../images/read-source.js";
import { extensionOf, outputFormatFor } from "../images/output.js";
import type { InputImage } from "../images/input.js";
import { BatchRowSchema, describeRowIssues, overridesOf, rawIdOf, RUNS_FOLDER, type RowOverrides } from "./batch-row.js";
import type { ManifestEntry } from "./manifest-entries.js";
import { SeenKeys } from "./seen-keys.js";

export interface BatchItem {
  id: string;
  line: number;
  /** An absolute path or a URL. */
  image: string;
  instruction: string;
  overrides: RowOverrides;
  /** Absolute; undefined means `<out-dir>/<id>.<input's format>`. */
  output?: string;
  runDir: string;
}

export interface RowProblem {
  id: string | null;
  line: number;
  message: string;
}

export type RowCheck = { item: BatchItem } | { problem: RowProblem };

export function runDirFor(outDir: string, id: string): string {
  return path.join(outDir, RUNS_FOLDER, id);
}

export function defaultOutputFor(outDir: string, id: string, input: InputImage): string {
  return path.join(outDir, `${id}${extensionOf(outputFormatFor("-", input))}`);
}

/**
 * Checks rows in manifest order. Remembers ids and the outputs rows name explicitly (not results), to catch
 * duplicates; default outputs `<id>.<ext>` cannot collide with each other once ids are unique. Keys are compared
 * case-folded: on macOS and Windows `A` and `a` are one file, and a second row must never replace the first's work.
 */
export class RowChecker {
  private readonly idLines = new SeenKeys();
  private readonly namedOutputLines = new SeenKeys();
  private readonly idsWithNamedOutput = new SeenKeys();

  constructor(
    private readonly outDir: string,
    private readonly baseDir: string,
  ) {}

  check(entry: ManifestEntry): RowCheck {
    if ("problem" in entry) return { problem: { id: entry.id ?? null, line: entry.line, message: entry.problem } };
    const parsed = BatchRowSchema.safeParse(entry.fields);
    const id = rawIdOf(entry.fields) ?? null;
    if (!parsed.success) return { problem: { id, line: entry.line, message: describeRowIssues(parsed.error) } };
    const row = parsed.data;
    const firstLine = this.idLines.claim(folded(row.id), entry.line);
    if (firstLine !== undefined) return { problem: { id, line: entry.line, message: `duplicate id ${row.id} (first on line ${firstLine})` } };
    const output = row.output === undefined ? undefined : path.resolve(this.outDir, row.output);
    const clash = output === undefined ? undefined : this.claimNamedOutput(row.id, output, entry.line);
    if (clash) return { problem: { id, line: entry.line, message: clash } };
    const item: BatchItem = {
      id: row.id,
      line: entry.line,
      image: isUrlSpec(row.image) ? row.image : path.resolve(this.baseDir, row.image),
      instruction: row.instruction,
      overrides: overridesOf(row),
      runDir: runDirFor(this.outDir, row.id),
      ...(output !== undefined ? { output } : {}),
    };
    return { item };
  }

  /** Why an item's default output `<out-dir>/<id>.<ext>` cannot be used: another row named it as its output. */
  checkDefaultOutput(output: string): string | undefined {
    const line = this.namedOutputLines.lineOf(folded(output));
    return line === undefined ? undefined : `output ${path.relative(this.outDir, output)} is already written by line ${line}`;
  }

  private claimNamedOutput(id: string, output: string, line: number): string | undefined {
    const firstLine = this.namedOutputLines.lineOf(folded(output)) ?? this.lineOfIdWhoseDefaultIs(output, line);
    if (firstLine !== undefined) return `output ${path.relative(this.outDir, output)} is already written by line ${firstLine}`;
    this.namedOutputLines.claim(folded(output), line);
    this.idsWithNamedOutput.claim(folded(id), line);
    return undefined;
  }

  /** An earlier row whose default output may be this file (its format is not known yet, so any image extension counts). */
  private lineOfIdWhoseDefaultIs(output: string, line: number): number | undefined {
    const id = path.parse(output).name;
    if (path.dirname(output) !== this.outDir || this.idsWithNamedOutput.lineOf(folded(id)) !== undefined) return undefined;
    const idLine = this.idLines.lineOf(folded(id));
    return idLine === line ? undefined : idLine;
  }
}

function folded(key: string): string {
  return key.toLowerCase();
}
