// The 2-round edit of `npm run bench` (chat 300 ms, edit 1000 ms) as a whole `reasonedit edit` process: spawn to
// exit, the first request's arrival, the largest gap between a reply and the next call, and the tail after the last.
//
//   node dist/bench/process-edit-bench.js [--runs 3]
import { parseArgs } from "node:util";
import { INSTRUCTION, REFINED, THINK_REPLY } from "./edit-bench.js";
import { measureProcessEdit } from "./support/process-edit.js";
import { ms, seconds, table } from "./support/stats.js";

const AIMS = { wallMs: 3850, firstRequestMs: 250, gapMs: 50 };

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { runs: { type: "string", default: "3" } } });
  const report = await measureProcessEdit({ runs: Number(values.runs), chatMs: 300, editMs: 1000, instruction: INSTRUCTION, think: THINK_REPLY, refined: REFINED });
  console.log(`One 2-round edit as a whole process (node dist/src/bin.js edit …), chat ${report.chatMs} ms, edit ${report.editMs} ms, critical path ${seconds(report.criticalPathMs)}`);
  console.log(
    table([
      ["run", "wall", "first request", "largest gap", "after last reply", "chat calls", "edit calls"],
      ...report.runs.map((run, i) => [String(i + 1), ms(run.wallMs), ms(run.firstRequestMs), ms(run.largestGapMs), ms(run.afterLastReplyMs), String(run.chatCalls), String(run.editCalls)]),
    ]),
  );
  const { median } = report;
  const verdict = (ok: boolean) => (ok ? "met" : "NOT met");
  console.log(
    `   median ${seconds(median.wallMs)} (aim ≤ ${seconds(AIMS.wallMs)}: ${verdict(median.wallMs <= AIMS.wallMs)}); first request ${ms(median.firstRequestMs)} after spawn ` +
      `(aim ≤ ${ms(AIMS.firstRequestMs)}: ${verdict(median.firstRequestMs <= AIMS.firstRequestMs)}); largest gap ${ms(median.largestGapMs)} (aim ≤ ${ms(AIMS.gapMs)}: ${verdict(median.largestGapMs <= AIMS.gapMs)})`,
  );
  console.log("JSON summary:");
  console.log(JSON.stringify({ processEdit: report }, null, 2));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
