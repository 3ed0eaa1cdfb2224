// Scheduling priority of the calling thread (any thread: the config thread, a worker's pool thread).
// Background work that is not on a request's path — preparing a config, a large body edit that a
// request already waits for in a queue — runs at a lower priority than the proxy workers, so that
// on a machine with as many busy threads as cores the scheduler gives a worker's event loop the
// core first and the p99 of requests does not carry that work. The work itself is not starved:
// a nice value only weights the share of CPU (nice 5 ≈ a third of a nice-0 thread's share when
// both want the core) and an idle core still runs it at full speed.
//
// Linux keeps the nice value per thread (`setpriority(PRIO_PROCESS, 0)` is the calling thread
// only), which is what makes this per thread; threads created later by this one inherit it. Other
// platforms apply it to the whole process, so there it is not done.
import { readlinkSync, readFileSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

/** How far below the thread that starts them background threads run: below the workers, never starved. */
export const BACKGROUND_NICE_STEP = 5;

/**
 * Lowers the calling thread's priority by `step` nice levels (relative, so a gateway started under
 * `nice` keeps its background threads below its own workers, and never raises one). Linux only;
 * the new nice value, or null where not done (another platform, a refusal).
 */
export function lowerThreadPriority(step = BACKGROUND_NICE_STEP): number | null {
  if (process.platform !== 'linux') return null;
  try {
    const nice = Math.min(19, getPriority() + step);
    setPriority(nice);
    return nice;
  } catch {
    // A container may refuse it; running at the default priority is still correct.
    return null;
  }
}

/** The calling thread's kernel id and nice value, from /proc (Linux): for tests and `/workers`. */
export function threadPriority(): { tid: number; nice: number } | null {
  if (process.platform !== 'linux') return null;
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    // Fields after the command (which may hold spaces) start at state (3); nice is field 19.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { tid, nice: Number(fields[16]) };
  } catch {
    return null;
  }
}
