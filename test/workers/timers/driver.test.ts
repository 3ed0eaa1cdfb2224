// The driver of the per-worker timer wheel: one wake-up, armed for the next occupied slot only,
// nothing armed when the wheel is empty; and the real clock (performance.now + unref'd setTimeout).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SystemClock, TimerWheel } from '../../../workers/timers/index.ts';
import { ManualClock } from './manual-clock.ts';

test('an empty wheel arms nothing', () => {
  const clock = new ManualClock(0);
  new TimerWheel({ clock });
  assert.equal(clock.armed, false);
  assert.equal(clock.arms, 0);
});

test('the driver sleeps until the next occupied slot, not every millisecond', () => {
  const clock = new ManualClock(0);
  const wheel = new TimerWheel({ clock });
  let fired = 0;
  wheel.schedule('t', 5, () => void fired++);
  wheel.schedule('t', 10_000, () => void fired++);
  wheel.schedule('t', 3_600_000, () => void fired++);
  clock.advance(4_000_000);
  assert.equal(fired, 3);
  // 5 ms; 10 s = one cascade + one fire; 1 h = up to three cascades + one fire.
  assert.ok(clock.wakes <= 7, `${clock.wakes} wakes`);
});

test('after the last timer fires the driver is not re-armed', () => {
  const clock = new ManualClock(0);
  const wheel = new TimerWheel({ clock });
  wheel.schedule('t', 20, () => {});
  clock.advance(20);
  assert.equal(clock.armed, false);
  const arms = clock.arms;
  clock.advance(1_000_000);
  assert.equal(clock.arms, arms);
  assert.equal(clock.wakes, 1);
});

test('an earlier timer re-arms the driver earlier; a later one does not touch it', () => {
  const clock = new ManualClock(0);
  const wheel = new TimerWheel({ clock });
  wheel.schedule('t', 100, () => {});
  assert.equal(clock.deadline, 100);
  const arms = clock.arms;
  wheel.schedule('t', 150, () => {});
  assert.equal(clock.arms, arms);
  wheel.schedule('t', 30, () => {});
  assert.equal(clock.deadline, 30);
});

test('a wake that comes early fires nothing and re-arms', () => {
  const clock = new ManualClock(0);
  const wheel = new TimerWheel({ clock });
  let firedAt = -1;
  wheel.schedule('t', 10, () => void (firedAt = clock.now()));
  clock.spend(9.3);
  clock.wakeEarly();
  assert.equal(firedAt, -1);
  assert.equal(clock.armed, true);
  clock.advance(1);
  assert.equal(firedAt, 10);
});

test('scheduling while the wake is overdue skips no due timer', () => {
  const clock = new ManualClock(0);
  const wheel = new TimerWheel({ clock });
  const fired: string[] = [];
  wheel.schedule('t', 10, () => void fired.push('due'));
  clock.spend(500); // the loop is busy: the wake at 10 has not run yet
  wheel.schedule('t', 5, () => void fired.push('new'));
  clock.wakeEarly(); // the overdue wake runs at 500
  assert.deepEqual(fired, ['due']);
  clock.advance(5);
  assert.deepEqual(fired, ['due', 'new']);
});

test('SystemClock: timers fire on real time, never early, and the driver does not hold the loop', async () => {
  const clock = new SystemClock();
  const wheel = new TimerWheel({ clock });
  const keepAlive = setTimeout(() => {}, 5000); // the driver is unref'd; this test holds the loop
  try {
    const due: number[] = [];
    const at: number[] = [];
    await new Promise<void>((resolve) => {
      let left = 20;
      for (let k = 0; k < 20; k++) {
        const delay = (k * 7) % 40;
        due.push(performance.now() + delay);
        wheel.schedule('real', delay, (idx) => {
          at[idx] = performance.now();
          if (--left === 0) resolve();
        }, k);
      }
    });
    for (let k = 0; k < 20; k++) assert.ok(at[k]! >= due[k]!, `timer ${k} early by ${due[k]! - at[k]!} ms`);
    assert.equal(wheel.pending, 0);
  } finally {
    clearTimeout(keepAlive);
    wheel.close();
  }
});
