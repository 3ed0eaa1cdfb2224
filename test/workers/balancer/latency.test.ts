import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LatencyBalancer } from '../../../workers/balancer/latency.ts';
import { PickState } from '../../../workers/balancer/peer.ts';
import { targets, upstream } from './fixtures.ts';

const LATENCY = upstream({ algorithm: 'latency' });

test('a slow target gets a small share once its round trips are known', () => {
  let now = 0;
  const balancer = new LatencyBalancer(LATENCY, targets(3), 'f', null, null, () => now);
  const slow = balancer.peers[0]!;
  const counts = new Map<string, number>();
  for (let i = 0; i < 3000; i++) {
    now += 1;
    const peer = balancer.pick(null, new PickState())!;
    counts.set(peer.target, (counts.get(peer.target) ?? 0) + 1);
    balancer.done(peer, peer === slow ? 200 : 5);
  }
  const share = (counts.get(slow.target) ?? 0) / 3000;
  assert.ok(share < 0.1, `the slow target took ${share} of the picks`);
});

test('peak-sensitive: one slow answer takes effect at once; recovery is gradual', () => {
  let now = 0;
  const balancer = new LatencyBalancer(LATENCY, targets(2), 'f', null, null, () => now);
  const peer = balancer.peers[0]!;
  balancer.pick(null, new PickState());
  balancer.done(peer, 10);
  now += 100;
  balancer.done(peer, 500);
  assert.equal(balancer.ewma[0], 500, 'a higher round trip replaces the average');
  now += 1000;
  balancer.done(peer, 10);
  assert.ok(balancer.ewma[0]! > 400 && balancer.ewma[0]! < 500, `decays towards 10 over 10 s: ${balancer.ewma[0]}`);
});

test('power of two choices: with two targets, the cheaper one wins every pick', () => {
  let now = 0;
  const balancer = new LatencyBalancer(LATENCY, targets(2), 'f', null, null, () => now);
  balancer.done(balancer.peers[0]!, 50);
  balancer.done(balancer.peers[1]!, 5);
  for (let i = 0; i < 50; i++) {
    now += 1;
    const peer = balancer.pick(null, new PickState())!;
    assert.equal(peer, balancer.peers[1]);
    balancer.done(peer, 5);
  }
});
