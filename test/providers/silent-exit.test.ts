// THE REGRESSION: @huggingface/inference 4.13.30 waits between fal-ai queue polls on unref'd timers
// (utils/delay.ts calls timeout.unref()). In a plain Node process nothing else holds the event loop
// while it waits, so Node exits with code 0 in the middle of an edit and prints nothing: the CLI would
// "succeed" without a result. createEditor holds a ref'd deadline timer for the whole call (deadline.ts).
//
// Both client and fake run as child processes: an in-process http.Server keeps the loop alive through
// its sockets and would mask the bug.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, statSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..", "..");
const FAKES = join(ROOT, "test", "fakes");
const FAL_POLLS = 2; // IN_QUEUE, IN_PROGRESS, then COMPLETED: three polls, 500 ms apart

interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

let server: ChildProcess;
let fakeUrl: string;

beforeAll(async () => {
  server = spawn(process.execPath, [join(FAKES, "serve.mjs"), "--fal-polls", String(FAL_POLLS)], { stdio: ["pipe", "pipe", "inherit"] });
  fakeUrl = await firstLineUrl(server);
});

afterAll(() => {
  server.stdin?.end(); // serve.mjs stops when its stdin closes
  server.kill();
});

describe("a bare Node process running a routed fal-ai edit", () => {
  it("exits with code 0 and no result mid-edit when only the library is used (library bug)", async () => {
    const before = await fakeRequests();

    const run = await runNode([join(FAKES, "fal-edit-client.mjs"), "--fake", fakeUrl, "--mode", "raw", "--model", "test/silent-exit-raw"]);

    expect(run.code).toBe(0);
    expect(run.stdout).toBe("");
    const seen = (await fakeRequests()).slice(before.length).map((request) => request.kind);
    expect(seen).toContain("fal-submit"); // it did start the job…
    expect(seen).not.toContain("media"); // …and left before the result
  });

  it("prints the result and exits 0 after completion with createEditor", async () => {
    const editorModule = compiledEditor();
    const before = await fakeRequests();

    const run = await runNode([
      join(FAKES, "fal-edit-client.mjs"),
      "--fake",
      fakeUrl,
      "--mode",
      "guarded",
      "--editor",
      editorModule,
      "--model",
      "test/silent-exit-guarded",
    ]);

    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: true });
    const seen = (await fakeRequests()).slice(before.length).map((request) => request.kind);
    expect(seen.filter((kind) => kind === "fal-status")).toHaveLength(FAL_POLLS + 1);
    expect(seen.at(-1)).toBe("media");
  });
});

/**
 * dist/src/providers/hf-editor.js from `npm run build` (npm test runs it in pretest); when that is missing or
 * older than the sources, just this module's graph is compiled into node_modules/.cache (about a second).
 */
function compiledEditor(): string {
  const built = join(ROOT, "dist", "src", "providers", "hf-editor.js");
  const sources = [
    ...readdirSync(join(ROOT, "src", "providers")).map((name) => join(ROOT, "src", "providers", name)),
    join(ROOT, "src", "errors.ts"),
    join(ROOT, "src", "logging.ts"),
  ];
  const newest = Math.max(...sources.map((path) => statSync(path).mtimeMs));
  if (existsSync(built) && statSync(built).mtimeMs >= newest) return built;
  const outDir = join(ROOT, "node_modules", ".cache", "reasonedit-providers-test");
  const tsc = join(ROOT, "node_modules", "typescript", "bin", "tsc");
  const options = ["--outDir", outDir, "--rootDir", ROOT, "--module", "nodenext", "--moduleResolution", "nodenext"];
  execFileSync(process.execPath, [tsc, join(ROOT, "src", "providers", "hf-editor.ts"), ...options, "--target", "es2022", "--skipLibCheck", "--types", "node", "--lib", "es2023,dom"], { cwd: ROOT });
  return join(outDir, "src", "providers", "hf-editor.js");
}

async function fakeRequests(): Promise<Array<{ kind: string }>> {
  const response = await fetch(`${fakeUrl}/_fake/requests`);
  return (await response.json()) as Array<{ kind: string }>;
}

function firstLineUrl(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    if (!child.stdout) return reject(new Error("no stdout"));
    const lines = createInterface({ input: child.stdout });
    lines.once("line", (line) => resolve((JSON.parse(line) as { url: string }).url));
    child.once("exit", (code) => reject(new Error(`fake server exited early with ${code}`)));
  });
}

function runNode(args: string[], timeoutMs = 20_000): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`child did not finish within ${timeoutMs} ms: ${stderr}`));
    }, timeoutMs);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
