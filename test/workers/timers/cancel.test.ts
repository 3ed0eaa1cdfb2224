// Cancel and reschedule on the per-worker timer wheel: immediate release, stale handles, and
// changes made from inside callbacks (to the running timer and to others).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TimerWheel } from '../../../workers/timers/index.ts';
import { ManualClock } from './manual-clock.ts';

function setup() {
  const clock = new ManualClock(1000);
  const wheel = new TimerWheel({ clock, onError: (e) => assert.fail(e as Error) });
  const fired: Array<[string, number]> = [];
  const record = (label: string): void => void fired.push([label, clock.now() - 1000]);
  return { clock, wheel, fired, record };
}

test('cancel stops a timer, frees it at once and is idempotent', () => {
  const { clock, wheel, fired, record } = setup();
  const a = wheel.schedule('t', 10, record, 'a');
  wheel.schedule('t', 20, record, 'b');
  assert.equal(wheel.pending, 2);
  assert.equal(wheel.cancel(a), true);
  assert.equal(wheel.pending, 1);
  assert.equal(wheel.stats().stats.timers.t!.stats.pending, 1);
  assert.equal(wheel.cancel(a), false);
  clock.advance(100);
  assert.deepEqual(fired, [['b', 20]]);
});

test('cancel releases the callback and its argument (nothing keeps them alive)', async (t) => {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) {
    t.skip('needs node --expose-gc');
    return;
  }
  const { wheel } = setup();
  // The argument is created inside a helper so no local keeps it alive.
  const { ref, h } = ((): { ref: WeakRef<object>; h: number } => {
    const arg = { big: new Array(1000).fill(1) };
    return { ref: new WeakRef(arg), h: wheel.schedule('t', 60_000, () => {}, arg) };
  })();
  wheel.cancel(h);
  await new Promise((resolve) => setImmediate(resolve));
  gc();
  assert.equal(ref.deref(), undefined);
});

test('cancelling the last timer leaves one wake, which then arms nothing', () => {
  const { clock, wheel } = setup();
  const a = wheel.schedule('t', 10_000, () => {});
  assert.equal(clock.armed, true);
  const arms = clock.arms;
  wheel.cancel(a);
  // Schedule-then-cancel pairs must not pay a setTimeout and clearTimeout each.
  for (let k = 0; k < 100; k++) wheel.cancel(wheel.schedule('t', 20_000, () => {}));
  assert.equal(clock.arms, arms);
  clock.advance(20_000);
  assert.equal(clock.wakes, 1);
  assert.equal(clock.armed, false);
});

test('a stale handle cannot cancel or move the timer that reuses its number', () => {
  const { clock, wheel, fired, record } = setup();
  const a = wheel.schedule('t', 10, record, 'a');
  assert.equal(wheel.cancel(a), true);
  const b = wheel.schedule('t', 10, record, 'b'); // takes a's number from the free list
  assert.equal(b & 0x1fffff, a & 0x1fffff);
  assert.notEqual(b, a);
  assert.equal(wheel.cancel(a), false);
  assert.equal(wheel.reschedule(a, 500), false);
  clock.advance(10);
  assert.deepEqual(fired, [['b', 10]]);
  // After firing, b's handle is stale too.
  assert.equal(wheel.cancel(b), false);
  assert.equal(wheel.reschedule(b, 5), false);
});

test('handles that were never issued are rejected', () => {
  const { wheel } = setup();
  const only = wheel.schedule('t', 10, () => {});
  assert.equal(only, 1 << 21); // generation 1, number 0
  for (const h of [0, -1, 1, 1.5, NaN, Infinity, 2 ** 40, Number.MAX_SAFE_INTEGER, (1 << 21) + 5, 2 << 21]) {
    assert.equal(wheel.cancel(h), false, String(h));
    assert.equal(wheel.reschedule(h, 1), false, String(h));
  }
  assert.equal(wheel.pending, 1);
});

test('reschedule moves a timer earlier or later', () => {
  const { clock, wheel, fired, record } = setup();
  const a = wheel.schedule('t', 100_000, record, 'a');
  const b = wheel.schedule('t', 5, record, 'b');
  assert.equal(wheel.reschedule(a, 7), true);
  assert.equal(wheel.reschedule(b, 300), true);
  clock.advance(1000);
  assert.deepEqual(fired, [['a', 7], ['b', 300]]);
});

test('a callback can cancel another timer due in the same tick, or later', () => {
  const { clock, wheel, fired, record } = setup();
  const handles: number[] = [];
  wheel.schedule('t', 10, () => {
    record('first');
    assert.equal(wheel.cancel(handles[0]!), true);
    assert.equal(wheel.cancel(handles[1]!), true);
  });
  handles.push(wheel.schedule('t', 10, record, 'same-tick'));
  handles.push(wheel.schedule('t', 70_000, record, 'later'));
  wheel.schedule('t', 10, record, 'survivor');
  clock.advance(100_000);
  assert.deepEqual(fired, [['first', 10], ['survivor', 10]]);
  assert.equal(wheel.pending, 0);
});

test('a recurring timer can cancel itself from its callback', () => {
  const { clock, wheel } = setup();
  let runs = 0;
  wheel.every('t', 10, (_arg, self) => {
    if (++runs === 3) assert.equal(wheel.cancel(self), true);
  });
  clock.advance(1000);
  assert.equal(runs, 3);
  assert.equal(wheel.pending, 0);
  assert.equal(clock.armed, false);
});

test('a one-shot cannot cancel itself while firing, and is freed after', () => {
  const { clock, wheel } = setup();
  let result: boolean | undefined;
  const h = wheel.schedule('t', 10, (_arg, self) => {
    result = wheel.cancel(self);
  });
  clock.advance(10);
  assert.equal(result, false);
  assert.equal(wheel.pending, 0);
  assert.equal(wheel.cancel(h), false);
});

test('a one-shot can reschedule itself from its callback, and fires again', () => {
  const { clock, wheel, fired } = setup();
  wheel.schedule('t', 10, (_arg, self) => {
    fired.push(['run', clock.now() - 1000]);
    if (fired.length < 3) assert.equal(wheel.reschedule(self, 25), true);
  });
  clock.advance(1000);
  assert.deepEqual(fired, [['run', 10], ['run', 35], ['run', 60]]);
  assert.equal(wheel.pending, 0);
});

test('a callback can move another timer of the same tick to later', () => {
  const { clock, wheel, fired, record } = setup();
  let other = 0;
  wheel.schedule('t', 10, () => {
    record('mover');
    assert.equal(wheel.reschedule(other, 5), true);
  });
  other = wheel.schedule('t', 10, record, 'moved');
  clock.advance(100);
  assert.deepEqual(fired, [['mover', 10], ['moved', 15]]);
});

test('a one-shot that moves, cancels itself and schedules a successor on its number: the successor fires', () => {
  const { clock, wheel, fired, record } = setup();
  let first = 0;
  first = wheel.schedule('t', 10, (_arg, self) => {
    assert.equal(self, first);
    wheel.reschedule(self, 50);
    assert.equal(wheel.cancel(self), true);
    const next = wheel.schedule('t', 5, record, 'successor');
    assert.equal(next & 0x1fffff, self & 0x1fffff);
  });
  clock.advance(100);
  assert.deepEqual(fired, [['successor', 15]]);
  assert.equal(wheel.pending, 0);
});

test('timers scheduled from a callback with delay 0 run on the next tick, not in a loop', () => {
  const { clock, wheel } = setup();
  let runs = 0;
  const again = (): void => {
    runs++;
    wheel.schedule('t', 0, again);
  };
  wheel.schedule('t', 0, again);
  clock.jump(50); // one late wake: the chain advances one tick per run, up to the clock
  assert.ok(runs >= 1 && runs <= 51, String(runs));
  const before = runs;
  clock.advance(10);
  assert.equal(runs, before + 10);
});
