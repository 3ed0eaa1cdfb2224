import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TargetSlots } from '../../runtime/health/slots.ts';
import { createUpstreamMemory, HEALTHY, targetKey, UNHEALTHY, UpstreamMemory } from '../../runtime/protocol/upstream-memory.ts';
import { snapshot, target, upstream } from '../workers/balancer/fixtures.ts';

test('failures of one kind trip the target after their threshold; a success in between restarts the count', () => {
  const memory = new UpstreamMemory(createUpstreamMemory(4));
  assert.equal(memory.failure(0, 'tcp', 3), false);
  assert.equal(memory.failure(0, 'tcp', 3), false);
  memory.success(0, 2);
  assert.equal(memory.counter(0, 'tcp'), 0);
  assert.equal(memory.failure(0, 'tcp', 3), false);
  assert.equal(memory.failure(0, 'timeout', 3), false, 'another kind counts apart');
  assert.equal(memory.failure(0, 'tcp', 3), false);
  assert.equal(memory.failure(0, 'tcp', 3), true);
  assert.equal(memory.healthy(0), false);
  assert.equal(memory.flips(0), 1);
});

test('an unhealthy target turns healthy after `successes` in a row; threshold 0 never flips', () => {
  const memory = new UpstreamMemory(createUpstreamMemory(4));
  memory.resetSlot(1, UNHEALTHY);
  assert.equal(memory.success(1, 0), false);
  assert.equal(memory.success(1, 2), false);
  memory.failure(1, 'http', 5);
  assert.equal(memory.success(1, 2), false, 'the failure restarted the successes');
  assert.equal(memory.success(1, 2), true);
  assert.equal(memory.healthy(1), true);
  assert.equal(memory.failure(2, 'http', 0), false, 'threshold 0: that kind never trips');
  assert.equal(memory.healthy(2), true);
});

test('in-flight counts never go below zero', () => {
  const memory = new UpstreamMemory(createUpstreamMemory(4));
  memory.acquire(3);
  memory.release(3);
  memory.release(3);
  assert.equal(memory.inFlight(3), 0);
});

test('slots: a kept target keeps its slot and health across reconfigures; a removed one is unpublished and its slot reused after quarantine', () => {
  let now = 1_000_000;
  const memory = new UpstreamMemory(createUpstreamMemory(2));
  const slots = new TargetSlots(memory, () => now);
  const u = upstream();
  const a = target('10.0.0.1:80');
  const b = target('10.0.0.2:80');
  slots.sync(snapshot(1, [u], [a, b]));
  const slotA = memory.find(targetKey(u.id, a.target));
  const slotB = memory.find(targetKey(u.id, b.target));
  assert.notEqual(slotA, -1);
  assert.notEqual(slotB, -1);
  memory.resetSlot(slotA, UNHEALTHY);

  slots.sync(snapshot(2, [u], [a]));
  assert.equal(memory.find(targetKey(u.id, a.target)), slotA);
  assert.equal(memory.healthy(slotA), false, 'health of an untouched target survives');
  assert.equal(memory.find(targetKey(u.id, b.target)), -1);
  memory.resetSlot(slotB, UNHEALTHY);

  // Capacity 2, b's slot in quarantine: a third target takes it early rather than go unshared.
  const c = target('10.0.0.3:80');
  now += 1000;
  slots.sync(snapshot(3, [u], [a, c]));
  assert.equal(memory.find(targetKey(u.id, c.target)), slotB);
  assert.equal(memory.healthy(slotB), true, 'a reused slot starts healthy');
  assert.equal(memory.refused, 0);

  const d = target('10.0.0.4:80');
  slots.sync(snapshot(4, [u], [a, c, d]));
  assert.equal(memory.find(targetKey(u.id, d.target)), -1, 'full: refused and counted');
  assert.equal(memory.refused, 1);
  assert.equal(HEALTHY, 0);
});
