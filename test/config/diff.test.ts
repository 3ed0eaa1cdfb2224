import assert from 'node:assert/strict';
import { test } from 'node:test';
import { diff } from '../../config/diff.ts';
import { GROUPS } from '../../config/types.ts';
import { bigConfig, byName, fixture, snapshot } from './helpers.ts';

test('identical snapshots give an empty delta carrying the versions and group hashes', () => {
  const a = snapshot(fixture('nested.yaml'), 1);
  const b = snapshot(fixture('flat.yaml'), 2);
  const d = diff(a, b);
  assert.equal(d.version, 2);
  assert.equal(d.fromVersion, 1);
  assert.equal(d.hash, b.hash);
  assert.deepEqual(d.upserts, {});
  assert.deepEqual(d.removes, {});
  assert.deepEqual(d.upsertHashes, {});
  assert.deepEqual(d.groupHashes, b.groupHashes);
});

test('added, changed and removed entities, each in its group, with their hashes', () => {
  const a = snapshot(fixture('nested.yaml'), 1);
  const text = fixture('nested.yaml')
    .replace('regex_priority: 10', 'regex_priority: 20')
    .replace('  - name: prometheus\n    config: { per_consumer: true }\n', '')
    .replace('consumers:\n', 'consumers:\n  - username: carol\n');
  const b = snapshot(text, 2);
  const d = diff(a, b);

  const route = byName(b.entities.routes, 'orders-by-id');
  assert.deepEqual(d.upserts.routes, [route]);
  assert.deepEqual(d.upsertHashes.routes, { [route.id]: b.entityHashes.routes[route.id] });
  const carol = byName(b.entities.consumers, 'carol');
  assert.deepEqual(d.upserts.consumers, [carol]);
  const prometheus = byName(a.entities.plugins, 'prometheus');
  assert.deepEqual(d.removes.plugins, [prometheus.id]);
  assert.equal(d.upserts.plugins, undefined);
  assert.deepEqual(Object.keys(d.upserts).sort(), ['consumers', 'routes']);
  assert.deepEqual(Object.keys(d.removes), ['plugins']);
});

test('10,000 routes, one target changed: the delta is exactly that target, in milliseconds', (t) => {
  const prev = snapshot(bigConfig(10_000), 7);
  const next = snapshot(bigConfig(10_000, 55), 8);
  assert.equal(Object.keys(prev.entities.routes).length, 10_000);

  const t0 = performance.now();
  const d = diff(prev, next);
  const ms = performance.now() - t0;

  const target = Object.values(next.entities.targets).find((t) => t.target === '10.0.0.1:80');
  assert.ok(target);
  assert.equal(target.weight, 55);
  assert.deepEqual(d, {
    version: 8,
    fromVersion: 7,
    hash: next.hash,
    upserts: { targets: [target] },
    removes: {},
    groupHashes: next.groupHashes,
    upsertHashes: { targets: { [target.id]: next.entityHashes.targets[target.id] } },
  });
  for (const g of GROUPS) if (g !== 'targets') assert.equal(d.groupHashes[g], prev.groupHashes[g]);
  t.diagnostic(`diff of two 10,000-route snapshots: ${ms.toFixed(2)} ms`);
  assert.ok(ms < 20, `diff took ${ms.toFixed(2)} ms`);
});
