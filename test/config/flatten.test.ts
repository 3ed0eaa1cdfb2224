import assert from 'node:assert/strict';
import { test } from 'node:test';
import { byName, fixture, load } from './helpers.ts';

test('nested and flat spellings of one config give identical entities and hashes', () => {
  const nested = load(fixture('nested.yaml'));
  const flat = load(fixture('flat.yaml'));
  assert.deepEqual(flat.entities, nested.entities);
  assert.deepEqual(flat.entityHashes, nested.entityHashes);
  assert.deepEqual(flat.groupHashes, nested.groupHashes);
  assert.equal(flat.hash, nested.hash);
});

test('children land in their groups with the parent reference filled in', () => {
  const { entities } = load(fixture('nested.yaml'));
  const orders = byName(entities.services, 'orders');
  const list = byName(entities.routes, 'orders-list');
  assert.deepEqual(list.service, { id: orders.id });

  const up = byName(entities.upstreams, 'users-upstream');
  const targets = Object.values(entities.targets);
  assert.equal(targets.length, 2);
  for (const t of targets) assert.deepEqual(t.upstream, { id: up.id });

  const alice = byName(entities.consumers, 'alice');
  const creds = Object.values(entities.credentials);
  assert.deepEqual(creds.map((c) => c.kind).sort(), ['acls', 'basicauth_credentials', 'jwt_secrets', 'keyauth_credentials']);
  const key = creds.find((c) => c.kind === 'keyauth_credentials');
  assert.deepEqual(key?.consumer, { id: alice.id });
  assert.equal(key?.['key'], 'alice-key-123');

  const plugins = Object.values(entities.plugins);
  const routeLimit = plugins.find((p) => p.name === 'rate-limiting' && p.route !== null);
  assert.deepEqual(routeLimit?.route, { id: list.id });
  // A plugin nested in a route nested in a service is scoped to the route only, as in Kong.
  assert.equal(routeLimit?.service, null);
  const consumerLimit = plugins.find((p) => p.name === 'rate-limiting' && p.consumer !== null);
  assert.deepEqual(consumerLimit?.consumer, { id: alice.id });
  const global = plugins.filter((p) => p.route === null && p.service === null && p.consumer === null);
  assert.deepEqual(global.map((p) => p.name).sort(), ['correlation-id', 'prometheus']);
});

test('routes are numbered in canonical order: nested in services first, then top-level', () => {
  const { entities } = load(`
routes:
  - name: top
    service: s2
    paths: [/top]
_format_version: "3.0"
services:
  - name: s1
    url: http://s1.internal
    routes: [{ name: a, paths: [/a] }, { name: b, paths: [/b] }]
  - name: s2
    url: http://s2.internal
    routes: [{ name: c, paths: [/c] }]
`);
  const order = Object.values(entities.routes)
    .sort((x, y) => x.created_at - y.created_at)
    .map((r) => [r.name, r.created_at]);
  assert.deepEqual(order, [['a', 0], ['b', 1], ['c', 2], ['top', 3]]);
});

test('references by name, by id, by {id} and by {name} resolve to the same {id}', () => {
  const { entities } = load(`
_format_version: "3.0"
services:
  - id: 6b1f1d4e-3c2a-4b5d-8e7f-9a0b1c2d3e4f
    name: s
    url: http://s.internal
routes:
  - { name: r1, service: s, paths: [/1] }
  - { name: r2, service: 6b1f1d4e-3c2a-4b5d-8e7f-9a0b1c2d3e4f, paths: [/2] }
  - { name: r3, service: { id: 6b1f1d4e-3c2a-4b5d-8e7f-9a0b1c2d3e4f }, paths: [/3] }
  - { name: r4, service: { name: s }, paths: [/4] }
  - { name: r5, service: null, paths: [/5] }
`);
  const refs = ['r1', 'r2', 'r3', 'r4'].map((n) => byName(entities.routes, n).service);
  for (const ref of refs) assert.deepEqual(ref, { id: '6b1f1d4e-3c2a-4b5d-8e7f-9a0b1c2d3e4f' });
  assert.equal(byName(entities.routes, 'r5').service, null);
});
