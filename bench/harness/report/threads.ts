// Runs on the bench orchestrator. CPU time per thread of one process (Linux /proc/<pid>/task):
// which thread of Sluice (the worker's event loop, the JSON pool thread, ...) used the cores in a
// window, and at which nice value each ran. Empty where /proc is unavailable.
import { readFileSync, readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

const CLK_TCK = ((): number => {
  const n = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout?.trim());
  return Number.isFinite(n) && n > 0 ? n : 100;
})();

export interface ThreadCpu {
  comm: string;
  /** utime + stime so far, ms. */
  ms: number;
  nice: number;
}

/** Every thread of `pid` now: tid → name, CPU used so far, nice. */
export function threadsOf(pid: number): Map<number, ThreadCpu> {
  const out = new Map<number, ThreadCpu>();
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const comm = stat.slice(stat.indexOf('(') + 1, close);
      // fields[0] is field 3 (state): utime 14 → [11], stime 15 → [12], nice 19 → [16].
      const fields = stat.slice(close + 2).split(' ');
      out.set(Number(tid), { comm, ms: ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK, nice: Number(fields[16]) });
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return out;
}

/** CPU each thread used between two `threadsOf` readings (threads born in between count from 0). */
export function threadDelta(before: Map<number, ThreadCpu>, after: Map<number, ThreadCpu>): Map<number, ThreadCpu> {
  const out = new Map<number, ThreadCpu>();
  for (const [tid, now] of after) out.set(tid, { comm: now.comm, nice: now.nice, ms: now.ms - (before.get(tid)?.ms ?? 0) });
  return out;
}
