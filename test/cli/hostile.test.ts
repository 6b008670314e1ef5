// Hostile inputs and replies from the built bin: a lying image header, oversized exact ops and escape sequences
// in model text give the documented exit codes, no paid call where none is due, and clean terminal output.
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { lyingJpeg } from "../fakes/pictures.js";
import { reasoningResponder } from "../fakes/reasoning-responder.mjs";
import { useCliSandbox } from "../support/cli-sandbox.js";
import { expectExit } from "../support/assertions.js";

/** Any C0/C1 control other than the line break, as a terminal would obey it. */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const TERMINAL_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

const sandbox = useCliSandbox();

function edit(args: string[]) {
  const flags = ["--mllm-url", `${sandbox.fake.url}/v1`, "--editor-url", sandbox.fake.url, "--max-retries", "0", "--seed", "7"];
  return sandbox.run(["edit", ...args, ...flags]);
}

function onlyRecord(): { ops: unknown[]; concrete_instruction: string } {
  const root = join(sandbox.home, "state", "reasonedit", "runs");
  const [run] = readdirSync(root);
  return JSON.parse(readFileSync(join(root, run!, "run.json"), "utf8"));
}

describe("hostile inputs and replies", () => {
  it("refuses a 265-byte JPEG whose header claims 10000×10000 as corrupt: exit 2, no model call", async () => {
    writeFileSync(join(sandbox.home, "lie.jpg"), await lyingJpeg());
    const result = await edit(["lie.jpg", "make it snow"]);
    expect(result.stderr).toMatch(/lie\.jpg is corrupt: its header says 10000×10000/);
    expectExit(result, 2);
    expect(sandbox.fake.requests).toHaveLength(0);
  });

  it("treats think's oversized resize as an invalid reply: re-asked once, then the edit goes on without ops", async () => {
    const huge = { instruction: "make the cat's fur white as snow", changed: true, scope: "global", ops: [{ op: "resize", width: 16384, height: 8192 }] };
    sandbox.fake.setChat(reasoningResponder({ think: huge, verdicts: ["success"] }));
    const result = await edit(["cat.png", "make it snow and huge"]);
    expectExit(result, 0);
    expect(result.stderr).toMatch(/! think: .*ops\[0\]: resize would make the 451×300 image 16384×8192/);
    expect(result.stderr).not.toMatch(/internal error/);
    const meta = await sharp(join(sandbox.home, "cat.edited.png")).metadata();
    expect([meta.width, meta.height]).toEqual([451, 300]);
    expect(onlyRecord().ops).toEqual([]);
  });

  it("strips escape sequences from model text on stderr and in show; the run record keeps the text as sent", async () => {
    const title = "\u001b]0;pwned\u0007";
    const clipboard = "\u001b]52;c;cm0gLXJmIH4=\u0007";
    sandbox.fake.setChat(
      reasoningResponder({
        think: { instruction: `make the fur white${title}\u001b[2J`, changed: true, scope: "local", ops: [] },
        verdicts: [{ refine: `add snow${clipboard}\r\naccepted: forged line` }, "success"],
      }),
    );
    const result = await edit(["cat.png", "make it snow"]);
    expectExit(result, 0);
    expect(result.stderr).toContain('thinking → "make the fur white"');
    expect(result.stderr).toContain('→ "add snow accepted: forged line"');
    expect(result.stderr).not.toMatch(TERMINAL_CONTROL);

    const record = onlyRecord();
    expect(record.concrete_instruction).toBe(`make the fur white${title}\u001b[2J`);
    const shown = await sandbox.run(["show", "--run-dir", join(sandbox.home, "state", "reasonedit", "runs")]);
    expectExit(shown, 0);
    const text = shown.stdout;
    expect(text).toContain('"make the fur white"');
    expect(text).not.toMatch(TERMINAL_CONTROL);
    expect(existsSync(join(sandbox.home, "cat.edited.png"))).toBe(true);
  });
});
