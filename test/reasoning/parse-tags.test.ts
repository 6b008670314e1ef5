// The released reasoner's reply formats read as the release reads them: one <#Think>, then exactly one verdict tag.
import { describe, expect, it } from "vitest";
import { readPlainText, readTaggedConclusion } from "../../src/reasoning/parse-tags.js";

function conclusion(reply: string) {
  const read = readTaggedConclusion(reply);
  if (!read.ok) throw new Error(`expected a valid reply, got: ${read.error}`);
  return read.value;
}

function problem(reply: string): string {
  const read = readTaggedConclusion(reply);
  if (read.ok) throw new Error(`expected an invalid reply, got verdict ${read.value.verdict}`);
  return read.error;
}

describe("readTaggedConclusion", () => {
  it("reads <#Success> as success, with the reasoning between the tags", () => {
    expect(conclusion("<#Think> The cat's fur is white now and the background is untouched. <#Success>")).toEqual({
      verdict: "success",
      think: "The cat's fur is white now and the background is untouched.",
      refined_instruction: null,
      tag: "<#Success>",
    });
  });

  it("reads <#Reflection> as refine, the text after it (over several lines) being the correction", () => {
    const reply = "<#Think> The fur is white, but the whiskers are still dark.\n<#Reflection> Make the whiskers white.\nKeep the eyes green.\n";
    expect(conclusion(reply)).toMatchObject({ verdict: "refine", think: "The fur is white, but the whiskers are still dark.", refined_instruction: "Make the whiskers white.\nKeep the eyes green." });
  });

  it("reads <#Failed> as failed and <#Others> as success, as the release does", () => {
    expect(conclusion("<#Think> The whole room changed. <#Failed>")).toMatchObject({ verdict: "failed", refined_instruction: null });
    expect(conclusion("<#Think> Hard to say. <#Others>")).toMatchObject({ verdict: "success", refined_instruction: null });
  });

  it("drops a <think> block, a preamble, the format's code fence and extra whitespace", () => {
    const reply = "<think>Maybe <#Failed>? No, <#Success>.</think>\n\nHere is my review:\n```\n  <#Think>   the sky is blue   \n\n<#Reflection>   Add two white clouds to the sky.  \n```\n";
    expect(conclusion(reply)).toMatchObject({ verdict: "refine", think: "the sky is blue", refined_instruction: "Add two white clouds to the sky." });
    expect(conclusion("reasoning the template opened</think><#Think> ok <#Success>")).toMatchObject({ verdict: "success", think: "ok" });
  });

  it("ignores text after a <#Success> or <#Failed> tag, as the release does", () => {
    expect(conclusion("<#Think> done <#Success> (all good)")).toMatchObject({ verdict: "success", think: "done" });
  });

  it.each([
    ["", "the reply was empty"],
    ["<think>all thought, no answer</think>", "only reasoning"],
    ["The edit looks fine. <#Success>", "no <#Think> tag"],
    ["<#Think> looks fine", "no verdict tag"],
    ["<#Think> fine <#Success> but <#Reflection> add snow", "2 verdict tags"],
    ["<#Think> fine <#Success> <#Success>", "<#Success> appears 2 times"],
    ["<#Think> a <#Think> b <#Success>", "<#Think> appears 2 times"],
    ["<#Failed> <#Think> the background changed", "must come after <#Think>"],
    ["<#Think> the whiskers are dark <#Reflection>   \n```", "<#Reflection> is followed by no instruction"],
    ['{"verdict": "success", "refined_instruction": null}', "no <#Think> tag"],
  ])("refuses %j (%s)", (reply, message) => {
    expect(problem(reply)).toContain(message);
  });

  it("is case-sensitive, as the release's parser is, and says so", () => {
    expect(problem("<#think> fine <#Success>")).toContain("tags are case-sensitive: write <#Think> exactly");
    expect(problem("<#Think> fine <#success>")).toContain("tags are case-sensitive: write <#Success> exactly");
  });
});

describe("readPlainText", () => {
  it("keeps the answer after a reasoning block, trimmed", () => {
    expect(readPlainText("<think>potassium → yellow leaves</think>\n  The leaves turn yellow and their tips dry out.\n")).toEqual({ ok: true, value: "The leaves turn yellow and their tips dry out." });
  });

  it("refuses an empty reply and one that is all reasoning", () => {
    expect(readPlainText("  \n")).toEqual({ ok: false, error: "the reply was empty" });
    expect(readPlainText("<think>the budget ran out")).toMatchObject({ ok: false, error: expect.stringContaining("only reasoning") });
  });
});
