import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConsistentHashingBalancer } from '../../../workers/balancer/consistent-hashing.ts';
import { PickState, type Peer } from '../../../workers/balancer/peer.ts';
import { createUpstreamMemory, targetKey, UpstreamMemory } from '../../../runtime/protocol/upstream-memory.ts';
import type { Target } from '../../../config/types.ts';
import { mulberry32 } from '../../helpers/prng.ts';
import { context, target, targets, upstream } from './fixtures.ts';

const CH = upstream({ algorithm: 'consistent-hashing', hash_on: 'header', hash_on_header: 'x-user' });

function owners(balancer: ConsistentHashingBalancer, keys: readonly string[]): string[] {
  return keys.map((key) => balancer.pick(context({ headers: { 'x-user': key } }), new PickState())!.target);
}

function randomKeys(seed: number, count: number): string[] {
  const rand = mulberry32(seed);
  return Array.from({ length: count }, () => `user-${Math.floor(rand() * 1e12).toString(36)}`);
}

test('the same value always goes to the same target, on every balancer built from the same targets', () => {
  const a = new ConsistentHashingBalancer(CH, targets(5), 'f');
  const b = new ConsistentHashingBalancer(CH, [...targets(5)].reverse(), 'f');
  const keys = randomKeys(1, 500);
  assert.deepEqual(owners(a, keys), owners(b, keys));
  assert.deepEqual(owners(a, keys), owners(a, keys));
});

test('keys spread over the targets in proportion to weight', () => {
  const balancer = new ConsistentHashingBalancer(CH, [target('10.0.0.1:80', 'u-1', 300), target('10.0.0.2:80', 'u-1', 100)], 'f');
  const counts = new Map<string, number>();
  for (const owner of owners(balancer, randomKeys(2, 20_000))) counts.set(owner, (counts.get(owner) ?? 0) + 1);
  const heavy = counts.get('10.0.0.1:80')! / 20_000;
  assert.ok(heavy > 0.65 && heavy < 0.85, `the weight-300 target took ${heavy} of the keys (expected about 0.75)`);
});

// The property the ring exists for: changing one of N targets moves about 1/N of the keys, and a
// removal moves only the keys the removed target held.
test('property: removing or adding one of N targets moves about 1/N of the keys', () => {
  const rand = mulberry32(42);
  for (let round = 0; round < 25; round++) {
    const n = 3 + Math.floor(rand() * 14);
    const all = targets(n + 1);
    const base = all.slice(0, n);
    const keys = randomKeys(round + 100, 4000);
    const before = owners(new ConsistentHashingBalancer(CH, base, 'f'), keys);

    const removed = base[Math.floor(rand() * n)]!;
    const afterRemove = owners(new ConsistentHashingBalancer(CH, base.filter((t) => t !== removed), 'f'), keys);
    let moved = 0;
    for (let i = 0; i < keys.length; i++) {
      if (before[i] === afterRemove[i]) continue;
      moved++;
      assert.equal(before[i], removed.target, `round ${round}: a key of a kept target moved`);
    }
    assert.ok(moved / keys.length < 1.6 / n, `round ${round}: removing 1 of ${n} moved ${moved / keys.length}`);
    assert.ok(moved > 0, `round ${round}: the removed target held no key`);

    const added = all[n]!;
    const afterAdd = owners(new ConsistentHashingBalancer(CH, all, 'f'), keys);
    let gained = 0;
    for (let i = 0; i < keys.length; i++) {
      if (before[i] === afterAdd[i]) continue;
      gained++;
      assert.equal(afterAdd[i], added.target, `round ${round}: a key moved between two old targets`);
    }
    assert.ok(gained / keys.length < 1.6 / (n + 1), `round ${round}: adding 1 to ${n} moved ${gained / keys.length}`);
  }
});

test('weight 0 disables a target: it holds no point', () => {
  const list: Target[] = [target('10.0.0.1:80'), target('10.0.0.2:80', 'u-1', 0)];
  const balancer = new ConsistentHashingBalancer(CH, list, 'f');
  assert.equal(balancer.peers.length, 1);
  assert.ok(owners(balancer, randomKeys(3, 200)).every((o) => o === '10.0.0.1:80'));
});

test('an unhealthy target is skipped: its keys go to the next point, and come back when it recovers', () => {
  const memory = new UpstreamMemory(createUpstreamMemory(64));
  const list = targets(4);
  list.forEach((t, i) => memory.publish(targetKey(CH.id, t.target), i));
  const balancer = new ConsistentHashingBalancer(CH, list, 'f', memory);
  const keys = randomKeys(4, 2000);
  const before = owners(balancer, keys);
  const down = balancer.peers.find((p) => p.target === before[0])!;
  memory.resetSlot(down.slot, 1);
  const during = owners(balancer, keys);
  for (let i = 0; i < keys.length; i++) {
    if (before[i] === down.target) assert.notEqual(during[i], down.target);
    else assert.equal(during[i], before[i], 'keys of healthy targets stay');
  }
  memory.resetSlot(down.slot, 0);
  assert.deepEqual(owners(balancer, keys), before);
});

test('none healthy: no peer (the proxy answers 503)', () => {
  const memory = new UpstreamMemory(createUpstreamMemory(8));
  const list = targets(2);
  list.forEach((t, i) => {
    memory.publish(targetKey(CH.id, t.target), i);
    memory.resetSlot(i, 1);
  });
  const balancer = new ConsistentHashingBalancer(CH, list, 'f', memory);
  assert.equal(balancer.pick(context({ headers: { 'x-user': 'a' } }), new PickState()), null);
});

test('a retry goes to the next target on the ring, and keeps the hash of the first try', () => {
  const balancer = new ConsistentHashingBalancer(CH, targets(3), 'f');
  const state = new PickState();
  const ctx = context({ headers: { 'x-user': 'retry-me' } });
  const first = balancer.pick(ctx, state)!;
  state.tried = [first];
  const second = balancer.pick(ctx, state)!;
  assert.notEqual(second, first);
  state.tried.push(second);
  const third = balancer.pick(ctx, state)!;
  assert.equal(new Set<Peer>([first, second, third]).size, 3);
  // Every peer tried: the first healthy one on the ring again rather than nothing.
  state.tried.push(third);
  assert.equal(balancer.pick(ctx, state), first);
});

test('slots below 1000 use 1000 points, as Kong', () => {
  assert.equal(new ConsistentHashingBalancer(upstream({ ...CH, slots: 10 }), targets(2), 'f').points, 1000);
  assert.equal(new ConsistentHashingBalancer(upstream({ ...CH, slots: 20000 }), targets(2), 'f').points, 20000);
});
