// Runs on any thread; used by the JSON pool thread (json-task.ts). Lowers the scheduling priority
// of the calling thread only — not of its process — so that, when the cores are short, the
// worker threads' event loops get them first and a long JSON edit waits instead of the small
// requests. Linux schedules threads one by one: /proc/thread-self names this thread's id, and
// setpriority(PRIO_PROCESS, tid) (os.setPriority) sets that one thread's nice value. Elsewhere the
// call does nothing: the thread keeps its process's priority.
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';

/** This thread's kernel id (Linux), or null where /proc/thread-self does not exist. */
export function threadId(): number | null {
  try {
    // "PID/task/TID"
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    return Number.isInteger(tid) && tid > 0 ? tid : null;
  } catch {
    return null;
  }
}

/**
 * Sets the calling thread's nice value (a higher one is a lower priority; raising it needs no
 * privilege). Returns the thread id it was applied to, or null where it could not be.
 */
export function niceThisThread(nice: number): number | null {
  const tid = threadId();
  if (tid === null) return null;
  try {
    setPriority(tid, nice);
    return tid;
  } catch {
    // Not permitted (a sandbox) or not supported: the thread keeps its process's priority.
    return null;
  }
}
