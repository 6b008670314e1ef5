// What `reasonedit completion` does: builds the whole program (every command registered) and prints its script.
import { EXIT } from "../../errors.js";
import { completionScript, type Shell } from "../completion.js";
import type { CliIo } from "../context.js";
import { buildProgram } from "../main.js";

export async function completionAction(shell: Shell, io: CliIo): Promise<number> {
  const program = await buildProgram(io, []);
  io.stdout.write(completionScript(program, shell));
  return EXIT.ok;
}
