// The assertions CLI and error tests share: an exit code that shows the CLI's stderr when it is wrong, no secret
// anywhere a user could see it, and the ReasonEditError a promise rejects with.
import { expect } from "vitest";
import { ReasonEditError } from "../../src/errors.js";
import type { CliResult } from "./run-cli.js";

/** The exit code; when it differs, the failure shows what the CLI said on stderr, which is nearly always why. */
export function expectExit(result: Pick<CliResult, "code" | "stderr">, code: number): void {
  expect(result.code, `exit code (stderr: ${JSON.stringify(result.stderr.slice(0, 2000))})`).toBe(code);
}

/** None of the secrets appears in stdout, stderr or any of the other texts (records, logs). */
export function expectNoSecret(texts: Pick<CliResult, "stdout" | "stderr"> | string[], ...secrets: string[]): void {
  const all = Array.isArray(texts) ? texts : [texts.stdout, texts.stderr];
  for (const text of all) for (const secret of secrets) expect(text).not.toContain(secret);
}

/** The ReasonEditError `promise` rejects with; fails the test if it resolves or rejects with anything else. */
export async function rejection(promise: Promise<unknown>): Promise<ReasonEditError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!ReasonEditError.is(error)) throw new Error(`expected a ReasonEditError, got ${String(error)}`);
  return error;
}
