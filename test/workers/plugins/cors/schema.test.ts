// cors' schema: Kong's defaults, and refusals with their field paths.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pluginConfig, refusals } from '../schema-helpers.ts';

test('cors defaults are Kong 3.x defaults', () => {
  assert.deepEqual(pluginConfig('cors'), {
    origins: null,
    headers: null,
    exposed_headers: null,
    methods: ['GET', 'HEAD', 'PUT', 'PATCH', 'POST', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT'],
    max_age: null,
    credentials: false,
    private_network: false,
    preflight_continue: false,
    allow_origin_absent: true,
  });
});

test('cors refuses bad origins, methods and types, and a consumer scope', () => {
  const errors = refusals('cors', String.raw`{origins: ["*", "a(b", "http://ok.example", "x\\Ay"], methods: [GET, FOO], max_age: "1", credentials: 1}`);
  assert.deepEqual(
    errors.map(([field]) => field),
    ['config.credentials', 'config.max_age', 'config.methods.1', 'config.origins.1', 'config.origins.3'],
  );
  assert.match(errors.find(([f]) => f === 'config.origins.1')![1], /'a\(b' is not a valid regex/);
  assert.match(errors.find(([f]) => f === 'config.origins.3')![1], /PCRE-only/);
  assert.deepEqual(refusals('cors', '{}', 'consumer: c'), [['consumer', "value must be null: plugin 'cors' cannot be scoped to a consumer"]]);
  assert.deepEqual(refusals('cors', '{unknown: 1}'), [['config.unknown', 'unknown field']]);
});
