import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PickState } from '../../../workers/balancer/peer.ts';
import { RoundRobinBalancer } from '../../../workers/balancer/round-robin.ts';
import { createUpstreamMemory, targetKey, UpstreamMemory } from '../../../runtime/protocol/upstream-memory.ts';
import { target, targets, upstream } from './fixtures.ts';

test('smooth weighted round robin interleaves a 3:1 split; weight 0 is never picked', () => {
  const list = [target('a:1', 'u-1', 300), target('b:1', 'u-1', 100), target('c:1', 'u-1', 0)];
  const balancer = new RoundRobinBalancer(upstream(), list, 'f');
  const seq = Array.from({ length: 8 }, () => balancer.pick(null, new PickState())!.host).join('');
  assert.equal(seq, 'aabaaaba');
});

test('an unhealthy target is skipped; none healthy gives null', () => {
  const list = targets(3);
  const memory = new UpstreamMemory(createUpstreamMemory(8));
  list.forEach((t, i) => memory.publish(targetKey('u-1', t.target), i));
  const balancer = new RoundRobinBalancer(upstream(), list, 'f', memory);
  const down = balancer.peers[1]!;
  memory.resetSlot(down.slot, 1);
  for (let i = 0; i < 30; i++) assert.notEqual(balancer.pick(null, new PickState()), down);
  for (const peer of balancer.peers) memory.resetSlot(peer.slot, 1);
  assert.equal(balancer.pick(null, new PickState()), null);
});

test('a retry goes to a target not yet tried', () => {
  const balancer = new RoundRobinBalancer(upstream(), targets(3), 'f');
  const state = new PickState();
  const first = balancer.pick(null, state)!;
  state.tried = [first];
  const second = balancer.pick(null, state)!;
  state.tried.push(second);
  const third = balancer.pick(null, state)!;
  assert.equal(new Set([first, second, third]).size, 3);
});

test('healthchecks.threshold: below that percentage of healthy weight the whole upstream gives no peer', () => {
  const list = targets(4);
  const memory = new UpstreamMemory(createUpstreamMemory(8));
  list.forEach((t, i) => memory.publish(targetKey('u-1', t.target), i));
  const balancer = new RoundRobinBalancer(upstream({ healthchecks: { threshold: 60 } }), list, 'f', memory);
  memory.resetSlot(balancer.peers[0]!.slot, 1);
  assert.notEqual(balancer.pick(null, new PickState()), null, '75% healthy >= 60%');
  memory.resetSlot(balancer.peers[1]!.slot, 1);
  assert.equal(balancer.pick(null, new PickState()), null, '50% healthy < 60%');
  memory.resetSlot(balancer.peers[1]!.slot, 0);
  assert.notEqual(balancer.pick(null, new PickState()), null);
});
