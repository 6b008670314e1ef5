// --reply-format tags from the built bin: the loopback fake answers like a vLLM server running the released ReasonEdit
// reasoner (plain-text think, <#Think> … tagged conclusions, content strings with finish_reason "stop").
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { RecordedRequest } from "../fakes/fake-providers.mjs";
import { reasoningResponder } from "../fakes/reasoning-responder.mjs";
import { expectExit } from "../support/assertions.js";
import { useCliSandbox } from "../support/cli-sandbox.js";

const CONCRETE = "Make the cat's fur white as snow.";
const REASONER = "stepfun-ai/Step1X-Edit-v1p2-reasoner";

const sandbox = useCliSandbox();

/** vLLM's message: the answer in content, reasoning_content null (no reasoning parser), finish_reason stop. */
const vllm = (content: string) => ({ text: content, message: { reasoning_content: null, tool_calls: [] } });

const textOf = (body: { messages?: unknown }) => JSON.stringify(body?.messages ?? []);
const isTagsConclude = (request: RecordedRequest) => textOf(request.body).includes("<#Reflection>");
const isTagsThink = (request: RecordedRequest) => textOf(request.body).includes("Output only the rewritten instruction");
const isTagsDescribe = (request: RecordedRequest) => textOf(request.body).includes("Give the description of the target image directly");
const isAssess = (request: RecordedRequest) => textOf(request.body).includes("meets_instruction");
const DESCRIPTION = "A snow-white cat lying on a grey sofa.";

/** The released reasoner: think answers `think`, describe DESCRIPTION, conclude `conclusions` in order (the last repeats); assess and the scores answer JSON. */
function releasedReasoner(conclusions: string[], think = CONCRETE) {
  const json = reasoningResponder();
  let concluded = 0;
  return (body: { messages?: unknown; model?: string }, request: RecordedRequest) => {
    if (request.path.startsWith("/judge/")) return json(body);
    if (isTagsConclude(request)) return vllm(conclusions[Math.min(concluded++, conclusions.length - 1)]!);
    if (isTagsThink(request)) return vllm(think);
    if (isTagsDescribe(request)) return vllm(DESCRIPTION);
    return vllm(json(body));
  };
}

const flags = () => ["--mllm", REASONER, "--mllm-url", `${sandbox.fake.url}/v1`, "--editor-url", sandbox.fake.url, "--max-retries", "0", "--seed", "7", "--no-cache"];

function edit(args: string[], env: Record<string, string> = {}) {
  return sandbox.run(["edit", "cat.png", "make it look like a snowstorm", ...args, ...flags()], env);
}

const edits = () => sandbox.fake.requestsOf("edit");
const chats = () => sandbox.fake.requestsOf("chat");

function expectNoResponseFormat(requests: RecordedRequest[]): void {
  expect(requests.length).toBeGreaterThan(0);
  for (const request of requests) expect(request.body.response_format).toBeUndefined();
}

describe("edit --reply-format tags", () => {
  it("edits with the plain-text think, refines on <#Reflection> with its text, stops on <#Success>: exit 0", async () => {
    sandbox.fake.setChat(releasedReasoner(["<#Think> The fur is white, but the whiskers are still dark.\n<#Reflection> Make the whiskers white.", "<#Think> The cat is snow-white now. <#Success>"]));
    const result = await edit(["--reply-format", "tags", "--json"]);
    expect(result.stderr).not.toMatch(/internal error/);
    expectExit(result, 0);
    expectNoResponseFormat(chats());
    expect(chats().filter(isTagsThink)).toHaveLength(1);
    expect(chats().filter(isTagsDescribe)).toHaveLength(1);
    expect(chats().filter(isTagsConclude)).toHaveLength(2);
    // The plain-text description is what assess compares each result with.
    expect(chats().filter(isAssess).map((request) => textOf(request.body).includes(DESCRIPTION))).toEqual([true, true]);
    expect(edits().map((request) => request.body.parameters.prompt)).toEqual([CONCRETE, "Make the whiskers white."]);
    // The correction edits the latest result, not the source.
    expect(edits()[1]!.images[0]!.sha256).not.toBe(edits()[0]!.images[0]!.sha256);
    // Round 2 is still judged against the whole concrete request; the correction is context.
    const secondConclude = textOf(chats().filter(isTagsConclude)[1]!.body);
    expect(secondConclude).toContain(`The current edit instruction is:\\n${CONCRETE}`);
    expect(secondConclude).toContain("this correction: Make the whiskers white.");
    const json = JSON.parse(result.stdout);
    expect(json.status).toBe("accepted");
    expect(json.stop_reason).toBe("success");
    expect(json.rounds.map((round: { verdict: string }) => round.verdict)).toEqual(["refine", "success"]);
  });

  it("re-edits the source with the concrete instruction after <#Failed>, as the release re-rolls", async () => {
    sandbox.fake.setChat(releasedReasoner(["<#Think> The background turned into a beach. <#Failed>", "<#Think> Fine now. <#Success>"]));
    const result = await edit(["--reply-format", "tags"]);
    expectExit(result, 0);
    expect(result.stderr).toContain("accepted: kept round 2 of 2");
    expect(edits().map((request) => request.body.parameters.prompt)).toEqual([CONCRETE, CONCRETE]);
    expect(edits()[1]!.images[0]!.sha256).toBe(edits()[0]!.images[0]!.sha256);
    expect(edits()[1]!.body.parameters.seed).not.toBe(edits()[0]!.body.parameters.seed);
  });

  it("never takes a malformed tag reply for a success: re-asked once, then a failed round, and exit 3 at the limit", async () => {
    sandbox.fake.setChat(releasedReasoner(["<#Think> The edit looks good. <#success>"]));
    const result = await edit(["--reply-format", "tags", "--rounds", "2", "--json"]);
    expectExit(result, 3);
    const json = JSON.parse(result.stdout);
    expect(json.status).toBe("not_accepted");
    expect(json.stop_reason).toBe("round_limit");
    expect(chats().filter(isTagsConclude)).toHaveLength(4); // each round: the ask and one corrective re-ask
    const reask = chats().filter(isTagsConclude)[1]!.body.messages.at(-1).content as string;
    expect(reask).toContain("no verdict tag (tags are case-sensitive: write <#Success> exactly)");
    expect(edits().map((request) => request.body.parameters.prompt)).toEqual([CONCRETE, CONCRETE]);
  });

  it("reads REASONEDIT_REPLY_FORMAT and the config file's replyFormat, and JSON stays the default", async () => {
    sandbox.fake.setChat(releasedReasoner(["<#Think> done <#Success>"]));
    expectExit(await edit([], { REASONEDIT_REPLY_FORMAT: "tags" }), 0);
    expectNoResponseFormat(chats());
    sandbox.fake.requests.length = 0;
    writeFileSync(join(sandbox.home, "reasonedit.config.json"), JSON.stringify({ replyFormat: "tags" }));
    expectExit(await edit([]), 0);
    expectNoResponseFormat(chats());
    expect(chats().filter(isTagsConclude)).toHaveLength(1);
    sandbox.fake.requests.length = 0;
    sandbox.fake.setChat(reasoningResponder());
    expectExit(await edit(["--reply-format", "json"]), 0);
    expect(chats().every((request) => request.body.response_format !== undefined)).toBe(true);
  });

  it("refuses an unknown format with exit 2 before any call", async () => {
    const result = await edit(["--reply-format", "xml"]);
    expectExit(result, 2);
    expect(result.stderr).toMatch(/reply-format/);
    expect(sandbox.fake.requests).toHaveLength(0);
    const fromEnv = await edit([], { REASONEDIT_REPLY_FORMAT: "yaml" });
    expectExit(fromEnv, 2);
    expect(fromEnv.stderr).toContain("REASONEDIT_REPLY_FORMAT");
  });
});

describe("batch and eval --reply-format tags", () => {
  it("batch runs every item with the released formats", async () => {
    sandbox.fake.setChat(releasedReasoner(["<#Think> ok <#Success>"]));
    writeFileSync(join(sandbox.home, "items.jsonl"), `${JSON.stringify({ id: "snow", image: "cat.png", instruction: "make it snow" })}\n`);
    const result = await sandbox.run(["batch", "items.jsonl", "--out-dir", "out", "--reply-format", "tags", ...flags()]);
    expectExit(result, 0);
    expect(JSON.parse(result.stdout.trim())).toMatchObject({ id: "snow", status: "accepted" });
    expectNoResponseFormat(chats());
    expect(chats().filter(isTagsThink)).toHaveLength(1);
    expect(edits()[0]!.body.parameters.prompt).toBe(CONCRETE);
  });

  it("eval's think and loop modes use the released formats; the judge keeps its JSON", async () => {
    sandbox.fake.setChat(releasedReasoner(["<#Think> The whiskers are dark. <#Reflection> Make the whiskers white.", "<#Think> ok <#Success>"]));
    writeFileSync(join(sandbox.home, "bench.jsonl"), `${JSON.stringify({ key: "cat-snow", task_type: "color_alter", instruction: "make it snow", input_image: "cat.png" })}\n`);
    const args = ["eval", "bench.jsonl", "--modes", "think,loop", "--out-dir", "report", "--reply-format", "tags", "--judge-url", `${sandbox.fake.url}/judge/v1`, ...flags()];
    const result = await sandbox.run(args);
    expect(result.stderr).not.toMatch(/internal error/);
    expectExit(result, 0);
    const reasoner = chats().filter((request) => !request.path.startsWith("/judge/"));
    expectNoResponseFormat(reasoner);
    expect(reasoner.filter(isTagsThink).length).toBeGreaterThanOrEqual(1);
    expect(reasoner.filter(isTagsConclude)).toHaveLength(2);
    const judged = chats().filter((request) => request.path.startsWith("/judge/"));
    expect(judged.length).toBeGreaterThan(0);
    for (const request of judged) expect(request.body.response_format).toBeDefined();
    expect(edits().map((request) => request.body.parameters.prompt)).toEqual([CONCRETE, CONCRETE, "Make the whiskers white."]);
    const report = JSON.parse(readFileSync(join(sandbox.home, "report", "report.json"), "utf8"));
    expect(report.settings.reply_format).toBe("tags");
    expect(readFileSync(join(sandbox.home, "report", "report.md"), "utf8")).toContain(`reasoning ${REASONER}@`);
    expect(readFileSync(join(sandbox.home, "report", "report.md"), "utf8")).toContain("(tags replies)");
  });
});
