// The shared counter table (runtime/protocol/counters.ts): counting, windows ending, a full table,
// and exact counts when two real worker threads hit the same memory at once.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { describe, test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { createCounterMemory, SharedCounters, windowToken } from '../../../../runtime/protocol/counters.ts';
import { snapshotOf } from '../helpers.ts';
import type { HammerJob } from './hammer-worker.ts';

const WORKER = new URL('./hammer-worker.ts', import.meta.url);

async function hammer(jobs: Omit<HammerJob, 'barrier'>[]): Promise<number[]> {
  const barrier = new SharedArrayBuffer(4);
  const workers = jobs.map((job) => new Worker(WORKER, { workerData: { ...job, barrier } }));
  return Promise.all(
    workers.map(async (worker) => {
      const [result] = (await once(worker, 'message')) as [number];
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
