// Property test of the per-worker timer wheel against a model, with a seeded PRNG: random
// schedules, cancels, reschedules and recurring timers, changes made from inside callbacks, clock
// moves both as a perfect timer and as a blocked loop, starts near the 2^32 ms digit wrap.
// Checked for every firing: never before its due time; fired only if live in the model; and the
// whole firing sequence ordered by (due tick, order of scheduling) - FIFO within a tick.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_DELAY_MS, TimerWheel } from '../../../workers/timers/index.ts';
import { ManualClock } from './manual-clock.ts';
import { mulberry32 } from '../../helpers/prng.ts';

interface Live {
  id: number;
  handle: number;
  due: number;
  seq: number;
  interval: number;
}

function run(seed: number, timers: number): { fired: number; early: number } {
  const rnd = mulberry32(seed);
  const int = (n: number): number => Math.floor(rnd() * n);
  const starts = [0, 1234.25, 2 ** 32 - 50_000.5, 2 ** 33 + 7.75];
  const clock = new ManualClock(starts[seed % starts.length]!);
  const wheel = new TimerWheel({ clock, onError: (e) => assert.fail(e as Error) });
  const live = new Map<number, Live>();
  let nextId = 0;
  let seq = 0;
  let precise = true;
  let lastTick = -Infinity;
  let lastSeq = -1;
  let fired = 0;
  let early = 0;

  // Delay >= 1 ms: then a timer's tick is exactly ceil(due) (a 0 delay may round up a tick).
  const delay = (): number => {
    const r = rnd();
    if (r < 0.55) return 1 + int(300);
    if (r < 0.8) return 1 + int(70_000);
    if (r < 0.93) return 1 + rnd() * 5000;
    if (r < 0.98) return 1 + int(20_000_000);
    return 1 + int(MAX_DELAY_MS - 1);
  };
  const anyLive = (): Live | undefined => {
    if (live.size === 0) return undefined;
    let k = int(live.size);
    for (const entry of live.values()) if (k-- === 0) return entry;
    return undefined;
  };

  const onFire = (id: number, handle: number): void => {
    const now = clock.now();
    const entry = live.get(id);
    assert.ok(entry, `seed ${seed}: timer ${id} fired but is not live`);
    assert.equal(handle, entry.handle);
    if (now < entry.due) early++;
    const tick = Math.ceil(entry.due);
    assert.ok(tick > lastTick || (tick === lastTick && entry.seq > lastSeq), `seed ${seed}: order broken at timer ${id}`);
    if (precise) assert.ok(now < tick + 1, `seed ${seed}: timer ${id} late by ${now - entry.due} under a perfect clock`);
    lastTick = tick;
    lastSeq = entry.seq;
    fired++;
    if (entry.interval > 0) {
      let next = entry.due + entry.interval;
      while (next <= now) next += entry.interval;
      entry.due = next;
      entry.seq = seq++;
    } else {
      live.delete(id);
    }
    // Sometimes change the wheel from inside the callback.
    const r = rnd();
    if (r < 0.05) schedule();
    else if (r < 0.08) cancelOne();
    else if (r < 0.1) rescheduleOne();
  };

  const schedule = (): void => {
    const id = nextId++;
    const recurring = rnd() < 0.02;
    const d = recurring ? 1 + int(500) : delay();
    const handle = recurring ? wheel.every('p', d, onFire, id) : wheel.schedule('p', d, onFire, id);
    live.set(id, { id, handle, due: clock.now() + d, seq: seq++, interval: recurring ? d : 0 });
  };
  const cancelOne = (): void => {
    const entry = anyLive();
    if (entry === undefined) return;
    assert.equal(wheel.cancel(entry.handle), true);
    live.delete(entry.id);
    assert.equal(wheel.cancel(entry.handle), false);
  };
  const rescheduleOne = (): void => {
    const entry = anyLive();
    if (entry === undefined) return;
    const d = delay();
    assert.equal(wheel.reschedule(entry.handle, d), true);
    entry.due = clock.now() + d;
    entry.seq = seq++;
  };

  while (nextId < timers) {
    const r = rnd();
    if (r < 0.5) schedule();
    else if (r < 0.6) cancelOne();
    else if (r < 0.68) rescheduleOne();
    else if (r < 0.9) {
      precise = true;
      clock.advance(rnd() * 400);
    } else if (r < 0.995) {
      precise = false;
      clock.jump(rnd() * 3000);
    } else {
      precise = true;
      clock.advance(int(30_000_000));
    }
    assert.equal(wheel.pending, live.size);
  }
  // Stop the recurring ones, then let every remaining timer fire.
  for (const entry of [...live.values()]) {
    if (entry.interval > 0) {
      assert.equal(wheel.cancel(entry.handle), true);
      live.delete(entry.id);
    }
  }
  precise = true;
  while (live.size > 0 && clock.runNext()) {
    // Recurring timers may have been created from callbacks during the flush; stop them too.
    for (const entry of [...live.values()]) {
      if (entry.interval > 0) {
        wheel.cancel(entry.handle);
        live.delete(entry.id);
      }
    }
  }
  assert.equal(live.size, 0, `seed ${seed}: ${live.size} timers never fired`);
  assert.equal(wheel.pending, 0);
  assert.equal(clock.armed, false);
  return { fired, early };
}

test('randomized schedules: never early, exactly-once, ordered by (tick, scheduling order)', () => {
  let total = 0;
  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
    const { fired, early } = run(seed, 3000);
    assert.equal(early, 0, `seed ${seed}`);
    total += fired;
  }
  assert.ok(total > 15_000, `only ${total} firings`);
});
