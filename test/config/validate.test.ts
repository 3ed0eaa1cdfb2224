import assert from 'node:assert/strict';
import { test } from 'node:test';
import { validateConfig } from '../../config/validate.ts';
import { pluginSchemas } from '../../config/plugins/index.ts';

test('errors from every stage come back together, one per mistake', () => {
  const r = validateConfig(
    {
      _format_version: '3.0',
      services: [
        { name: 'a', host: 'a.internal', retries: -1 }, // schema
        { name: 'a', host: 'b.internal' }, // uniqueness
      ],
      routes: [
        { name: 'r', service: 'ghost', paths: ['nope'] }, // reference + path
      ],
      plugins: [
        { name: 'rate-limiting', config: { minute: 'many' } }, // plugin config
        { name: 'unknown-thing' }, // unknown plugin
      ],
    },
    pluginSchemas,
  );
  assert.ok(!r.ok);
  assert.deepEqual(
    r.errors.map((e) => [e.entity_type, e.entity, e.field]).sort(),
    [
      ['plugin', 'rate-limiting', 'config.minute'],
      ['plugin', 'unknown-thing', 'name'],
      ['route', 'r', 'paths.0'],
      ['route', 'r', 'service'],
      ['service', 'a', 'name'],
      ['service', 'a', 'retries'],
    ].sort(),
  );
});

test('an entity without a name is named by its id, else by its position in the file', () => {
  const r = validateConfig(
    {
      _format_version: '3.0',
      services: [{ host: 'a.internal', routes: [{ paths: ['x'] }, { id: '6b1f1d4e-3c2a-4b5d-8e7f-9a0b1c2d3e4f', paths: ['y'] }] }],
    },
    pluginSchemas,
  );
  assert.ok(!r.ok);
  assert.deepEqual(
    r.errors.map((e) => e.entity),
    ['services.0.routes.0', '6b1f1d4e-3c2a-4b5d-8e7f-9a0b1c2d3e4f'],
  );
});

test('secrets are never echoed in errors', () => {
  const r = validateConfig(
    {
      _format_version: '3.0',
      consumers: [{ username: 'a', keyauth_credentials: [{ key: 'TOPSECRET' }, { key: 'TOPSECRET' }] }],
    },
    pluginSchemas,
  );
  assert.ok(!r.ok);
  assert.equal(JSON.stringify(r.errors).includes('TOPSECRET'), false);
});

test('an explicit null takes the default where null is not allowed; an empty string is never defaulted', () => {
  const ok = validateConfig(
    {
      _format_version: '3.0',
      upstreams: [{ name: 'u.internal', healthchecks: null, slots: null }],
      plugins: [{ name: 'prometheus', config: null, enabled: null }],
    },
    pluginSchemas,
  );
  assert.ok(ok.ok);
  const up = Object.values(ok.entities.upstreams)[0];
  assert.equal(up?.slots, 10000);
  assert.equal((up?.healthchecks as { threshold: number }).threshold, 0);
  const plugin = Object.values(ok.entities.plugins)[0];
  assert.equal(plugin?.enabled, true);
  assert.equal(plugin?.config['per_consumer'], false);

  const bad = validateConfig({ _format_version: '3.0', services: [{ name: '', host: 'a.internal' }] }, pluginSchemas);
  assert.ok(!bad.ok);
  assert.deepEqual(bad.errors.map((e) => e.field), ['name']);
});
