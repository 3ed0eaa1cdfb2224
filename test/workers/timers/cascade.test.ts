// Level boundaries of the per-worker timer wheel: delays at and around each level's span, from
// start times at and around slot and level boundaries (and across the 2^32 ms digit wrap), up to
// the longest delay. With a perfect clock every timer must fire exactly at its due tick.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_DELAY_MS, TimerWheel } from '../../../workers/timers/index.ts';
import { ManualClock } from './manual-clock.ts';

const L1 = 256;
const L2 = 256 ** 2;
const L3 = 256 ** 3;
const DELAYS = [
  1, 2, 254, L1 - 1, L1, L1 + 1, 2 * L1 - 1, 2 * L1, 2 * L1 + 1,
  L2 - L1 - 1, L2 - 1, L2, L2 + 1, 2 * L2 + 7,
  L3 - 1, L3, L3 + 1, 3 * L3 + 5,
  2 ** 30, MAX_DELAY_MS - 1, MAX_DELAY_MS,
];
const STARTS = [
  0, 1, 100, L1 - 1, L1, L1 + 1, L2 - 1, L2, L2 + 255, L3 - 1, L3, L3 + 1,
  2 ** 31 - 3, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 1, 2 ** 32 - 300, 5 * 2 ** 32 + 12_345, 2 ** 40 + 77,
];

test('each delay alone fires exactly at its due tick, from every start', () => {
  for (const start of STARTS) {
    for (const delay of DELAYS) {
      const clock = new ManualClock(start);
      const wheel = new TimerWheel({ clock });
      let firedAt = -1;
      wheel.schedule('t', delay, () => {
        firedAt = clock.now();
      });
      let wakes = 0;
      while (clock.runNext()) wakes++;
      assert.equal(firedAt, start + delay, `start ${start} delay ${delay}`);
      // One wake per level crossed, at most: the driver never ticks through idle milliseconds.
      assert.ok(wakes <= 4, `start ${start} delay ${delay}: ${wakes} wakes`);
      assert.equal(clock.armed, false);
    }
  }
});

test('all delays together fire in order, each exactly on time, from every start', () => {
  for (const start of STARTS) {
    const clock = new ManualClock(start);
    const wheel = new TimerWheel({ clock });
    const fired: Array<[number, number]> = [];
    for (const delay of [...DELAYS].reverse()) {
      wheel.schedule('t', delay, (d) => void fired.push([d, clock.now() - start]), delay);
    }
    clock.advance(MAX_DELAY_MS + 10);
    assert.deepEqual(fired, DELAYS.map((d) => [d, d]), `start ${start}`);
  }
});

test('timers scheduled mid-way, when the current tick sits just before a boundary', () => {
  for (const start of STARTS) {
    const clock = new ManualClock(start);
    const wheel = new TimerWheel({ clock });
    const fired: Array<[number, number]> = [];
    wheel.schedule('anchor', MAX_DELAY_MS, () => {});
    // Walk the clock to just before each boundary and schedule across it.
    for (const span of [L1, L2, L3]) {
      const now = clock.now();
      const toBoundary = span - (now % span) - 1;
      clock.advance(toBoundary);
      for (const delay of [1, 2, span - 1, span, span + 1]) {
        const due = clock.now() + delay;
        wheel.schedule('t', delay, (d) => void fired.push([d, clock.now()]), due);
      }
    }
    clock.advance(4 * L3);
    assert.equal(fired.length, 15);
    for (const [due, at] of fired) assert.equal(at, due, `start ${start}`);
    for (let k = 1; k < fired.length; k++) assert.ok(fired[k]![1] >= fired[k - 1]![1]);
  }
});

test('a late wake catches up in order and never fires early', () => {
  const clock = new ManualClock(L2 - 3);
  const wheel = new TimerWheel({ clock });
  const fired: Array<[number, number]> = [];
  for (const delay of DELAYS.slice(0, 14)) {
    const due = clock.now() + delay;
    wheel.schedule('t', delay, (d) => void fired.push([d, clock.now()]), due);
  }
  clock.jump(3 * L2); // the loop was blocked for ~3 minutes
  assert.equal(fired.length, 14);
  for (const [due, at] of fired) assert.ok(at >= due);
  const dues = fired.map(([d]) => d);
  assert.deepEqual(dues, [...dues].sort((a, b) => a - b));
});
