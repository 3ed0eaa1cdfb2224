// The proxy-cache store: LRU eviction bounded in bytes, expiry on the timer wheel, timers freed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AnswerStore, type CachedAnswer } from '../../../../workers/plugins/proxy-cache/store.ts';
import { TimerWheel } from '../../../../workers/timers/wheel.ts';

const answer = (bytes: number): CachedAnswer => ({ status: 200, headers: ['content-type', 'text/plain'], body: Buffer.alloc(bytes), timestamp: 0, ttl: 60 });

test('evicts the least recently used entries to stay within its bytes', (t) => {
  const wheel = new TimerWheel();
  t.after(() => wheel.close());
  const store = new AnswerStore(wheel, 10_000);
  for (const key of ['a', 'b', 'c']) assert.equal(store.set(key, answer(2000), 60), true);
  assert.ok(store.get('a'), 'a is now the most recent');
  assert.equal(store.set('d', answer(2000), 60), true);
  assert.equal(store.set('e', answer(2000), 60), true);
  assert.ok(store.bytes <= store.maxBytes);
  assert.equal(store.get('b'), undefined, 'b was the least recently used');
  assert.ok(store.get('a'));
  assert.ok(store.evictions >= 1);
  assert.equal(wheel.pending, store.size, 'one expiry timer per live entry: evicted ones were cancelled');
  assert.equal(store.set('huge', answer(3000), 60), false, 'an answer over a quarter of the store is not kept');
  store.clear();
  assert.equal(store.bytes, 0);
  assert.equal(wheel.pending, 0);
});

test('an entry goes when its storage TTL ends; replacing one keeps only the new timer', async (t) => {
  const wheel = new TimerWheel();
  t.after(() => wheel.close());
  const store = new AnswerStore(wheel, 1_000_000);
  store.set('k', answer(10), 0.05);
  store.set('k', answer(20), 0.05);
  assert.equal(wheel.pending, 1);
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.equal(store.get('k'), undefined);
  assert.equal(store.bytes, 0);
  assert.equal(store.expirations, 1);
});
