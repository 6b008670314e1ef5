// The prompt of each reasoning step, loaded from prompts/*.md (or a user's --prompts DIR) and rendered.
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { ReasonEditError } from "../errors.js";
import type { StepName } from "../loop/types.js";

/** The JSON templates, named as their files (`score-sc.md`); the loop's own step names are StepName in loop/types.ts. */
export const TEMPLATE_NAMES = ["think", "describe", "assess", "conclude", "score-sc", "score-pq"] as const;
export type TemplateName = (typeof TEMPLATE_NAMES)[number];
/** The templates `--reply-format tags` uses instead of think.md, describe.md and conclude.md: the released reasoner's own formats. */
export const TAGS_TEMPLATE_NAMES = ["think-tags", "describe-tags", "conclude-tags"] as const;
export type TagsTemplateName = (typeof TAGS_TEMPLATE_NAMES)[number];
/** Every prompt file a reasoner may use. */
export type PromptName = TemplateName | TagsTemplateName;
/** Every prompt file, under the name doctor imports. */
export const STEP_NAMES: readonly PromptName[] = [...TEMPLATE_NAMES, ...TAGS_TEMPLATE_NAMES];

/** How a reasoner asks for its replies: JSON everywhere, or the released ReasonEdit reasoner's plain text and tags. */
export const REPLY_FORMATS = ["json", "tags"] as const;
export type ReplyFormat = (typeof REPLY_FORMATS)[number];

/** The template each reasoning step of the loop is prompted with. */
export const TEMPLATE_OF = {
  think: "think",
  describe: "describe",
  assess: "assess",
  conclude: "conclude",
  score_sc: "score-sc",
  score_pq: "score-pq",
} as const satisfies Partial<Record<StepName, TemplateName>>;
export type ReasoningStep = keyof typeof TEMPLATE_OF;

export const PLACEHOLDERS = ["instruction", "language", "description", "score", "reason", "evidence", "ops", "correction"] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];
export type TemplateVars = Partial<Record<Placeholder, string>>;

const STEP_PLACEHOLDERS: Record<PromptName, readonly Placeholder[]> = {
  think: ["instruction", "language", "ops"],
  describe: ["instruction"],
  assess: ["instruction", "description"],
  conclude: ["instruction", "correction", "score", "reason", "evidence"],
  "score-sc": ["instruction"],
  "score-pq": ["instruction"],
  "think-tags": ["instruction", "language"],
  "describe-tags": ["instruction", "language"],
  "conclude-tags": ["instruction", "correction", "score", "reason"],
};

/** The reply fields (or, for the tags templates, the tags) a template must ask for: the ones the loop cannot do without. */
export const REQUIRED_FIELDS: Record<PromptName, readonly string[]> = {
  think: ["instruction"],
  describe: ["target_description"],
  assess: ["meets_instruction", "major_conflicts", "minor_conflicts", "hallucinations", "omissions", "raw_score", "reason"],
  conclude: ["verdict", "refined_instruction"],
  "score-sc": ["score", "reasoning"],
  "score-pq": ["score", "reasoning"],
  "think-tags": [],
  "describe-tags": [],
  "conclude-tags": ["<#Think>", "<#Success>", "<#Reflection>", "<#Failed>"],
};

export interface PromptTemplate {
  step: PromptName;
  /** `<step>@<first 8 hex of sha256(file)>`, recorded with every reply. */
  promptId: string;
  file: string;
  builtIn: boolean;
  /** Empty when the file has no ---system--- part. */
  system: string;
  user: string;
}

export type PromptSet = Readonly<Record<PromptName, PromptTemplate>>;

export interface RenderedPrompt {
  system: string | undefined;
  user: string;
}

const COMMENT = /<!--[\s\S]*?-->/g;
const MARKER = /^---(system|user)---[ \t]*$/gm;
const TAG = /\{\{(.*?)\}\}/g;
const TAG_NAME = /^\s*([#^/]?)([a-z_]+)\s*$/;
// The newline after a section's tags goes with them, so an omitted section leaves no blank lines behind.
// {{#name}} keeps its text when name has a value, {{^name}} when it has none.
const SECTION = /\{\{([#^])([a-z_]+)\}\}\n?([\s\S]*?)\{\{\/\2\}\}\n?/g;
const VARIABLE = /\{\{\s*([a-z_]+)\s*\}\}/g;

function templateError(file: string, problem: string, hint: string): ReasonEditError {
  return new ReasonEditError("prompt_template", `prompt template ${file}: ${problem}`, { hint });
}

function splitParts(body: string, file: string): { system: string; user: string } {
  const markers = [...body.matchAll(MARKER)];
  if (markers.length === 0) return { system: "", user: body.trim() };
  const names = markers.map((m) => m[1]);
  if (new Set(names).size !== names.length) throw templateError(file, "a ---system--- or ---user--- line appears twice", "Keep one of each.");
  if (body.slice(0, markers[0]?.index).trim() !== "") {
    throw templateError(file, "text before the first ---system---/---user--- line would never be sent", "Move it below the marker, or into an <!-- comment -->.");
  }
  const parts = { system: "", user: "" };
  markers.forEach((marker, i) => {
    const end = markers[i + 1]?.index ?? body.length;
    parts[marker[1] as "system" | "user"] = body.slice((marker.index ?? 0) + marker[0].length, end).trim();
  });
  return parts;
}

function checkTags(step: PromptName, text: string, file: string): void {
  const allowed = STEP_PLACEHOLDERS[step];
  const allowedList = allowed.map((name) => `{{${name}}}`).join(", ");
  for (const [tag, inner] of text.matchAll(TAG)) {
    const name = TAG_NAME.exec(inner ?? "")?.[2];
    if (name === undefined || !(allowed as readonly string[]).includes(name)) {
      throw templateError(file, `unknown placeholder ${tag}`, `The ${step} template may use ${allowedList}.`);
    }
  }
  const unpaired = text.replace(SECTION, "").match(/\{\{\s*[#^/][a-z_]+\s*\}\}/);
  if (unpaired) throw templateError(file, `section tag ${unpaired[0]} has no partner`, "Write a section as {{#name}}…{{/name}} (or {{^name}}…{{/name}}).");
}

function checkFields(step: PromptName, text: string, file: string): void {
  // A placeholder such as {{instruction}} does not ask the model for anything.
  const prose = text.replace(TAG, "");
  const asksFor = (field: string) => (field.startsWith("<#") ? prose.includes(field) : new RegExp(`\\b${field}\\b`).test(prose));
  const missing = REQUIRED_FIELDS[step].filter((field) => !asksFor(field));
  if (missing.length === 0) return;
  const list = missing.map((field) => `"${field}"`).join(", ");
  if (step === "conclude-tags") {
    throw templateError(file, `it does not ask for the tag${missing.length > 1 ? "s" : ""} ${list}`, `The ${step} step must answer <#Think> … then one of <#Success>, <#Reflection> <instruction>, <#Failed>; name these tags in the prompt.`);
  }
  throw templateError(
    file,
    `it does not ask for the JSON field${missing.length > 1 ? "s" : ""} ${list}`,
    `The ${step} step must return a JSON object with ${REQUIRED_FIELDS[step].join(", ")} (docs/DESIGN.md §2); name them in the prompt.`,
  );
}

/** Parses and validates one template file's text. */
export function parseTemplate(step: PromptName, raw: string, file: string, builtIn = false): PromptTemplate {
  // Hashing the normalised text keeps a prompt id the same on a CRLF checkout.
  const normalised = raw.replace(/\r\n?/g, "\n");
  const body = normalised.replace(COMMENT, "");
  const { system, user } = splitParts(body, file);
  if (user === "") throw templateError(file, "the user part is empty", "Write the user message below a ---user--- line, or drop the markers.");
  const text = `${system}\n${user}`;
  checkTags(step, text, file);
  checkFields(step, text, file);
  const hash = createHash("sha256").update(normalised).digest("hex").slice(0, 8);
  return { step, promptId: `${step}@${hash}`, file, builtIn, system, user };
}

function renderText(text: string, vars: TemplateVars): string {
  const value = (name: string): string => vars[name as Placeholder] ?? "";
  // One pass per kind, so text inside a value (say a user's "{{x}}") is never expanded.
  const withSections = text.replace(SECTION, (_match, kind: string, name: string, inner: string) => ((value(name) === "") === (kind === "^") ? inner : ""));
  return withSections.replace(VARIABLE, (_match, name: string) => value(name)).trim();
}

export function renderTemplate(template: PromptTemplate, vars: TemplateVars): RenderedPrompt {
  const system = renderText(template.system, vars);
  return { system: system === "" ? undefined : system, user: renderText(template.user, vars) };
}

let builtInDir: string | undefined;

/** prompts/ at the package root, found by walking up from this module (src/reasoning or dist/src/reasoning). */
export function builtInPromptsDir(): string {
  if (builtInDir !== undefined) return builtInDir;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = path.join(dir, "prompts");
    if (existsSync(path.join(candidate, "think.md"))) return (builtInDir = candidate);
    const parent = path.dirname(dir);
    if (parent === dir) throw new ReasonEditError("internal", "the built-in prompts/ folder is missing from the installation", { hint: "Reinstall reasonedit." });
    dir = parent;
  }
}

async function loadTemplate(step: PromptName, file: string, builtIn: boolean): Promise<PromptTemplate> {
  return parseTemplate(step, await readFile(file, "utf8"), file, builtIn);
}

async function customFiles(dir: string): Promise<Set<PromptName>> {
  const info = await stat(dir).catch(() => undefined);
  if (!info?.isDirectory()) throw templateError(dir, "no such directory", "Point --prompts at a folder holding think.md, describe.md, … (see prompts/README.md).");
  const found = new Set(STEP_NAMES.filter((step) => existsSync(path.join(dir, `${step}.md`))));
  if (found.size === 0) {
    const names = STEP_NAMES.map((step) => `${step}.md`).join(", ");
    throw templateError(dir, `the folder holds none of ${names}`, "Name each template after its step; missing ones fall back to the built-in prompts.");
  }
  return found;
}

/** Every reasoning template: the built-in ones, or those in `dir` where it has a file for the step. */
export async function loadPromptSet(dir?: string): Promise<PromptSet> {
  const custom = dir === undefined ? new Set<PromptName>() : await customFiles(dir);
  const builtIn = builtInPromptsDir();
  const templates = await Promise.all(
    STEP_NAMES.map((step) =>
      custom.has(step) && dir !== undefined
        ? loadTemplate(step, path.join(dir, `${step}.md`), false)
        : loadTemplate(step, path.join(builtIn, `${step}.md`), true),
    ),
  );
  return Object.fromEntries(templates.map((template) => [template.step, template])) as Record<PromptName, PromptTemplate>;
}
