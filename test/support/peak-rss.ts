// Peak resident memory of a child process, for the tests that bound what a hostile input may cost.
import { readFileSync } from "node:fs";

/**
 * Polls the child's VmHWM in /proc (Linux) every 20 ms until the returned stop function is called: a state of
 * another process that nothing announces, so a poll is the only way to read it.
 */
export function watchPeakRss(pid: number): () => number {
  let peak = 0;
  const timer = setInterval(() => {
    try {
      const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
      if (hwm) peak = Math.max(peak, Number(hwm[1]) * 1024);
    } catch {
      // exited
    }
  }, 20);
  return () => {
    clearInterval(timer);
    return peak;
  };
}
