// Recurring timers on the per-worker timer wheel: they keep their period without drift, and skip
// the periods they missed instead of running them back to back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TimerWheel } from '../../../workers/timers/index.ts';
import { ManualClock } from './manual-clock.ts';

test('1000 periods land exactly on start + k * interval, even when callbacks take time', () => {
  for (const interval of [1, 7, 100, 333, 1000, 65_537]) {
    const start = 12_345.5;
    const clock = new ManualClock(start);
    const wheel = new TimerWheel({ clock });
    const at: number[] = [];
    wheel.every('tick', interval, () => {
      at.push(clock.now());
      clock.spend(interval / 3); // a slow callback must not push the next period back
    });
    while (at.length < 1000) assert.ok(clock.runNext());
    for (let k = 0; k < 1000; k++) {
      const due = start + (k + 1) * interval;
      // Fires in the tick of its due time: at or after it, less than 1 ms later.
      assert.ok(at[k]! >= due && at[k]! < due + 1, `interval ${interval} period ${k + 1}: ${at[k]} vs ${due}`);
    }
  }
});

test('periods missed while the loop was blocked are skipped, and the grid is kept', () => {
  const clock = new ManualClock(0);
  const wheel = new TimerWheel({ clock });
  const at: number[] = [];
  wheel.every('tick', 100, () => void at.push(clock.now()));
  clock.advance(200); // 100, 200
  clock.jump(355); // now 555: periods 300, 400, 500 missed -> one late run
  assert.deepEqual(at, [100, 200, 555]);
  clock.advance(45); // 600: back on the grid
  clock.advance(100); // 700
  assert.deepEqual(at, [100, 200, 555, 600, 700]);
  const lateness = wheel.stats().stats.timers.tick!.stats.lateness;
  // Measured from the first missed due time (300): how long the loop starved the timer.
  assert.equal(lateness.max, 0.255);
});

test('a recurring timer whose callback throws keeps running', () => {
  const clock = new ManualClock(0);
  const errors: unknown[] = [];
  const wheel = new TimerWheel({ clock, onError: (e) => void errors.push(e) });
  let runs = 0;
  wheel.every('flaky', 10, () => {
    runs++;
    throw new Error('boom');
  });
  clock.advance(100);
  assert.equal(runs, 10);
  assert.equal(errors.length, 10);
  assert.equal(wheel.pending, 1);
});

test('rescheduling a recurring timer moves its phase; the period stays', () => {
  const clock = new ManualClock(0);
  const wheel = new TimerWheel({ clock });
  const at: number[] = [];
  const h = wheel.every('tick', 100, () => void at.push(clock.now()));
  clock.advance(150);
  assert.equal(wheel.reschedule(h, 20), true); // next at 170
  clock.advance(250); // 400
  assert.deepEqual(at, [100, 170, 270, 370]);
});

test('a recurring timer with an argument and no closure', () => {
  const clock = new ManualClock(0);
  const wheel = new TimerWheel({ clock });
  const state = { count: 0 };
  function bump(s: typeof state): void {
    s.count++;
  }
  wheel.every('bump', 5, bump, state);
  clock.advance(50);
  assert.equal(state.count, 10);
});

test('a fractional interval is rounded up to whole milliseconds', () => {
  const clock = new ManualClock(0);
  const wheel = new TimerWheel({ clock });
  const at: number[] = [];
  wheel.every('tick', 2.5, () => void at.push(clock.now()));
  clock.advance(10);
  assert.deepEqual(at, [3, 6, 9]);
});
