// The loopback fake set up for eval: reflection scripted by markers in the instruction, edits tinted by seed, and a
// judge (under /judge) whose scores follow the edited image.
import sharp from "sharp";
import { startFakeProviders, type FakeProviders, type RecordedRequest } from "../fakes/fake-providers.mjs";

export interface EvalFake {
  fake: FakeProviders;
  /** The flags that send the MLLM, the editor and the judge to the fake. */
  urlFlags: string[];
  /** Chat and edit requests received so far. */
  modelCalls(): number;
  close(): Promise<void>;
}

export async function startEvalFake(): Promise<EvalFake> {
  const fake = await startFakeProviders({
    chat: (body, request) => (request.path.startsWith("/judge/") ? judgeReply(body, request) : reasonerReply(body)),
    edit: async ({ image, parameters }) => {
      const seed = Number(parameters.seed ?? 0);
      const bytes = await sharp(image).tint({ r: seed % 256, g: (seed >> 8) % 256, b: 128 }).png().toBuffer();
      return { bytes, contentType: "image/png" };
    },
  });
  return {
    fake,
    urlFlags: ["--mllm-url", `${fake.url}/mllm/v1`, "--editor-url", `${fake.url}/editor`, "--judge-url", `${fake.url}/judge/v1`],
    modelCalls: () => fake.requests.filter((request) => request.kind === "chat" || request.kind === "edit").length,
    close: () => fake.close(),
  };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the fake hands over whatever JSON the client sent
type ChatBody = any;

function stepOf(body: ChatBody): string {
  return String(body?.response_format?.json_schema?.name ?? "");
}

function promptText(body: ChatBody): string {
  return JSON.stringify(body?.messages ?? []);
}

/** The instruction the prompt quotes between triple quotes (think, describe, assess, conclude). */
function quotedInstruction(body: ChatBody): string {
  const messages = (body?.messages ?? []) as Array<{ content: unknown }>;
  for (const message of messages) {
    const parts = typeof message.content === "string" ? [message.content] : ((message.content ?? []) as Array<{ text?: string }>).map((part) => part.text ?? "");
    for (const text of parts) {
      const quoted = /"""\n([\s\S]*?)\n"""/.exec(text);
      if (quoted) return quoted[1]!.trim();
    }
  }
  return "the requested edit";
}

/** "[1 round]" succeeds at once, "[2 rounds]" refines once then succeeds, "[3 rounds]" fails every round. */
function reasonerReply(body: ChatBody): string {
  const text = promptText(body);
  switch (stepOf(body)) {
    case "think":
      return JSON.stringify({ instruction: quotedInstruction(body), changed: false, scope: "global", ops: [] });
    case "describe":
      return JSON.stringify({ target_description: "the same photograph with the requested change" });
    case "assess":
      return JSON.stringify({ meets_instruction: "partial", major_conflicts: 0, minor_conflicts: 1, hallucinations: 0, omissions: 0, raw_score: 6, reason: "close" });
    case "conclude":
      return JSON.stringify(verdictFor(text, quotedInstruction(body)));
    default:
      return JSON.stringify({ score: [7, 8], reasoning: "fine" });
  }
}

function verdictFor(text: string, instruction: string): Record<string, unknown> {
  if (text.includes("[3 rounds]")) return { think: "the background changed", verdict: "failed", refined_instruction: null };
  if (text.includes("[2 rounds]") && !text.includes("(fix)")) return { think: "almost", verdict: "refine", refined_instruction: `${instruction} (fix)` };
  return { think: "done", verdict: "success", refined_instruction: null };
}

/**
 * Scores 4–9 from the edited image's hash; "[unjudgeable]" in the instruction gets prose instead of JSON, and
 * "[null scores]" a well-formed answer whose scores are not numbers (as a judge that gave up answers).
 */
function judgeReply(body: ChatBody, request: RecordedRequest): string {
  if (promptText(body).includes("[unjudgeable]")) return "I would rather not score this image.";
  if (promptText(body).includes("[null scores]")) return JSON.stringify({ score: [null, null], reasoning: "cannot tell" });
  const edited = request.images[request.images.length - 1];
  const hash = Number.parseInt(edited?.sha256.slice(0, 2) ?? "0", 16);
  const kris = krisReply(stepOf(body), 1 + (hash % 5));
  if (kris) return kris;
  return JSON.stringify({ score: [4 + (hash % 6), 9], reasoning: "judged" });
}

/** KRIS-Bench's prompts, answered by their schema name with a 1–5 score from the edited image. */
function krisReply(step: string, value: number): string | undefined {
  switch (step) {
    case "kris-consistency":
      return JSON.stringify({ reasoning: "judged", consistency_score: value });
    case "kris-quality":
      return JSON.stringify({ reasoning: "judged", quality_score: 5 });
    case "kris-instruction":
    case "kris-anomaly":
      return JSON.stringify({ instruction_score: value, reasoning: "judged" });
    case "kris-knowledge":
      return JSON.stringify({ instruction_score: value, instruction_reasoning: "judged", knowledge_score: 3, knowledge_reasoning: "judged" });
    default:
      return undefined;
  }
}

