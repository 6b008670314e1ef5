// Types for reasoning-responder.mjs.
export type ScriptedVerdict = "success" | "failed" | { refine: string } | Record<string, unknown>;

export interface ReasoningScript {
  think?: Record<string, unknown> | ((body: unknown) => Record<string, unknown>);
  verdicts?: ScriptedVerdict[];
  scores?: Array<[[number, number], [number, number]]>;
  raw?: Record<string, string | ((call: number, body: unknown) => string)>;
}

export type ReasoningResponder = ((body: unknown) => string) & { counts: Map<string, number> };

export declare function reasoningResponder(script?: ReasoningScript): ReasoningResponder;
export declare function stepOf(body: unknown): string;
export declare function instructionOf(body: unknown): string;
