// The one way tests run the built bin (dist/src/bin.js): as a user's shell would, in a child process, without
// blocking the test's event loop (the loopback fakes live in this process and must keep answering).
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { fileURLToPath } from "node:url";

export const BIN = fileURLToPath(new URL("../../dist/src/bin.js", import.meta.url));

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  /** stdout as bytes, for an image written to it (`-o -`). */
  stdoutBytes: Buffer;
  stderr: string;
}

export interface CliOptions {
  cwd?: string;
  /** The child's whole environment (see cleanEnv); nothing is inherited from the test process. */
  env?: Record<string, string | undefined>;
  /** All of stdin; a stream is piped with backpressure, for inputs too large to hold. */
  stdin?: Buffer | string | Readable;
  /** A script run instead of the bin that ends by calling the CLI's main (e.g. one routing hosted URLs to a fake). */
  launcher?: string;
}

/** A bin still running: its live output, a way to wait for a state of it, and its exit. */
export interface CliRun {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /**
   * Resolves once `condition` holds, re-checked whenever the child writes; rejects if the child exits first.
   * An event, not a poll: the child's output is what changes the state.
   */
  until(condition: () => boolean): Promise<void>;
  exited: Promise<CliResult>;
}

/** A clean environment: no tokens from the developer's shell, state and cache in a temp home. */
export function cleanEnv(home: string, extra: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string> = { PATH: process.env.PATH ?? "", HOME: home, XDG_STATE_HOME: join(home, "state"), XDG_CACHE_HOME: join(home, "cache"), NO_COLOR: "1" };
  for (const [key, value] of Object.entries(extra)) if (value !== undefined) env[key] = value;
  return env;
}

export function makeTempHome(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "reasonedit-cli-"));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function spawnCli(args: string[], options: CliOptions = {}): CliRun {
  const child = spawn(process.execPath, [options.launcher ?? BIN, ...args], { cwd: options.cwd, env: options.env, stdio: ["pipe", "pipe", "pipe"] });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const watchers = new Set<() => void>();
  const changed = () => watchers.forEach((check) => check());
  child.stdout!.on("data", (chunk: Buffer) => void (out.push(chunk), changed()));
  child.stderr!.on("data", (chunk: Buffer) => void (err.push(chunk), changed()));
  const stdout = () => Buffer.concat(out).toString("utf8");
  const stderr = () => Buffer.concat(err).toString("utf8");
  const exited = new Promise<CliResult>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => {
      changed();
      const bytes = Buffer.concat(out);
      resolve({ code, signal, stdout: bytes.toString("utf8"), stdoutBytes: bytes, stderr: stderr() });
    });
  });
  // A child may stop reading its stdin early (an input over the size cap): that is its answer, not a test error.
  child.stdin!.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code !== "EPIPE") child.emit("error", error);
  });
  if (options.stdin instanceof Readable) options.stdin.pipe(child.stdin!);
  else child.stdin!.end(options.stdin ?? "");
  let ended = false;
  void exited.finally(() => (ended = true)).catch(() => undefined);
  const until = (condition: () => boolean) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (condition()) {
          watchers.delete(check);
          resolve();
        } else if (ended || child.exitCode !== null || child.signalCode !== null) {
          watchers.delete(check);
          reject(new Error(`the CLI exited (${child.exitCode ?? child.signalCode}) before the awaited state; stderr:\n${stderr()}`));
        }
      };
      watchers.add(check);
      check();
    });
  return { child, stdout, stderr, until, exited };
}

export function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  return spawnCli(args, options).exited;
}
