// A server that refuses response_format (TGI's 422 text/plain, as it answers a json_schema it cannot read): the edit
// goes on without it, says so once quoting the server, and the run record keeps what was given up.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import { fault } from "../fakes/fake-providers.mjs";
import { reasoningResponder } from "../fakes/reasoning-responder.mjs";
import { expectExit } from "../support/assertions.js";
import { useCliSandbox } from "../support/cli-sandbox.js";

const TGI_REFUSAL = "Failed to deserialize the JSON body into the target type: response_format: missing field `value` at line 1 column 168";

const sandbox = useCliSandbox();
beforeEach(() => {
  sandbox.fake.setChat(reasoningResponder({ verdicts: [{ refine: "make the snow thicker on the roof" }, "success"] }));
});

function onlyRecord(): { degraded: Array<{ kind: string; model: string; provider: string; message: string }>; status: string } {
  const root = join(sandbox.home, "state", "reasonedit", "runs");
  const [run] = readdirSync(root);
  return JSON.parse(readFileSync(join(root, run!, "run.json"), "utf8"));
}

describe("a server that refuses response_format", () => {
  it("asks again without it, warns once quoting the server, and records the degradation in run.json", async () => {
    sandbox.fake.fail("chat", fault.text(422, TGI_REFUSAL));
    const flags = ["--mllm-url", `${sandbox.fake.url}/v1`, "--editor-url", sandbox.fake.url, "--seed", "7", "--rounds", "2"];
    const result = await sandbox.run(["edit", "cat.png", "make it snow", ...flags]);

    expect(result.code, result.stderr).toBe(0);
    const warnings = result.stderr.split("\n").filter((line) => line.includes("rejected response_format"));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain("missing field `value`");
    const chats = sandbox.fake.requests.filter((request) => request.kind === "chat");
    expect(chats.length).toBeGreaterThan(3);
    expect(chats.map((request) => request.body.response_format !== undefined)).toEqual([true, ...chats.slice(1).map(() => false)]);

    const record = onlyRecord();
    expect(record.status).toBe("accepted");
    expect(record.degraded).toHaveLength(1);
    expect(record.degraded[0]).toMatchObject({ kind: "response_format_dropped", model: `Qwen/Qwen3-VL-235B-A22B-Instruct@${sandbox.fake.url}/v1` });
    expect(record.degraded[0]!.message).toContain("missing field `value`");

    const shown = await sandbox.run(["show"]);
    expectExit(shown, 0);
    expect(shown.stdout).toMatch(/degraded: +.* rejected response_format json_schema \(Failed to deserialize/);
  });

  it("records nothing degraded when the server takes response_format", async () => {
    const flags = ["--mllm-url", `${sandbox.fake.url}/v1`, "--editor-url", sandbox.fake.url, "--seed", "7"];
    const result = await sandbox.run(["edit", "cat.png", "make it snow", ...flags]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).not.toContain("rejected response_format");
    expect(onlyRecord().degraded).toEqual([]);
  });
});
