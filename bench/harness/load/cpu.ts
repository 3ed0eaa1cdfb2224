// Runs on the bench orchestrator. CPU time a target's process tree used (Linux /proc): user +
// system time of the process, all its threads and all its descendant processes (nginx workers,
// cluster workers). Divided by the requests served it gives CPU µs per request, a figure other
// jobs on a shared machine disturb far less than req/s. Returns null where /proc is unavailable.
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

const CLK_TCK = ((): number => {
  const out = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout;
  const n = Number(out?.trim());
  return Number.isFinite(n) && n > 0 ? n : 100;
})();

/** utime + stime in clock ticks, from /proc/<pid>/stat (fields 14 and 15; comm may hold spaces). */
function ticks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state), so utime (14) is fields[11] and stime (15) fields[12].
  return Number(fields[11]) + Number(fields[12]);
}

function children(pid: number): number[] {
  const found: number[] = [];
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    const text = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
    if (text !== '') for (const child of text.split(' ')) found.push(Number(child));
  }
  return found;
}

/** CPU milliseconds used so far by `pid` and its descendants, or null if it cannot be read. */
export function treeCpuMs(pid: number): number | null {
  try {
    let total = 0;
    const stack = [pid];
    while (stack.length > 0) {
      const next = stack.pop()!;
      try {
        total += ticks(next);
        stack.push(...children(next));
      } catch {
        // A descendant that exited between the two reads: its time is gone with it.
        if (next === pid) throw new Error('root gone');
      }
    }
    return (total * 1000) / CLK_TCK;
  } catch {
    return null;
  }
}
