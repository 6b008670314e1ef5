import { describe, expect, it } from "vitest";
import { AssessReplySchema, ConcludeReplySchema, DescribeReplySchema, ScoreReplySchema, ThinkReplySchema } from "../../src/loop/replies.js";
import { extractJsonObject, parseReply, removeTrailingCommas } from "../../src/reasoning/parse-reply.js";

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
