import { describe, expect, it } from "vitest";
import { AssessReplySchema, ConcludeReplySchema, DescribeReplySchema, ScoreReplySchema, ThinkReplySchema } from "../../src/loop/replies.js";
import { MAX_INSTRUCTION_CHARS } from "../../src/loop/replies.js";
import { extractJsonObject, parseReply, removeTrailingCommas, stripReasoning } from "../../src/reasoning/parse-reply.js";

describe("finding the JSON object in a reply", () => {
  it("reads a bare object", () => {
    expect(extractJsonObject('{"target_description": "a red car"}')).toEqual({ target_description: "a red car" });
  });

  it("reads a ```json fenced block", () => {
    const reply = 'Here you go:\n```json\n{"score": [7, 8], "reasoning": "fine"}\n```\nHope it helps.';
    expect(extractJsonObject(reply)).toEqual({ score: [7, 8], reasoning: "fine" });
  });

  it("reads an object wrapped in prose", () => {
    const reply = 'After looking at both images, my verdict is {"verdict": "success", "refined_instruction": null} — done.';
    expect(extractJsonObject(reply)).toEqual({ verdict: "success", refined_instruction: null });
  });

  it("forgives trailing commas, but not inside strings", () => {
    expect(extractJsonObject('{"score": [7, 8,], "reasoning": "a, }",\n}')).toEqual({ score: [7, 8], reasoning: "a, }" });
    expect(removeTrailingCommas('{"a": ",]"}')).toBe('{"a": ",]"}');
  });

  it("is not fooled by braces and quotes inside strings", () => {
    const reply = 'Result: {"reason": "the sign reads \\"{open}\\" and a lone } brace", "raw_score": 6} trailing {junk}';
    expect(extractJsonObject(reply)).toEqual({ reason: 'the sign reads "{open}" and a lone } brace', raw_score: 6 });
  });

  it("reads the VIEScore ||V^=^V|| delimiters", () => {
    const reply = 'Some thoughts {not json}.\n||V^=^V||\n{"score": [5, 9], "reasoning": "slight blur"}\n||V^=^V||';
    expect(extractJsonObject(reply)).toEqual({ score: [5, 9], reasoning: "slight blur" });
  });

  it("skips a brace in prose that is not JSON and takes the next object", () => {
    expect(extractJsonObject('Use {curly} style. {"target_description": "x"}')).toEqual({ target_description: "x" });
  });

  it("takes the outer object, not an inner one, when the outer one parses", () => {
    const reply = '{"instruction": null, "ops": [{"op": "rotate", "degrees": 90}]}';
    expect(extractJsonObject(reply)).toEqual({ instruction: null, ops: [{ op: "rotate", degrees: 90 }] });
  });

  it("finds nothing in a reply without an object", () => {
    expect(extractJsonObject("I cannot help with that.")).toBeUndefined();
    expect(extractJsonObject('{"unterminated": "yes"')).toBeUndefined();
  });
});

describe("validating a reply", () => {
  it("returns the typed reply and ignores unknown keys", () => {
    const result = parseReply('{"target_description": "a cat", "confidence": 0.9}', DescribeReplySchema);
    expect(result).toEqual({ ok: true, value: { target_description: "a cat" } });
  });

  it("accepts numbers written as strings where the schema coerces", () => {
    const result = parseReply('{"score": ["7", 8.5], "reasoning": "ok"}', ScoreReplySchema);
    expect(result).toEqual({ ok: true, value: { score: [7, 8.5], reasoning: "ok" } });
  });

  it("says which fields are missing or wrong, in words the model can act on", () => {
    const result = parseReply('{"meets_instruction": "maybe", "major_conflicts": 0, "minor_conflicts": 1, "omissions": 0}', AssessReplySchema);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toContain("meets_instruction: Invalid option");
    expect(result.error).toContain("raw_score: missing");
    expect(result.error).toContain("reason: missing");
  });

  it("treats a refine verdict without a refined instruction as invalid", () => {
    const result = parseReply('{"verdict": "refine", "refined_instruction": null}', ConcludeReplySchema);
    expect(result).toEqual({ ok: false, error: 'refined_instruction: verdict "refine" needs a non-empty refined_instruction' });
  });

  it("validates exact ops", () => {
    const result = parseReply('{"instruction": null, "ops": [{"op": "rotate", "degrees": 45}]}', ThinkReplySchema);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toContain("ops.0.degrees: degrees must be 90, 180 or 270");
  });

  it("quotes the start of a reply that holds no JSON", () => {
    expect(parseReply("Sorry, I can't.", DescribeReplySchema)).toEqual({ ok: false, error: 'the reply held no JSON object (it began: "Sorry, I can\'t.")' });
    expect(parseReply("  ", DescribeReplySchema)).toEqual({ ok: false, error: "the reply was empty" });
  });
});

const SUCCESS = '{"think": "the fur is white now", "verdict": "success", "refined_instruction": null, "unintended_changes": []}';
/** Reasoning as thinking models write it: braces, a set notation, and a draft verdict they later revise. */
const THOUGHTS =
  'The edit should make the fur white. Regions {fur, background}: the background {sky} is unchanged. ' +
  'Draft: {"verdict": "refine", "refined_instruction": "whiten the ears too"} — no wait, the ears are white already.';

describe("replies of thinking models", () => {
  it("reads the answer after a <think> block whose reasoning holds braces and a draft object", () => {
    const result = parseReply(`<think>\n${THOUGHTS}\n</think>\n\n${SUCCESS}`, ConcludeReplySchema);
    expect(result).toMatchObject({ ok: true, value: { verdict: "success" } });
  });

  it("reads the answer after only a closing </think>, when the chat template opened the block", () => {
    const result = parseReply(`${THOUGHTS}\n</think>\n\n${SUCCESS}`, ConcludeReplySchema);
    expect(result).toMatchObject({ ok: true, value: { verdict: "success" } });
  });

  it("reads the answer after Qwen3's empty block in non-thinking mode", () => {
    expect(parseReply(`<think>\n\n</think>\n\n${SUCCESS}`, ConcludeReplySchema)).toMatchObject({ ok: true, value: { verdict: "success" } });
  });

  it("says the reply held only reasoning when thinking never ended", () => {
    expect(parseReply(`<think>${THOUGHTS} and then`, ConcludeReplySchema)).toEqual({
      ok: false,
      error: "the reply held only reasoning (a <think> block) and no answer after it",
    });
  });

  it("prefers the last valid object when a draft precedes the answer outside any block", () => {
    const reply = `First guess: {"verdict": "failed", "refined_instruction": null}. On reflection:\n${SUCCESS}`;
    expect(parseReply(reply, ConcludeReplySchema)).toMatchObject({ ok: true, value: { verdict: "success" } });
  });

  it("takes an earlier object when the last one does not fit the step's schema", () => {
    const reply = `${SUCCESS}\nFor reference, the scores were {"score": [8, 9]}.`;
    expect(parseReply(reply, ConcludeReplySchema)).toMatchObject({ ok: true, value: { verdict: "success" } });
  });

  it("checks input-dependent rules on every candidate", () => {
    const reply = '{"instruction": "Make it white."} then {"instruction": "rends-le blanc"}';
    const result = parseReply(reply, ThinkReplySchema, (value) => (value.instruction?.startsWith("Make") ? undefined : "instruction: must be English"));
    expect(result).toMatchObject({ ok: true, value: { instruction: "Make it white." } });
  });

  it("strips every block and keeps the text between them", () => {
    expect(stripReasoning("a<think>x</think>b<THINK>y</THINK>c<thinking>{z}</thinking>d")).toBe("abcd");
  });
});

describe("hostile replies", () => {
  it("parses 60,000 unbalanced { in a few milliseconds, not seconds", () => {
    const started = performance.now();
    expect(parseReply("{".repeat(60_000), DescribeReplySchema).ok).toBe(false);
    expect(parseReply(`${"{".repeat(60_000)}{"target_description": "x"}`, DescribeReplySchema)).toEqual({ ok: true, value: { target_description: "x" } });
    expect(extractJsonObject('{"a": 1, '.repeat(20_000))).toBeUndefined();
    expect(performance.now() - started).toBeLessThan(500);
  });

  it("repairs trailing commas in linear time", () => {
    const many = `{"reason": "x"${", ".repeat(200_000)}}`;
    const started = performance.now();
    expect(removeTrailingCommas(many).length).toBeLessThan(many.length);
    expect(performance.now() - started).toBeLessThan(500);
  });

  it("stays fast on 30,000 objects and 30,000 unclosed think tags", () => {
    const started = performance.now();
    expect(parseReply("{}".repeat(30_000), DescribeReplySchema).ok).toBe(false);
    expect(parseReply("<think>".repeat(30_000), DescribeReplySchema).ok).toBe(false);
    expect(performance.now() - started).toBeLessThan(500);
  });

  it.each([["null"], ['""'], ["true"], ['"seven"'], ["[]"]])("treats a score of %s as invalid, not as 0 or 1", (value) => {
    const result = parseReply(`{"score": [${value}, ${value}], "reasoning": "r"}`, ScoreReplySchema);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toMatch(/^score\.0: /);
  });

  it("treats a null raw_score or conflict count as invalid", () => {
    const assess = { meets_instruction: "yes", major_conflicts: 0, minor_conflicts: 0, omissions: 0, raw_score: 9, reason: "r" };
    expect(parseReply(JSON.stringify({ ...assess, raw_score: null }), AssessReplySchema).ok).toBe(false);
    expect(parseReply(JSON.stringify({ ...assess, major_conflicts: true }), AssessReplySchema).ok).toBe(false);
    expect(parseReply(JSON.stringify({ ...assess, raw_score: "8.5" }), AssessReplySchema)).toMatchObject({ ok: true, value: { raw_score: 8.5 } });
  });

  it("refuses a 1 MB refined_instruction and an over-long think instruction", () => {
    const huge = "x".repeat(1_000_000);
    const conclude = parseReply(JSON.stringify({ verdict: "refine", refined_instruction: huge }), ConcludeReplySchema);
    expect(conclude.ok).toBe(false);
    if (!conclude.ok) expect(conclude.error).toContain(`refined_instruction: Too big: expected string to have <=${MAX_INSTRUCTION_CHARS} characters`);
    expect(parseReply(JSON.stringify({ instruction: "y".repeat(MAX_INSTRUCTION_CHARS + 1) }), ThinkReplySchema).ok).toBe(false);
    expect(parseReply(JSON.stringify({ instruction: "y".repeat(MAX_INSTRUCTION_CHARS) }), ThinkReplySchema).ok).toBe(true);
  });
});
