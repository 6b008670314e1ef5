import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ReasonEditError } from "../../src/errors.js";
import {
  REQUIRED_FIELDS,
  STEP_NAMES,
  builtInPromptsDir,
  loadPromptSet,
  parseTemplate,
  renderTemplate,
  type TemplateVars,
} from "../../src/reasoning/prompt-templates.js";
import { rejection } from "../support/assertions.js";

const SAMPLE_VARS: TemplateVars = {
  instruction: "Make the sky blue",
  language: "English",
  description: "A blue sky over a field",
  score: "6.5",
  reason: "The sky is only partly blue",
  evidence: "12.0% of the pixels changed.",
};

describe("built-in prompt templates", () => {
  it.each(STEP_NAMES)("%s loads, renders every placeholder and asks for its reply fields", async (step) => {
    const template = (await loadPromptSet())[step];
    expect(template.promptId).toMatch(new RegExp(`^${step}@[0-9a-f]{8}$`));
    expect(template.builtIn).toBe(true);
    const { system, user } = renderTemplate(template, SAMPLE_VARS);
    const text = `${system ?? ""}\n${user}`;
    expect(text).not.toContain("{{");
    expect(text).not.toContain("<!--");
    for (const field of REQUIRED_FIELDS[step]) expect(text).toContain(field);
  });

  it("names the source image and the user's request in the think prompt, with the ops vocabulary", async () => {
    const { system, user } = renderTemplate((await loadPromptSet()).think, { instruction: "rotate it 90 degrees", language: "Chinese", ops: "on" });
    expect(system).toContain("rewriter");
    expect(user).toContain("Image 1 is the image the user wants to edit");
    expect(user).toContain("rotate it 90 degrees");
    expect(user).toContain('Write "instruction" in Chinese.');
    for (const op of ["rotate", "flip", "crop", "resize", "grayscale", "brightness", "contrast", "saturation", "blur", "sharpen"]) {
      expect(user).toContain(`"op": "${op}"`);
    }
    expect(user).toMatch(/"scope"[\s\S]*"local"[\s\S]*"global"/);
    expect(user).toContain("potassium deficiency");
  });

  it("renders an inverted section only when its value is empty", () => {
    const template = parseTemplate("think", "instruction {{#ops}}with ops{{/ops}}{{^ops}}without ops{{/ops}}.", "t.md");
    expect(renderTemplate(template, { ops: "on" }).user).toBe("instruction with ops.");
    expect(renderTemplate(template, {}).user).toBe("instruction without ops.");
    expect(() => parseTemplate("think", "instruction {{^ops}} open", "t.md")).toThrow(/no partner/);
  });

  it("keeps conclude's change-map section only when there is evidence", async () => {
    const conclude = (await loadPromptSet()).conclude;
    const withEvidence = renderTemplate(conclude, SAMPLE_VARS).user;
    const without = renderTemplate(conclude, { ...SAMPLE_VARS, evidence: "" }).user;
    expect(withEvidence).toContain("image 3 is a heat map");
    expect(withEvidence).toContain("12.0% of the pixels changed.");
    expect(without).not.toContain("image 3");
    expect(without).not.toMatch(/\n{3,}/);
  });

  it("sends the VIEScore prompts without a system message, as GEdit does", async () => {
    const prompts = await loadPromptSet();
    expect(renderTemplate(prompts["score-sc"], SAMPLE_VARS).system).toBeUndefined();
    expect(renderTemplate(prompts["score-sc"], SAMPLE_VARS).user).toMatch(/Editing instruction: Make the sky blue$/);
    expect(renderTemplate(prompts["score-pq"], SAMPLE_VARS).user).toContain("output score = [naturalness, artifacts]");
  });

  it("finds prompts/ at the package root", () => {
    expect(builtInPromptsDir()).toBe(path.resolve("prompts"));
  });
});

describe("template format", () => {
  it("splits ---system--- and ---user--- and drops comments", () => {
    const template = parseTemplate(
      "describe",
      "<!-- for people -->\n---system---\nYou describe.\n---user---\nDescribe {{instruction}} as target_description.\n",
      "describe.md",
    );
    expect(template.system).toBe("You describe.");
    expect(renderTemplate(template, { instruction: "X" })).toEqual({ system: "You describe.", user: "Describe X as target_description." });
  });

  it("treats a file without markers as the user message", () => {
    const template = parseTemplate("describe", "Reply with target_description for {{instruction}}", "d.md");
    expect(renderTemplate(template, { instruction: "X" })).toEqual({ system: undefined, user: "Reply with target_description for X" });
  });

  it("never expands placeholders that arrive inside a value", () => {
    const template = parseTemplate("assess", ASSESS_OK, "assess.md");
    const { user } = renderTemplate(template, { instruction: "write {{description}} on the sign", description: "D" });
    expect(user).toContain("write {{description}} on the sign");
  });

  it("rejects an unknown placeholder, naming the file and what the step may use", () => {
    const attempt = () => parseTemplate("describe", "target_description for {{instructions}}", "my/describe.md");
    expect(attempt).toThrow(/my\/describe\.md: unknown placeholder \{\{instructions\}\}/);
    try {
      attempt();
    } catch (error) {
      expect(ReasonEditError.is(error) && error.code).toBe("prompt_template");
      expect(ReasonEditError.is(error) && error.hint).toContain("{{instruction}}");
    }
  });

  it("rejects text before the first marker and unclosed sections", () => {
    expect(() => parseTemplate("describe", "hello\n---user---\ntarget_description", "d.md")).toThrow(/never be sent/);
    expect(() => parseTemplate("conclude", "verdict refined_instruction {{#evidence}} open", "c.md")).toThrow(/no partner/);
  });

  it("does not count a placeholder as asking for the field of the same name", () => {
    expect(() => parseTemplate("think", "Rewrite: {{instruction}}", "think.md")).toThrow(/does not ask for the JSON field "instruction"/);
  });

  it("gives a CRLF checkout the same prompt id and text as an LF one", () => {
    const lf = parseTemplate("describe", "---system---\nS\n---user---\ntarget_description {{instruction}}\n", "a.md");
    const crlf = parseTemplate("describe", "---system---\r\nS\r\n---user---\r\ntarget_description {{instruction}}\r\n", "a.md");
    expect(crlf).toEqual(lf);
  });

  it("gives each file content its own prompt id", () => {
    const a = parseTemplate("describe", "target_description {{instruction}}", "a.md");
    const b = parseTemplate("describe", "target_description! {{instruction}}", "b.md");
    expect(a.promptId).not.toBe(b.promptId);
  });
});

const ASSESS_OK = "Judge {{instruction}} against {{description}}. Return meets_instruction, major_conflicts, minor_conflicts, hallucinations, omissions, raw_score, reason.";

describe("--prompts DIR", () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "reasonedit-prompts-"));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("uses the file it finds and falls back to the built-in ones for the others", async () => {
    await writeFile(path.join(dir, "assess.md"), `---system---\nBe harsh.\n---user---\n${ASSESS_OK}`);
    const builtIn = await loadPromptSet();
    const custom = await loadPromptSet(dir);
    expect(custom.assess.builtIn).toBe(false);
    expect(custom.assess.file).toBe(path.join(dir, "assess.md"));
    expect(custom.assess.promptId).not.toBe(builtIn.assess.promptId);
    expect(renderTemplate(custom.assess, { instruction: "I", description: "D" }).system).toBe("Be harsh.");
    for (const step of STEP_NAMES.filter((name) => name !== "assess")) expect(custom[step]).toEqual(builtIn[step]);
  });

  it("rejects a custom template that leaves out a reply field, naming the file and the field", async () => {
    await writeFile(path.join(dir, "conclude.md"), "Say whether {{instruction}} worked. Return a verdict.");
    const error = await rejection(loadPromptSet(dir));
    expect(error.code).toBe("prompt_template");
    expect(error.message).toContain(path.join(dir, "conclude.md"));
    expect(error.message).toContain('"refined_instruction"');
    expect(error.exitCode).toBe(2);
  });

  it("rejects a folder that does not exist or holds no step template", async () => {
    expect((await rejection(loadPromptSet(path.join(dir, "nope")))).message).toMatch(/no such directory/);
    await writeFile(path.join(dir, "reflect.md"), "verdict");
    expect((await rejection(loadPromptSet(dir))).message).toMatch(/holds none of think\.md/);
  });
});
