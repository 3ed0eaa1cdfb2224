// This worker thread's own garbage collections (worker thread), counted as V8 reports them through
// perf_hooks: each thread has its own isolate, so these are the pauses its event loop alone took.
// Shown in GET /workers: full collections are the ones that stall a worker for milliseconds, and
// what large bodies used to cause (workers/proxy/body-memory.ts).
import { constants, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';

export class GcCounts {
  /** Mark-compacts (the atomic pause; incremental marking steps before it are not in the time). */
  full = 0;
  fullMs = 0;
  /** Young-generation collections (scavenges). */
  minor = 0;
  readonly #observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) this.#count(entry);
  });

  constructor() {
    this.#observer.observe({ entryTypes: ['gc'] });
  }

  #count(entry: PerformanceEntry): void {
    const kind = ((entry as PerformanceEntry & { detail?: { kind?: number } }).detail)?.kind;
    if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) {
      this.full++;
      this.fullMs += entry.duration;
    } else if (kind === constants.NODE_PERFORMANCE_GC_MINOR) this.minor++;
  }

  snapshot(): { full: number; full_ms: number; minor: number } {
    return { full: this.full, full_ms: Math.round(this.fullMs * 10) / 10, minor: this.minor };
  }

  close(): void {
    this.#observer.disconnect();
  }
}
