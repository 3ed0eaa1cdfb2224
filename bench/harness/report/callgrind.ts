// Runs on the bench orchestrator. Reads callgrind's dump files (valgrind --tool=callgrind
// --separate-threads=yes: one file per thread and dump, named <out>.<part>-<thread>) and turns
// two intervals of N1 and N2 requests into instructions per request, so that what one interval
// costs whatever its length (the dump itself, the first request after a pause) cancels out.

/** One thread's totals in one dump file. */
export interface ThreadDump {
  part: number;
  thread: number;
  /** Instructions executed (event Ir) by this thread between the previous dump and this one. */
  instructions: number;
}

/** Parses a callgrind output file's header; null when it is not one. */
export function parseDumpHeader(text: string): ThreadDump | null {
  if (!text.startsWith('# callgrind format')) return null;
  // The header ends at the first cost line; `summary:` (or `totals:` in older files) comes before it.
  const head = text.slice(0, 4096);
  const part = /^part: *(\d+)$/m.exec(head);
  const thread = /^thread: *(\d+)$/m.exec(head);
  const total = /^(?:summary|totals): *(\d+)$/m.exec(text);
  if (part === null || thread === null || total === null) return null;
  return { part: Number(part[1]), thread: Number(thread[1]), instructions: Number(total[1]) };
}

/** Instructions per thread of one dump, from all threads' files of it. */
export function byThread(dumps: readonly ThreadDump[], part: number): Map<number, number> {
  const threads = new Map<number, number>();
  for (const d of dumps) if (d.part === part) threads.set(d.thread, (threads.get(d.thread) ?? 0) + d.instructions);
  return threads;
}

/** The thread that executed the most instructions in that dump: the worker, in an interval of requests. */
export function busiestThread(threads: ReadonlyMap<number, number>): number {
  let best = -1;
  let most = -1;
  for (const [thread, instructions] of threads) {
    if (instructions > most) {
      best = thread;
      most = instructions;
    }
  }
  if (best < 0) throw new Error('no thread in this dump');
  return best;
}

/** (I(N2) − I(N1)) / (N2 − N1): the cost of one more request, a fixed cost per interval cancelled. */
export function perRequest(a: { requests: number; instructions: number }, b: { requests: number; instructions: number }): number {
  if (a.requests === b.requests) throw new Error('the two intervals need different request counts');
  return (b.instructions - a.instructions) / (b.requests - a.requests);
}

/** Spread of repeated measures of one thing: (max − min) / mean, in percent. */
export function spreadPct(values: readonly number[]): number {
  if (values.length < 2) return 0;
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  return ((Math.max(...values) - Math.min(...values)) / mean) * 100;
}
