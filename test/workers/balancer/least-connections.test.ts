import assert from 'node:assert/strict';
import { once } from 'node:events';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { LeastConnectionsBalancer } from '../../../workers/balancer/least-connections.ts';
import { PickState, type Peer } from '../../../workers/balancer/peer.ts';
import { createUpstreamMemory, targetKey, UpstreamMemory } from '../../../runtime/protocol/upstream-memory.ts';
import { target, targets, upstream } from './fixtures.ts';

const LC = upstream({ algorithm: 'least-connections' });

function published(list: ReturnType<typeof targets>): UpstreamMemory {
  const memory = new UpstreamMemory(createUpstreamMemory(64));
  list.forEach((t, i) => memory.publish(targetKey(LC.id, t.target), i));
  return memory;
}

test('picks the target with the fewest requests in flight, and a finished request frees its place', () => {
  const list = targets(3);
  const balancer = new LeastConnectionsBalancer(LC, list, 'f', published(list));
  const held: Peer[] = [];
  for (let i = 0; i < 6; i++) held.push(balancer.pick(null, new PickState())!);
  for (const peer of balancer.peers) assert.equal(peer.memory.inFlight(peer.slot), 2);
  balancer.done(held[0]!);
  assert.equal(balancer.pick(null, new PickState()), held[0], 'the one with a free place');
});

test('weights: (in flight + 1) / weight, so a weight-300 target carries three times the load', () => {
  const list = [target('10.0.0.1:80', 'u-1', 300), target('10.0.0.2:80', 'u-1', 100)];
  const balancer = new LeastConnectionsBalancer(LC, list, 'f', published(list));
  for (let i = 0; i < 40; i++) balancer.pick(null, new PickState());
  const heavy = balancer.peers.find((p) => p.target === '10.0.0.1:80')!;
  assert.equal(heavy.memory.inFlight(heavy.slot), 30);
});

test('two balancers sharing the memory (two workers) see each other\'s load', () => {
  const list = targets(2);
  const memory = published(list);
  const a = new LeastConnectionsBalancer(LC, list, 'f', memory);
  const b = new LeastConnectionsBalancer(LC, list, 'f', memory);
  const first = a.pick(null, new PickState())!;
  const second = b.pick(null, new PickState())!;
  assert.notEqual(first.target, second.target, 'worker b avoids the target worker a loaded');
});

test('the counts are shared across real worker threads: a thread holding 50 requests on one target steers this thread away', async (t) => {
  const list = targets(2);
  const buffer = createUpstreamMemory(64);
  const memory = new UpstreamMemory(buffer);
  list.forEach((x, i) => memory.publish(targetKey(LC.id, x.target), i));
  const worker = new Worker(new URL('./lc-worker.ts', import.meta.url), { workerData: { buffer, upstream: LC, targets: list } });
  t.after(() => worker.terminate());
  const [loaded] = (await once(worker, 'message')) as [string];
  const balancer = new LeastConnectionsBalancer(LC, list, 'f', memory);
  for (let i = 0; i < 20; i++) assert.notEqual(balancer.pick(null, new PickState())!.target, loaded);
  worker.postMessage('release');
  await once(worker, 'message');
  const after = new Set<string>();
  for (let i = 0; i < 4; i++) after.add(balancer.pick(null, new PickState())!.target);
  assert.ok(after.has(loaded), 'once released the target is picked again');
});

test('a retry avoids the target already tried while another is healthy', () => {
  const list = targets(2);
  const balancer = new LeastConnectionsBalancer(LC, list, 'f', published(list));
  const state = new PickState();
  const first = balancer.pick(null, state)!;
  balancer.done(first);
  state.tried = [first];
  assert.notEqual(balancer.pick(null, state), first);
});
