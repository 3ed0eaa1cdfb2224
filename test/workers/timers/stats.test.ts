// Statistics of the per-worker timer wheel: the Kong-shaped /timers report, Welford figures,
// lateness, system figures, the name cap, and summing several workers' reports.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  LATENESS_BUCKET_KEYS, MAX_NAMES, OVERFLOW_NAME, SUMMED_WORKER_ID, TimerWheel, sumTimerReports,
} from '../../../workers/timers/index.ts';
import type { TimersReport } from '../../../workers/timers/index.ts';
import { ManualClock } from './manual-clock.ts';

function populationVariance(xs: number[]): number {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  return xs.reduce((a, x) => a + (x - mean) ** 2, 0) / xs.length;
}

/** A wheel whose timer `name` ran callbacks taking `durations` ms, each `late` ms after its due time. */
function wheelWith(name: string, durations: number[], late: number, workerId = 0): TimerWheel {
  const clock = new ManualClock(0);
  const wheel = new TimerWheel({ clock, workerId, workerCount: 2, onError: () => {} });
  for (const ms of durations) {
    wheel.schedule(name, 100, () => clock.spend(ms));
    clock.spend(100 + late); // the wake comes `late` ms after the due time
    clock.wakeEarly();
  }
  return wheel;
}

test('the report has the shape of Kong\'s /timers, and survives JSON', () => {
  const clock = new ManualClock(0);
  const wheel = new TimerWheel({ clock, workerId: 3, workerCount: 4 });
  wheel.schedule('dns-refresh', 10, () => {});
  wheel.every('health-check', 50, () => {});
  clock.advance(100);
  const report = wheel.stats();
  assert.deepEqual(Object.keys(report), ['worker', 'stats']);
  assert.deepEqual(report.worker, { id: 3, count: 4 });
  assert.deepEqual(Object.keys(report.stats), ['sys', 'timers']);
  assert.deepEqual(report.stats.sys, { running: 0, pending: 0, waiting: 1, total: 1, runs: 3, scheduled: 2, errors: 0 });
  const entry = report.stats.timers['health-check']!;
  assert.deepEqual(Object.keys(entry), ['name', 'is_running', 'meta', 'stats']);
  assert.equal(entry.name, 'health-check');
  assert.deepEqual(entry.meta, { name: 'health-check' });
  assert.equal(entry.is_running, false);
  assert.deepEqual(Object.keys(entry.stats).sort(), [
    'elapsed_time', 'errors', 'finish', 'last_err_msg', 'lateness', 'pending', 'runs', 'scheduled',
  ]);
  assert.deepEqual(Object.keys(entry.stats.elapsed_time), ['min', 'max', 'avg', 'variance']);
  assert.deepEqual(Object.keys(entry.stats.lateness), ['avg', 'max', 'histogram']);
  assert.deepEqual(Object.keys(entry.stats.lateness.histogram), LATENESS_BUCKET_KEYS);
  assert.equal(entry.stats.runs, 2);
  assert.equal(entry.stats.pending, 1);
  assert.equal(report.stats.timers['dns-refresh']!.stats.pending, 0);
  const json = JSON.parse(JSON.stringify(report)) as TimersReport;
  assert.deepEqual(json.stats.timers['dns-refresh'], { ...report.stats.timers['dns-refresh'] });
});

test('elapsed time: min, max, mean and population variance (Welford), in seconds', () => {
  const durations = [1, 2, 3, 4, 10];
  const s = wheelWith('work', durations, 0).stats().stats.timers.work!.stats;
  assert.equal(s.runs, 5);
  assert.equal(s.finish, 5);
  assert.equal(s.elapsed_time.min, 0.001);
  assert.equal(s.elapsed_time.max, 0.01);
  assert.ok(Math.abs(s.elapsed_time.avg - 0.004) < 1e-12);
  assert.ok(Math.abs(s.elapsed_time.variance - populationVariance(durations) / 1e6) < 1e-12);
});

test('lateness: mean, max and histogram', () => {
  const s = wheelWith('late', [0, 0, 0], 3).stats().stats.timers.late!.stats.lateness;
  assert.ok(Math.abs(s.avg - 0.003) < 1e-12);
  assert.ok(Math.abs(s.max - 0.003) < 1e-12);
  assert.equal(s.histogram['le_0.005'], 3);
  assert.equal(Object.values(s.histogram).reduce((a, b) => a + b, 0), 3);
});

test('a timer that never ran reports zeros, not Infinity', () => {
  const clock = new ManualClock(0);
  const wheel = new TimerWheel({ clock });
  wheel.schedule('idle', 1000, () => {});
  const s = wheel.stats().stats.timers.idle!.stats;
  assert.deepEqual(s.elapsed_time, { min: 0, max: 0, avg: 0, variance: 0 });
  assert.equal(s.lateness.avg, 0);
  assert.equal(s.lateness.max, 0);
  assert.equal(JSON.stringify(s).includes('null'), false);
});

test('sys figures seen from inside a callback: running, pending (due, not yet run), waiting', () => {
  const clock = new ManualClock(0);
  const wheel = new TimerWheel({ clock });
  let seen: TimersReport | undefined;
  wheel.schedule('a', 10, () => void (seen = wheel.stats()));
  wheel.schedule('b', 10, () => {});
  wheel.schedule('c', 10, () => {});
  wheel.schedule('d', 500, () => {});
  clock.advance(10);
  assert.ok(seen);
  assert.deepEqual(seen.stats.sys, { running: 1, pending: 2, waiting: 1, total: 4, runs: 0, scheduled: 4, errors: 0 });
  assert.equal(seen.stats.timers.a!.is_running, true);
  assert.equal(seen.stats.timers.b!.is_running, false);
});

test('names are capped; the excess is counted under one overflow name', () => {
  const clock = new ManualClock(0);
  const wheel = new TimerWheel({ clock });
  for (let k = 0; k < MAX_NAMES + 50; k++) wheel.schedule(`req-${k}`, 5, () => {});
  clock.advance(5);
  const timers = wheel.stats().stats.timers;
  assert.equal(Object.keys(timers).length, MAX_NAMES);
  assert.equal(timers[OVERFLOW_NAME]!.stats.runs, 51);
});

test('a name like __proto__ is an ordinary key', () => {
  const clock = new ManualClock(0);
  const wheel = new TimerWheel({ clock });
  wheel.schedule('__proto__', 1, () => {});
  clock.advance(1);
  const timers = wheel.stats().stats.timers;
  assert.equal(Object.hasOwn(timers, '__proto__'), true);
  assert.equal(timers.__proto__!.stats.runs, 1);
});

test('summing workers: counts add up, mean and variance are those of all runs together', () => {
  const a = [1, 2, 3];
  const b = [10, 20];
  const wa = wheelWith('job', a, 1, 0);
  const wb = wheelWith('job', b, 30, 1);
  wb.schedule('only-b', 60_000, () => {});
  const ra = wa.stats();
  const rb = wb.stats();
  const sum = sumTimerReports([ra, rb]);
  assert.deepEqual(sum.worker, { id: SUMMED_WORKER_ID, count: 2 });
  assert.equal(sum.stats.sys.runs, 5);
  assert.equal(sum.stats.sys.scheduled, 6);
  assert.equal(sum.stats.sys.total, 1);
  const job = sum.stats.timers.job!.stats;
  assert.equal(job.runs, 5);
  const all = [...a, ...b];
  const mean = all.reduce((x, y) => x + y, 0) / all.length;
  assert.ok(Math.abs(job.elapsed_time.avg - mean / 1000) < 1e-12);
  assert.ok(Math.abs(job.elapsed_time.variance - populationVariance(all) / 1e6) < 1e-12);
  assert.equal(job.elapsed_time.min, 0.001);
  assert.equal(job.elapsed_time.max, 0.02);
  assert.ok(Math.abs(job.lateness.avg - (3 * 1 + 2 * 30) / 5 / 1000) < 1e-12);
  assert.equal(job.lateness.max, 0.03);
  assert.equal(job.lateness.histogram['le_0.001'], 3);
  assert.equal(job.lateness.histogram['le_0.05'], 2);
  assert.equal(sum.stats.timers['only-b']!.stats.pending, 1);
  // The inputs are untouched.
  assert.equal(ra.stats.timers.job!.stats.runs, 3);
});

test('summing keeps the most recent error', () => {
  const report = (time: number, message: string, worker: number): TimersReport => {
    const clock = new ManualClock(0);
    const wheel = new TimerWheel({ clock, workerId: worker, onError: () => {} });
    wheel.schedule('x', 1, () => {
      throw new Error(message);
    });
    clock.advance(1);
    const r = wheel.stats();
    r.stats.timers.x!.stats.last_error!.time = time;
    return r;
  };
  const sum = sumTimerReports([report(200, 'newer', 0), report(100, 'older', 1)]);
  const x = sum.stats.timers.x!.stats;
  assert.equal(x.errors, 2);
  assert.equal(x.finish, 0);
  assert.deepEqual(x.last_error, { message: 'newer', time: 200 });
  assert.equal(x.last_err_msg, 'newer');
  assert.deepEqual(sumTimerReports([]).stats.sys, { running: 0, pending: 0, waiting: 0, total: 0, runs: 0, scheduled: 0, errors: 0 });
});
