// The shape of a worker's timer statistics (Kong's `/timers` shape), and how the primary sums
// several workers' reports. Both threads agree on it: a worker's wheel produces it, the primary's
// Admin API merges and serves it. Plain data and pure functions only.

/** All times in seconds, as Kong reports them. Population variance (Welford), as Kong's. */
export interface ElapsedTimeStats {
  min: number;
  max: number;
  avg: number;
  variance: number;
}

export interface LatenessStats {
  /** How long after its due time a callback started. */
  avg: number;
  max: number;
  /** Firings per bucket, not cumulative: `le_<upper bound in seconds>`, the last `le_inf`. */
  histogram: Record<string, number>;
}

export interface TimerNameStats {
  elapsed_time: ElapsedTimeStats;
  /** Callbacks run, failed ones included. */
  runs: number;
  /** Callbacks that returned (or resolved) without an error, as Kong's `finish`. */
  finish: number;
  errors: number;
  /** Kong's field: the last error's message, '' when none. */
  last_err_msg: string;
  /** `time` is wall-clock ms since the epoch, comparable across workers. */
  last_error?: { message: string; time: number };
  lateness: LatenessStats;
  /** Live timers of this name now; scheduled = ever created. */
  pending: number;
  scheduled: number;
}

export interface TimerEntry {
  name: string;
  is_running: boolean;
  meta: { name: string };
  stats: TimerNameStats;
}

export interface TimerSysStats {
  /** Callbacks executing now (non-zero only when asked from inside a callback). */
  running: number;
  /** Due, collected by the wheel, not yet run. */
  pending: number;
  /** Not yet due. */
  waiting: number;
  /** Live timers: running + pending + waiting. */
  total: number;
  /** Callbacks run, ever. */
  runs: number;
  /** Timers created, ever. */
  scheduled: number;
  errors: number;
}

export interface TimersReport {
  worker: { id: number; count: number };
  stats: { sys: TimerSysStats; timers: Record<string, TimerEntry> };
}

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
