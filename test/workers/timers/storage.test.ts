// Storage of the per-worker timer wheel (records.ts): growth in place and by copying, the refs
// chunks, free-number reuse across chunks, and growth while a batch is being fired.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TimerWheel } from '../../../workers/timers/index.ts';
import { GEN_MAX, POS, REFS_BITS, REFS_CHUNK, REFS_MASK, SEQ, STATE, TAG } from '../../../workers/timers/layout.ts';
import { TimerRecords } from '../../../workers/timers/records.ts';
import { ManualClock } from './manual-clock.ts';

for (const inPlace of [true, false]) {
  const mode = inPlace ? 'in place' : 'by copying';

  test(`records keep their contents and numbers while the tables grow ${mode}`, () => {
    const records = new TimerRecords(16, inPlace);
    const first = records.capacity;
    const n = 3 * REFS_CHUNK + 5; // several growths, across refs chunk boundaries
    for (let k = 0; k < n; k++) {
      const i = records.alloc();
      assert.equal(i, k);
      records.i32[(i << 3) + STATE] = k;
      records.f64[(i << 2) + SEQ] = k + 0.5;
      records.refs[i >>> REFS_BITS]![2 * (i & REFS_MASK)] = `cb${k}`;
    }
    assert.ok(records.capacity >= n && records.capacity > first);
    assert.equal(records.refs.length, 4);
    for (let k = 0; k < n; k++) {
      assert.equal(records.i32[(k << 3) + STATE], k);
      assert.equal(records.f64[(k << 2) + SEQ], k + 0.5);
      assert.equal(records.i32[(k << 3) + TAG], 1 << 16);
      assert.equal(records.refs[k >>> REFS_BITS]![2 * (k & REFS_MASK)], `cb${k}`);
    }
  });

  test(`freed numbers are reused first-in first-out across refs chunks (${mode})`, () => {
    const records = new TimerRecords(16, inPlace);
    for (let k = 0; k < REFS_CHUNK + 10; k++) records.alloc();
    const freed = [REFS_CHUNK + 3, 2, REFS_CHUNK - 1, REFS_CHUNK];
    for (const i of freed) {
      records.refs[i >>> REFS_BITS]![2 * (i & REFS_MASK)] = 'callback';
      records.release(i);
      assert.equal(records.refs[i >>> REFS_BITS]![2 * (i & REFS_MASK)], undefined);
      assert.equal(records.i32[(i << 3) + TAG], 2 << 16); // generation 2 once freed
    }
    for (const i of freed) assert.equal(records.alloc(), i);
    assert.equal(records.alloc(), REFS_CHUNK + 10); // then fresh numbers again
  });
}

test('growing in place leaves the old views empty, so none may be kept across alloc()', (t) => {
  const records = new TimerRecords(16);
  const old = records.i32;
  while (records.highWater < records.capacity) records.alloc();
  records.alloc();
  if (old.length !== 0) {
    t.skip('no WebAssembly.Memory here: the copying fallback keeps old views readable');
    return;
  }
  assert.notEqual(records.i32.length, 0);
});

test('the generation wraps from GEN_MAX to 1, never to 0', () => {
  const records = new TimerRecords(16);
  const i = records.alloc();
  records.i32[(i << 3) + TAG] = (GEN_MAX << 16) | 5;
  records.release(i);
  assert.equal(records.i32[(i << 3) + TAG], 1 << 16);
  assert.equal(records.i32[(i << 3) + POS], -1);
});

test('a callback that grows the tables mid-batch: the rest of the batch fires, with its arguments', () => {
  const clock = new ManualClock(0);
  const errors: unknown[] = [];
  const wheel = new TimerWheel({ clock, onError: (e) => void errors.push(e), initialCapacity: 16 });
  const fired: number[] = [];
  const record = (k: number): void => void fired.push(k);
  const handles: number[] = [];
  for (let k = 0; k < 4; k++) handles.push(wheel.schedule('t', 10, record, k));
  // Fifth in a batch of 13, all due in the same tick: it grows the tables (past several refs
  // chunks), then cancels one later timer of its batch and moves another.
  wheel.schedule('t', 10, () => {
    for (let k = 0; k < 3 * REFS_CHUNK; k++) wheel.schedule('filler', 50_000, record, -1);
    assert.equal(wheel.cancel(handles[6]!), true);
    assert.equal(wheel.reschedule(handles[7]!, 5), true);
  });
  for (let k = 4; k < 12; k++) handles.push(wheel.schedule('t', 10, record, k));
  clock.advance(10);
  assert.deepEqual(errors, []);
  assert.deepEqual(fired, [0, 1, 2, 3, 4, 5, 8, 9, 10, 11]);
  clock.advance(5);
  assert.deepEqual(fired.slice(10), [7]);
  assert.equal(wheel.pending, 3 * REFS_CHUNK);
});

test('handles across refs chunks: arguments, cancels and stale handles stay right', () => {
  const clock = new ManualClock(0);
  const wheel = new TimerWheel({ clock, onError: (e) => assert.fail(e as Error) });
  const n = 2 * REFS_CHUNK + 100;
  const got = new Int32Array(n).fill(-1);
  const handles: number[] = [];
  for (let k = 0; k < n; k++) handles.push(wheel.schedule('t', 1 + (k % 300), (arg: number) => void (got[arg] = arg), k));
  // Cancel around both chunk boundaries, then reuse those numbers for new timers.
  const cancelled = [REFS_CHUNK - 2, REFS_CHUNK - 1, REFS_CHUNK, 2 * REFS_CHUNK - 1, 2 * REFS_CHUNK];
  for (const k of cancelled) assert.equal(wheel.cancel(handles[k]!), true);
  const reused = cancelled.map((k) => wheel.schedule('t', 400, (arg: number) => void (got[arg] = arg + 1_000_000), k));
  for (const [j, k] of cancelled.entries()) {
    assert.equal(reused[j]! & 0x1fffff, handles[k]! & 0x1fffff); // same number, new generation
    assert.equal(wheel.cancel(handles[k]!), false);
  }
  clock.advance(400);
  for (let k = 0; k < n; k++) assert.equal(got[k], cancelled.includes(k) ? k + 1_000_000 : k);
  assert.equal(wheel.pending, 0);
});
