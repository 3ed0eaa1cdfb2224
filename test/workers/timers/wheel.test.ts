// Unit tests of the per-worker timer wheel: ordering, FIFO within a tick, arguments, validation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_DELAY_MS, TimerWheel } from '../../../workers/timers/index.ts';
import { ManualClock } from './manual-clock.ts';

function setup(start = 0) {
  const clock = new ManualClock(start);
  const wheel = new TimerWheel({ clock, onError: () => {} });
  const fired: Array<[string, number]> = [];
  const record = (label: string): void => {
    fired.push([label, clock.now()]);
  };
  return { clock, wheel, fired, record };
}

test('timers fire in due order, each at its due time', () => {
  const { clock, wheel, fired, record } = setup();
  for (const delay of [300, 5, 70_000, 1, 256, 255, 65_536, 2]) wheel.schedule('t', delay, record, String(delay));
  clock.advance(80_000);
  assert.deepEqual(fired, [
    ['1', 1], ['2', 2], ['5', 5], ['255', 255], ['256', 256], ['300', 300], ['65536', 65_536], ['70000', 70_000],
  ]);
  assert.equal(wheel.pending, 0);
});

test('timers due in the same tick fire in the order they were scheduled', () => {
  const { clock, wheel, fired, record } = setup();
  for (let k = 0; k < 50; k++) wheel.schedule('t', 40, record, `a${k}`);
  clock.advance(10);
  // Due in the same tick (40) but scheduled later, from a nearer point: still after the first 50.
  wheel.schedule('t', 30, record, 'late');
  clock.advance(100);
  assert.deepEqual(fired.map(([label]) => label), [...Array.from({ length: 50 }, (_, k) => `a${k}`), 'late']);
  assert.ok(fired.every(([, at]) => at === 40));
});

test('FIFO holds when the earlier timer sits on a higher level than the later one', () => {
  const { clock, wheel, fired, record } = setup(10);
  wheel.schedule('t', 290, record, 'A'); // due 300, 290 ticks away: level 1
  clock.advance(90); // now 100
  wheel.schedule('t', 200, record, 'B'); // due 300, 200 ticks away: level 0
  clock.advance(65_000); // now 65_100
  wheel.schedule('t', 70_000, record, 'C'); // due 135_100: level 2
  clock.advance(69_000); // now 134_100
  wheel.schedule('t', 1000, record, 'D'); // due 135_100: level 1
  clock.advance(900);
  wheel.schedule('t', 100, record, 'E'); // due 135_100: level 0
  clock.advance(1000);
  assert.deepEqual(fired, [['A', 300], ['B', 300], ['C', 135_100], ['D', 135_100], ['E', 135_100]]);
});

test('the callback gets its argument and its own handle, with no closure needed', () => {
  const { clock, wheel } = setup();
  const seen: Array<[unknown, number]> = [];
  function onTimer(arg: { id: number }, handle: number): void {
    seen.push([arg.id, handle]);
  }
  const h1 = wheel.schedule('t', 5, onTimer, { id: 1 });
  const h2 = wheel.schedule('t', 6, onTimer, { id: 2 });
  assert.notEqual(h1, 0);
  assert.notEqual(h1, h2);
  clock.advance(10);
  assert.deepEqual(seen, [[1, h1], [2, h2]]);
});

test('a delay of 0 fires on the next tick, never synchronously', () => {
  const { clock, wheel, fired, record } = setup(7);
  wheel.schedule('t', 0, record, 'zero');
  assert.equal(fired.length, 0);
  clock.advance(1);
  assert.deepEqual(fired, [['zero', 8]]);
});

test('fractional clock readings: a timer fires at the first whole tick at or after its due time', () => {
  const { clock, wheel, fired, record } = setup(0.25);
  wheel.schedule('t', 10, record, 'x'); // due 10.25
  clock.advance(10); // now 10.25: tick 11 not reached
  assert.equal(fired.length, 0);
  clock.advance(1);
  assert.equal(fired.length, 1);
  assert.ok(fired[0]![1] >= 10.25);
});

test('bad arguments throw; a closed wheel refuses new timers', () => {
  const { wheel } = setup();
  for (const delay of [-1, NaN, Infinity, MAX_DELAY_MS + 1]) {
    assert.throws(() => wheel.schedule('t', delay, () => {}), RangeError);
  }
  assert.throws(() => wheel.every('t', 0, () => {}), RangeError);
  assert.throws(() => wheel.every('t', 0.5, () => {}), RangeError);
  assert.throws(() => wheel.schedule('t', 1, 'nope' as unknown as () => void), TypeError);
  const h = wheel.schedule('t', 1, () => {});
  assert.throws(() => wheel.reschedule(h, -5), RangeError);
  wheel.close();
  assert.throws(() => wheel.schedule('t', 1, () => {}), /closed/);
});

test('close() cancels every timer, stops the driver and keeps the statistics', () => {
  const { clock, wheel, fired, record } = setup();
  wheel.schedule('a', 5, record, 'a');
  clock.advance(5);
  wheel.schedule('b', 50, record, 'b');
  wheel.every('c', 10, record, 'c');
  assert.equal(wheel.pending, 2);
  wheel.close();
  assert.equal(wheel.pending, 0);
  assert.equal(clock.armed, false);
  clock.advance(1000);
  assert.deepEqual(fired, [['a', 5]]);
  const { sys } = wheel.stats().stats;
  assert.equal(sys.runs, 1);
  assert.equal(sys.total, 0);
  wheel.close(); // twice is harmless
});

test('the tables grow past their initial capacity and handles stay valid', () => {
  const clock = new ManualClock();
  const wheel = new TimerWheel({ clock, initialCapacity: 16 });
  const handles: number[] = [];
  let fired = 0;
  for (let k = 0; k < 5000; k++) handles.push(wheel.schedule('t', 1 + (k % 700), () => void fired++));
  for (let k = 0; k < 5000; k += 2) assert.equal(wheel.cancel(handles[k]!), true);
  clock.advance(1000);
  assert.equal(fired, 2500);
  assert.equal(wheel.pending, 0);
});
