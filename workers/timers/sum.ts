// Pure: sums the /timers reports of several workers into one, for the Admin API's "all workers"
// view. Runs wherever the reports are gathered (the primary imports it through the protocol
// boundary the lead chooses); it touches no wheel.
import type { TimerEntry, TimerNameStats, TimersReport, TimerSysStats } from './stats.ts';

/** `worker.id` of a summed report: -1, as Kong reports a process that is not a worker. */
export const SUMMED_WORKER_ID = -1;

export function sumTimerReports(reports: readonly TimersReport[]): TimersReport {
  const sys: TimerSysStats = { running: 0, pending: 0, waiting: 0, total: 0, runs: 0, scheduled: 0, errors: 0 };
  const timers = Object.create(null) as Record<string, TimerEntry>;
  for (const report of reports) {
    const s = report.stats.sys;
    sys.running += s.running;
    sys.pending += s.pending;
    sys.waiting += s.waiting;
    sys.total += s.total;
    sys.runs += s.runs;
    sys.scheduled += s.scheduled;
    sys.errors += s.errors;
    for (const name of Object.keys(report.stats.timers)) {
      const entry = report.stats.timers[name]!;
      const into = timers[name];
      timers[name] = into === undefined ? copyEntry(entry) : mergeEntry(into, entry);
    }
  }
  return { worker: { id: SUMMED_WORKER_ID, count: reports.length }, stats: { sys, timers } };
}

function copyEntry(e: TimerEntry): TimerEntry {
  const s = e.stats;
  const stats: TimerNameStats = {
    ...s,
    elapsed_time: { ...s.elapsed_time },
    lateness: { ...s.lateness, histogram: { ...s.lateness.histogram } },
  };
  if (s.last_error !== undefined) stats.last_error = { ...s.last_error };
  return { name: e.name, is_running: e.is_running, meta: { ...e.meta }, stats };
}

function mergeEntry(into: TimerEntry, e: TimerEntry): TimerEntry {
  const a = into.stats;
  const b = e.stats;
  const runs = a.runs + b.runs;
  if (b.runs > 0) {
    const ea = a.elapsed_time;
    const eb = b.elapsed_time;
    if (a.runs === 0) {
      a.elapsed_time = { ...eb };
    } else {
      // Chan et al.: combine two Welford accumulators; variance is population (M2 / n).
      const delta = eb.avg - ea.avg;
      const m2 = ea.variance * a.runs + eb.variance * b.runs + (delta * delta * a.runs * b.runs) / runs;
      a.elapsed_time = {
        min: Math.min(ea.min, eb.min),
        max: Math.max(ea.max, eb.max),
        avg: ea.avg + (delta * b.runs) / runs,
        variance: m2 / runs,
      };
    }
    a.lateness.avg = (a.lateness.avg * a.runs + b.lateness.avg * b.runs) / runs;
  }
  a.lateness.max = Math.max(a.lateness.max, b.lateness.max);
  for (const key of Object.keys(b.lateness.histogram)) {
    a.lateness.histogram[key] = (a.lateness.histogram[key] ?? 0) + b.lateness.histogram[key]!;
  }
  a.runs = runs;
  a.finish += b.finish;
  a.errors += b.errors;
  a.pending += b.pending;
  a.scheduled += b.scheduled;
  if (b.last_error !== undefined && (a.last_error === undefined || b.last_error.time > a.last_error.time)) {
    a.last_error = { ...b.last_error };
    a.last_err_msg = b.last_error.message;
  }
  into.is_running ||= e.is_running;
  return into;
}
