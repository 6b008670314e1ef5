// Replies that have a size, from the built bin: a chat answer or an edited image far too large, or a 200 body that
// never ends, is refused while it streams: bounded time, bounded memory, exit 4, nothing cached, nothing retried.
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { fault } from "../fakes/fake-providers.mjs";
import { expectExit } from "../support/assertions.js";
import { useCliSandbox } from "../support/cli-sandbox.js";
import type { CliResult } from "../support/run-cli.js";
import { watchPeakRss } from "../support/peak-rss.js";

const MB = 1024 * 1024;
/** The start of an OpenAI-style chat answer whose content string then goes on and on. */
const CHAT_PREFIX = '{"id":"chatcmpl-1","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"';
const PNG_SIGNATURE = "\u0089PNG\r\n\u001a\n";

const sandbox = useCliSandbox();

interface TimedRun extends CliResult {
  elapsedMs: number;
  peakRss: number;
}

async function edit(extra: string[] = []): Promise<TimedRun> {
  const flags = ["--mllm-url", `${sandbox.fake.url}/v1`, "--editor-url", sandbox.fake.url, "--seed", "7", ...extra];
  const started = Date.now();
  const run = sandbox.spawn(["edit", "cat.png", "make it snow", ...flags]);
  const stopWatching = watchPeakRss(run.child.pid!);
  const result = await run.exited;
  return { ...result, elapsedMs: Date.now() - started, peakRss: stopWatching() };
}

function calls(kind: "chat" | "edit"): number {
  return sandbox.fake.requests.filter((request) => request.kind === kind).length;
}

/** Bytes under the cache folder: an answer refused for its size must not be kept. */
function cachedBytes(): number {
  const walk = (dir: string): number =>
    readdirSync(dir, { withFileTypes: true }).reduce((sum, entry) => {
      const path = join(dir, entry.name);
      return sum + (entry.isDirectory() ? walk(path) : statSync(path).size);
    }, 0);
  try {
    return walk(join(sandbox.home, "cache"));
  } catch {
    return 0;
  }
}

describe("replies that are hard to read", () => {
  it("reads 60,000 unbalanced braces from every step in bounded time: each an invalid reply, never a hang", async () => {
    sandbox.fake.setChat(() => "{".repeat(60_000));
    const result = await edit(["--rounds", "2"]);
    expectExit(result, 3);
    expect(result.stderr).toMatch(/think: .* was not valid after one corrective re-ask: the reply held no JSON object/);
    expect(result.stderr).not.toMatch(/internal error/);
    expect(result.elapsedMs).toBeLessThan(15_000);
    expect(calls("edit")).toBe(2);
    expect(calls("chat") % 2).toBe(0); // every step asked twice, none more
  });
});

describe("oversized and endless replies", () => {
  it("refuses a 50 MB chat answer that says its size up front, without reading it or asking again", async () => {
    sandbox.fake.fail("chat", fault.flood({ prefix: CHAT_PREFIX, totalBytes: 50 * MB, declareLength: true }));
    const result = await edit();
    expect(result.stderr).toMatch(/sent an answer larger than 8 MB; it was refused/);
    expectExit(result, 4);
    expect(calls("chat")).toBe(1);
    expect(calls("edit")).toBe(0);
    expect(cachedBytes()).toBeLessThan(MB);
    expect(result.peakRss).toBeLessThan(300 * MB);
  });

  it("refuses a 50 MB chat answer sent without a length once 8 MB have streamed, in bounded memory", async () => {
    sandbox.fake.fail("chat", fault.flood({ prefix: CHAT_PREFIX, totalBytes: 50 * MB }));
    const result = await edit();
    expect(result.stderr).toMatch(/sent an answer larger than 8 MB; it was refused/);
    expectExit(result, 4);
    expect(calls("chat")).toBe(1);
    expect(cachedBytes()).toBeLessThan(MB);
    expect(result.peakRss).toBeLessThan(300 * MB);
  });

  it("ends a chat answer that trickles forever at --timeout: the deadline counts the whole body", async () => {
    sandbox.fake.fail("chat", fault.flood({ prefix: CHAT_PREFIX, chunkBytes: 1024, intervalMs: 50 }));
    const result = await edit(["--timeout", "2", "--max-retries", "0"]);
    expect(result.stderr).toMatch(/did not answer within 2 s/);
    expectExit(result, 4);
    expect(result.elapsedMs).toBeLessThan(12_000);
    expect(calls("edit")).toBe(0);
  });

  it("refuses an edited image that never ends at the image cap, in bounded memory, with one editor call", async () => {
    sandbox.fake.fail("edit", fault.flood({ contentType: "image/png", prefix: PNG_SIGNATURE, fill: "\u0000", chunkBytes: MB }));
    const result = await edit(["--no-think", "--no-reflect"]);
    expect(result.stderr).toMatch(/sent an answer larger than 256 MB; it was refused/);
    expectExit(result, 4);
    expect(calls("edit")).toBe(1);
    expect(result.peakRss).toBeLessThan(600 * MB); // the 256 MB cap plus the process
    expect(readdirSync(sandbox.home)).not.toContain("cat.edited.png");
  }, 60_000);

  it("ends an edited image that trickles forever at --timeout", async () => {
    sandbox.fake.fail("edit", fault.flood({ contentType: "image/png", prefix: PNG_SIGNATURE, chunkBytes: 512, intervalMs: 50 }));
    const result = await edit(["--no-think", "--no-reflect", "--timeout", "2", "--max-retries", "0"]);
    expect(result.stderr).toMatch(/did not answer within 2 s/);
    expectExit(result, 4);
    expect(result.elapsedMs).toBeLessThan(12_000);
    expect(readdirSync(sandbox.home)).not.toContain("cat.edited.png");
  });
});

