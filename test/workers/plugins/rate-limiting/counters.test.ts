// The shared counter table (runtime/protocol/counters.ts): counting, windows ending, a full table,
// and exact counts when two real worker threads hit the same memory at once.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { describe, test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { createCounterMemory, SharedCounters, windowToken } from '../../../../runtime/protocol/counters.ts';
import { snapshotOf } from '../helpers.ts';
import type { FillResult, HammerJob } from './hammer-worker.ts';

const WORKER = new URL('./hammer-worker.ts', import.meta.url);

async function hammer<T = number>(jobs: Omit<HammerJob, 'barrier'>[]): Promise<T[]> {
  const barrier = new SharedArrayBuffer(8);
  const workers = jobs.map((job) => new Worker(WORKER, { workerData: { ...job, barrier } }));
  return Promise.all(
    workers.map(async (worker) => {
      const [result] = (await once(worker, 'message')) as [T];
      await worker.terminate();
      return result;
    }),
  );
}

describe('SharedCounters', () => {
  test('counts per key and window; a new window starts from zero in the same slot', () => {
    const counters = new SharedCounters(createCounterMemory(64));
    const token = windowToken(Date.UTC(2030, 0, 1, 12, 0, 0));
    assert.equal(counters.increment(1, token, 1, 2), 1);
    assert.equal(counters.increment(1, token, 1, 2), 2);
    assert.equal(counters.increment(1, token, 1, 3), 1, 'another key');
    assert.equal(counters.increment(1, token, 2, 2), 1, 'same home slot, other high half');
    assert.equal(counters.increment(2, token, 1, 2), 1, 'another period');
    assert.equal(counters.peek(1, token, 1, 2), 2);
    const slot = counters.lastSlot;
    counters.decrement(slot, token);
    assert.equal(counters.peek(2, token, 1, 2), 0);
    assert.equal(counters.increment(1, token + 60, 1, 2), 1, 'the next window');
    assert.equal(counters.peek(1, token, 1, 2), 0, 'the old window is gone');
  });

  test('a full table refuses (-1) and counts the refusal; the next window has room again', () => {
    const counters = new SharedCounters(createCounterMemory(16));
    assert.equal(counters.slotsPerPeriod, 16);
    const token = 100;
    for (let key = 0; key < 16; key++) assert.equal(counters.increment(0, token, key, key), 1);
    assert.equal(counters.increment(0, token, 99, 99), -1);
    assert.equal(counters.refused, 1);
    assert.equal(counters.increment(0, token, 3, 3), 2, 'existing keys still count');
    assert.equal(counters.increment(0, token + 1, 99, 99), 1);
  });

  test('the default table holds 1M live keys per period', () => {
    assert.equal(new SharedCounters(createCounterMemory()).slotsPerPeriod, 1 << 20);
    assert.equal(new SharedCounters(createCounterMemory(1000)).slotsPerPeriod, 1024, 'rounded up to a power of two');
    assert.throws(() => createCounterMemory(2 ** 23), RangeError);
  });

  test('a full table is warned about once a second, whoever asks', () => {
    const memory = createCounterMemory(16);
    const a = new SharedCounters(memory);
    const b = new SharedCounters(memory);
    const t0 = Date.UTC(2030, 0, 1, 0, 0, 0);
    assert.equal(a.claimWarning(t0), true);
    assert.equal(b.claimWarning(t0 + 999), false, 'same second, another worker');
    assert.equal(a.claimWarning(t0 + 500), false);
    assert.equal(b.claimWarning(t0 + 1000), true, 'next second');
    assert.equal(a.claimWarning(t0 + 1000), false);
    assert.equal(a.claimWarning(t0 - 5000), false, 'a late caller does not warn again');
  });

  test('a key of an ended window frees its slot for any key of a later window', () => {
    const counters = new SharedCounters(createCounterMemory(16));
    for (let key = 0; key < 16; key++) assert.equal(counters.increment(0, 500, key, key), 1);
    assert.equal(counters.increment(0, 500, 77, 77), -1, 'full in its window');
    for (let key = 100; key < 116; key++) assert.equal(counters.increment(0, 501, key, key), 1, 'every slot reclaimed in the next');
    assert.equal(counters.peek(0, 500, 3, 3), 0);
  });

  test('100k distinct keys live in one `second` window, then a new key is limited exactly across two worker threads', async () => {
    const counters = createCounterMemory();
    const limit = 1_000;
    const results = await hammer<FillResult>([
      { mode: 'fill-then-limit', counters, iterations: 5_000, fill: { from: 0, to: 50_000, limit } },
      { mode: 'fill-then-limit', counters, iterations: 5_000, fill: { from: 50_000, to: 100_000, limit } },
    ]);
    assert.deepEqual(results.map((r) => r.noSlot), [0, 0], 'every key found a slot');
    assert.equal(results[0]!.admitted + results[1]!.admitted, limit);
    const view = new SharedCounters(counters);
    assert.equal(view.refused, 0);
    assert.equal(view.peek(0, 2_000_000, 0x7fff_0001, -7), limit, 'refused hits were taken back');
    for (const key of [0, 49_999, 50_000, 99_999]) assert.equal(view.peek(0, 2_000_000, Math.imul(key, 0x9e3779b1), key), 1, `key ${key} still counted`);
  });

  test('a buffer not made by createCounterMemory is refused', () => {
    assert.throws(() => new SharedCounters(new SharedArrayBuffer(64)), TypeError);
  });

  test('two worker threads incrementing one key concurrently: no hit lost', async () => {
    const counters = createCounterMemory(1024);
    const n = 50_000;
    const results = await hammer([
      { mode: 'increment', counters, iterations: n },
      { mode: 'increment', counters, iterations: n },
    ]);
    assert.deepEqual(results, [n, n]);
    assert.equal(new SharedCounters(counters).peek(1, 1_000_000, 42, 42), 2 * n);
  });

  test('two worker threads inserting the same new keys concurrently: each key gets one slot', async () => {
    const counters = createCounterMemory(8192);
    const n = 4000;
    await hammer([
      { mode: 'keys', counters, iterations: n },
      { mode: 'keys', counters, iterations: n },
    ]);
    const view = new SharedCounters(counters);
    for (let i = 0; i < n; i++) assert.equal(view.peek(1, 1_000_000, i * 7919, i), 2, `key ${i}`);
  });

  test('the rate-limiting plugin on two worker threads admits exactly `limit` requests', async (t) => {
    const snapshot = snapshotOf({ plugins: [{ name: 'rate-limiting', config: { day: 7_777, limit_by: 'ip' } }] });
    const plugin = Object.values(snapshot.entities.plugins)[0]!;
    const counters = createCounterMemory(1024);
    const results = await hammer([
      { mode: 'plugin', counters, iterations: 10_000, plugin },
      { mode: 'plugin', counters, iterations: 10_000, plugin },
    ]);
    assert.equal(results[0]! + results[1]!, 7_777);
    t.diagnostic(`admitted per worker: ${results.join(' + ')}`);
  });
});
