import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deriveId, isUuid } from '../../config/ids.ts';
import { byName, fixture, load } from './helpers.ts';

test('deriveId is deterministic, a UUID v5, and separates types and key parts', () => {
  const a = deriveId('service', ['name', 'orders']);
  assert.equal(a, deriveId('service', ['name', 'orders']));
  assert.ok(isUuid(a));
  assert.equal(a[14], '5');
  assert.notEqual(a, deriveId('upstream', ['name', 'orders']));
  assert.notEqual(deriveId('target', ['a:b', 'c']), deriveId('target', ['a', 'b:c']));
});

test('the same file always yields the same ids', () => {
  const text = fixture('nested.yaml');
  const a = load(text);
  const b = load(text);
  for (const g of Object.keys(a.entities) as (keyof typeof a.entities)[]) {
    assert.deepEqual(Object.keys(a.entities[g]).sort(), Object.keys(b.entities[g]).sort());
  }
});

test('natural keys: a named service id derives from its name; explicit ids are kept, lower-cased', () => {
  const r = load(`
_format_version: "3.0"
services:
  - name: orders
    url: http://orders.internal
  - id: 0855B320-0DD2-547D-891D-601E9B38647F
    name: explicit
    url: http://explicit.internal
routes:
  - name: r
    service: 0855B320-0DD2-547D-891D-601E9B38647F
    paths: [/r]
`);
  assert.equal(byName(r.entities.services, 'orders').id, deriveId('service', ['name', 'orders']));
  assert.ok(r.entities.services['0855b320-0dd2-547d-891d-601e9b38647f']);
  assert.deepEqual(byName(r.entities.routes, 'r').service, { id: '0855b320-0dd2-547d-891d-601e9b38647f' });
});

test('target ids depend on the upstream and the normalised target', () => {
  const r = load(`
_format_version: "3.0"
upstreams:
  - name: a.internal
    targets: [{ target: 10.0.0.1 }]
  - name: b.internal
    targets: [{ target: "10.0.0.1:8000" }]
`);
  const targets = Object.values(r.entities.targets);
  assert.equal(targets.length, 2);
  assert.deepEqual(targets.map((t) => t.target), ['10.0.0.1:8000', '10.0.0.1:8000']);
  assert.notEqual(targets[0]?.id, targets[1]?.id);
  const a = byName(r.entities.upstreams, 'a.internal');
  assert.equal(targets[0]?.id, deriveId('target', [a.id, '10.0.0.1:8000']));
});

test('plugin ids depend on the plugin name and its scope', () => {
  const r = load(`
_format_version: "3.0"
services:
  - name: s
    url: http://s.internal
    plugins: [{ name: prometheus }]
plugins:
  - name: prometheus
`);
  const s = byName(r.entities.services, 's');
  const ids = Object.keys(r.entities.plugins).sort();
  assert.deepEqual(ids, [deriveId('plugin', ['prometheus', '', s.id, '']), deriveId('plugin', ['prometheus', '', '', ''])].sort());
});

test('unnamed routes get the same ids nested and flat, keyed by service and rank', () => {
  const nested = load(`
_format_version: "3.0"
services:
  - name: s
    url: http://s.internal
    routes: [{ paths: [/a] }, { paths: [/b] }]
`);
  const flat = load(`
_format_version: "3.0"
services: [{ name: s, url: "http://s.internal" }]
routes:
  - { service: s, paths: [/a] }
  - { service: s, paths: [/b] }
`);
  assert.deepEqual(nested.entities.routes, flat.entities.routes);
  assert.equal(nested.hash, flat.hash);
  const s = byName(nested.entities.services, 's');
  assert.ok(nested.entities.routes[deriveId('route', [s.id, '#', 0])]);
  assert.ok(nested.entities.routes[deriveId('route', [s.id, '#', 1])]);
});

test('consumer ids come from username, else custom_id, without collisions between the two', () => {
  const r = load(`
_format_version: "3.0"
consumers:
  - username: x
  - custom_id: x
`);
  assert.deepEqual(Object.keys(r.entities.consumers).sort(), [deriveId('consumer', ['username', 'x']), deriveId('consumer', ['custom_id', 'x'])].sort());
});
