import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildBalancers, NO_BALANCERS } from '../../../workers/balancer/balancers.ts';
import { ConsistentHashingBalancer } from '../../../workers/balancer/consistent-hashing.ts';
import { LatencyBalancer } from '../../../workers/balancer/latency.ts';
import { LeastConnectionsBalancer } from '../../../workers/balancer/least-connections.ts';
import { RoundRobinBalancer } from '../../../workers/balancer/round-robin.ts';
import { snapshot, target, upstream } from './fixtures.ts';

const ALGORITHMS = ['round-robin', 'consistent-hashing', 'least-connections', 'latency'] as const;
const CLASSES = [RoundRobinBalancer, ConsistentHashingBalancer, LeastConnectionsBalancer, LatencyBalancer];

test('each upstream gets the balancer of its algorithm; changing one rebuilds that one only', () => {
  const ups = ALGORITHMS.map((algorithm, i) => upstream({ id: `u-${i}`, name: `u${i}.test`, algorithm }));
  const tgts = ups.flatMap((u) => [target('10.0.0.1:80', u.id), target('10.0.0.2:80', u.id)]);
  const rebuilt: string[] = [];
  const s1 = snapshot(1, ups, tgts);
  const first = buildBalancers(NO_BALANCERS, null, s1, false, (id) => rebuilt.push(id));
  assert.deepEqual(rebuilt.sort(), ['u-0', 'u-1', 'u-2', 'u-3']);
  ups.forEach((u, i) => assert.ok(first.byId.get(u.id) instanceof CLASSES[i]!, `${u.algorithm} balancer`));

  // One target of the least-connections upstream changes address.
  rebuilt.length = 0;
  const changed = tgts.filter((t) => !(t.upstream.id === 'u-2' && t.target === '10.0.0.2:80')).concat(target('10.0.0.9:80', 'u-2'));
  const second = buildBalancers(first, s1, snapshot(2, ups, changed), false, (id) => rebuilt.push(id));
  assert.deepEqual(rebuilt, ['u-2']);
  for (const id of ['u-0', 'u-1', 'u-3']) assert.equal(second.byId.get(id), first.byId.get(id), `${id} kept as is`);
  assert.deepEqual(second.byId.get('u-2')!.peers.map((p) => p.target).sort(), ['10.0.0.1:80', '10.0.0.9:80']);

  // The algorithm itself changes: that upstream's balancer is replaced by the new kind, alone.
  rebuilt.length = 0;
  const ups3 = ups.map((u) => (u.id === 'u-0' ? { ...u, algorithm: 'latency' as const } : u));
  const s2 = snapshot(2, ups, changed);
  const third = buildBalancers(second, s2, snapshot(3, ups3, changed), false, (id) => rebuilt.push(id));
  assert.deepEqual(rebuilt, ['u-0']);
  assert.ok(third.byId.get('u-0') instanceof LatencyBalancer);
  for (const id of ['u-1', 'u-2', 'u-3']) assert.equal(third.byId.get(id), second.byId.get(id));
});
