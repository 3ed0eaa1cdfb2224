// Runs on a worker thread (one table per wheel): per-name timer statistics, and the report the
// Admin API serves at /timers. The report mirrors Kong's `GET /timers` (lua-resty-timer-ng's
// `stats({ verbose = true })` wrapped in `{ worker = { id, count }, stats = ... }`), with the same
// unit, seconds, so tools written against Kong read it unchanged. Sluice adds `lateness`,
// `errors`, `last_error`, `pending` and `scheduled`; flamegraph is omitted (no call stacks kept).
//
// Storage is a set of typed arrays indexed by name id: recording a run is a handful of stores,
// no allocation. Names are capped (MAX_NAMES) so a caller that mints a name per request cannot grow
// the table without bound; the excess is counted under OVERFLOW_NAME.
import type { ElapsedTimeStats, LatenessStats, TimerEntry, TimerNameStats, TimerSysStats, TimersReport } from '../../runtime/protocol/timers-report.ts';

export type { ElapsedTimeStats, LatenessStats, TimerEntry, TimerNameStats, TimerSysStats, TimersReport };

export const MAX_NAMES = 1024;
export const OVERFLOW_NAME = '(other)';

/** Upper bounds of the lateness histogram, in ms; a last bucket counts everything later. */
const LATE_BOUNDS_MS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000] as const;
const BUCKETS = LATE_BOUNDS_MS.length + 1;
// Not plain numbers: integer-like keys ("1") would jump to the front of a JS object's key order.
export const LATENESS_BUCKET_KEYS: readonly string[] = [...LATE_BOUNDS_MS.map((ms) => `le_${ms / 1000}`), 'le_inf'];


/** Per-name counters. Hot methods take an id from `idOf`, never a string. */
export class TimerStatsTable {
  readonly #ids = new Map<string, number>();
  readonly #names: string[] = [];
  readonly #lastErrMsg: string[] = [];
  #cap = 0;
  // Per name id: [runs, errors, elMin, elMax, elMean, elM2, lateSum, lateMax, scheduled, errTime]
  #num = new Float64Array(0);
  #hist = new Float64Array(0);
  #pending = new Int32Array(0);

  constructor() {
    this.#grow(16);
  }

  /** Id for a name, created on first use; names past MAX_NAMES share OVERFLOW_NAME's id. */
  idOf(name: string): number {
    const id = this.#ids.get(name);
    if (id !== undefined) return id;
    if (this.#names.length >= MAX_NAMES - 1 && name !== OVERFLOW_NAME) return this.idOf(OVERFLOW_NAME);
    const fresh = this.#names.length;
    if (fresh === this.#cap) this.#grow(this.#cap * 2);
    this.#names.push(name);
    this.#lastErrMsg.push('');
    this.#ids.set(name, fresh);
    this.#num[fresh * FIELDS + EL_MIN] = Infinity;
    return fresh;
  }

  nameOf(id: number): string {
    return this.#names[id] ?? OVERFLOW_NAME;
  }

  created(id: number): void {
    this.#pending[id]!++;
    this.#num[id * FIELDS + SCHEDULED]!++;
  }

  released(id: number): void {
    this.#pending[id]!--;
  }

  /** One callback run: elapsed and lateness in ms. */
  record(id: number, elapsedMs: number, latenessMs: number): void {
    const n = this.#num;
    const o = id * FIELDS;
    const runs = ++n[o + RUNS]!;
    if (elapsedMs < n[o + EL_MIN]!) n[o + EL_MIN] = elapsedMs;
    if (elapsedMs > n[o + EL_MAX]!) n[o + EL_MAX] = elapsedMs;
    // Welford: mean and sum of squared deviations, stable for any number of runs.
    const mean = n[o + EL_MEAN]!;
    const delta = elapsedMs - mean;
    const nextMean = mean + delta / runs;
    n[o + EL_MEAN] = nextMean;
    n[o + EL_M2]! += delta * (elapsedMs - nextMean);
    n[o + LATE_SUM]! += latenessMs;
    if (latenessMs > n[o + LATE_MAX]!) n[o + LATE_MAX] = latenessMs;
    let b = 0;
    while (b < BUCKETS - 1 && latenessMs > LATE_BOUNDS_MS[b]!) b++;
    this.#hist[id * BUCKETS + b]!++;
  }

  failed(id: number, error: unknown, wallTime: number): void {
    this.#num[id * FIELDS + ERRORS]!++;
    this.#num[id * FIELDS + ERR_TIME] = wallTime;
    this.#lastErrMsg[id] = messageOf(error);
  }

  /** The `timers` part of the report, plus totals for `sys`; `runningId` is running now (or -1). */
  report(runningId: number): { timers: Record<string, TimerEntry>; runs: number; errors: number } {
    const timers = Object.create(null) as Record<string, TimerEntry>;
    let totalRuns = 0;
    let totalErrors = 0;
    const n = this.#num;
    for (let id = 0; id < this.#names.length; id++) {
      const name = this.#names[id]!;
      const o = id * FIELDS;
      const runs = n[o + RUNS]!;
      const errors = n[o + ERRORS]!;
      totalRuns += runs;
      totalErrors += errors;
      const histogram: Record<string, number> = {};
      for (let b = 0; b < BUCKETS; b++) histogram[LATENESS_BUCKET_KEYS[b]!] = this.#hist[id * BUCKETS + b]!;
      const stats: TimerNameStats = {
        elapsed_time: {
          min: runs > 0 ? n[o + EL_MIN]! / 1000 : 0,
          max: runs > 0 ? n[o + EL_MAX]! / 1000 : 0,
          avg: n[o + EL_MEAN]! / 1000,
          variance: runs > 0 ? n[o + EL_M2]! / runs / 1e6 : 0,
        },
        runs,
        finish: runs - errors,
        errors,
        last_err_msg: this.#lastErrMsg[id]!,
        lateness: {
          avg: runs > 0 ? n[o + LATE_SUM]! / runs / 1000 : 0,
          max: n[o + LATE_MAX]! / 1000,
          histogram,
        },
        pending: this.#pending[id]!,
        scheduled: n[o + SCHEDULED]!,
      };
      if (errors > 0) stats.last_error = { message: this.#lastErrMsg[id]!, time: n[o + ERR_TIME]! };
      timers[name] = { name, is_running: runningId === id, meta: { name }, stats };
    }
    return { timers, runs: totalRuns, errors: totalErrors };
  }

  #grow(cap: number): void {
    const num = new Float64Array(cap * FIELDS);
    num.set(this.#num);
    const hist = new Float64Array(cap * BUCKETS);
    hist.set(this.#hist);
    const pending = new Int32Array(cap);
    pending.set(this.#pending);
    this.#num = num;
    this.#hist = hist;
    this.#pending = pending;
    this.#cap = cap;
  }
}

const RUNS = 0;
const ERRORS = 1;
const EL_MIN = 2;
const EL_MAX = 3;
const EL_MEAN = 4;
const EL_M2 = 5;
const LATE_SUM = 6;
const LATE_MAX = 7;
const SCHEDULED = 8;
const ERR_TIME = 9;
const FIELDS = 10;

function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  try {
    return String(error);
  } catch {
    return 'unprintable error';
  }
}
