// Kong 3.x's declarative formats and shorthands: 1.1/2.1 files migrated as Kong migrates them,
// `url` overriding the parts written beside it, values Kong generates, and plugin `protocols`.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { migratePath } from '../../config/migrate.ts';
import { prepareConfig } from '../../config/prepare.ts';
import { pluginSchemas } from '../../config/plugins/index.ts';
import type { KeyAuthCredential, JwtSecret } from '../../config/types.ts';
import { byName, load, prepare } from './helpers.ts';

test("pre-3.0 paths: regexes get Kong's `~` prefix, plain paths are normalized", () => {
  // Kong's is_not_regex: only [a-zA-Z0-9.-_~/%] means a plain path.
  assert.equal(migratePath('/users'), '/users');
  assert.equal(migratePath('/users/\\d+$'), '~/users/\\d+$');
  assert.equal(migratePath('/a(b|c)'), '~/a(b|c)');
  // Plain: unreserved escapes decoded, dot segments removed, slashes merged; reserved escapes kept, upper-cased.
  assert.equal(migratePath('/a/%7euser/./b//c/../d'), '/a/~user/b/d');
  assert.equal(migratePath('/a%2fb'), '/a%2Fb');
  // Regex: a decoded metacharacter stays literal; a reserved escape stays escaped.
  assert.equal(migratePath('/v1/(?<id>x)%2E%7C%2f'), '~/v1/(?<id>x)\\.\\|%2F');
});

test('a 2.1 file loads: routes at the top level and nested in services are migrated and reported', () => {
  const r = load(`
_format_version: "2.1"
services:
  - name: s
    host: example.com
    routes:
      - name: users
        paths: [/users/\\d+$, /plain]
routes:
  - name: top
    service: s
    paths: ["/files/.*"]
`);
  assert.deepEqual(byName(r.entities.routes, 'users').paths, ['~/users/\\d+$', '/plain']);
  assert.deepEqual(byName(r.entities.routes, 'top').paths, ['~/files/.*']);
  assert.deepEqual(r.migration, {
    from: '2.1',
    paths: [
      { route: 'top', field: 'paths.0', from: '/files/.*', to: '~/files/.*' },
      { route: 'users', field: 'paths.0', from: '/users/\\d+$', to: '~/users/\\d+$' },
    ],
  });
  // The same routes written as 3.0 are the same config.
  const v3 = load(`
_format_version: "3.0"
services:
  - name: s
    host: example.com
    routes:
      - name: users
        paths: ["~/users/\\\\d+$", /plain]
routes:
  - name: top
    service: s
    paths: ["~/files/.*"]
`);
  assert.equal(r.hash, v3.hash);
  assert.equal(v3.migration, null);
});

test('1.1 loads too; an unknown format version does not', () => {
  assert.equal(load('_format_version: "1.1"\nservices: [{name: s, host: example.com}]\n').migration?.from, '1.1');
  const r = prepare('_format_version: "2.0"\n');
  assert.equal(r.ok, false);
});

test("url wins over protocol, host, port and path, as Kong's shorthand does", () => {
  const r = load(`
_format_version: "3.0"
services:
  - name: a
    url: https://api.example.com/v2
    protocol: http
    host: other.example.com
    port: 8080
    path: /v1
  - name: b
    url: http://b.example.com
    port: 9000
`);
  const a = byName(r.entities.services, 'a');
  assert.deepEqual([a.protocol, a.host, a.port, a.path], ['https', 'api.example.com', 443, '/v2']);
  const b = byName(r.entities.services, 'b');
  assert.deepEqual([b.protocol, b.host, b.port, b.path], ['http', 'b.example.com', 80, null]);
});

const KEYLESS = `
_format_version: "3.0"
consumers:
  - username: alice
    keyauth_credentials:
      - tags: [generated]
      - key: given
    jwt_secrets:
      - algorithm: HS256
`;

test('a key-auth key and a jwt key and secret are generated when left out, as Kong does', () => {
  const one = prepareConfig(KEYLESS, { plugins: pluginSchemas, generatorSecret: 'node-a' });
  assert.ok(one.ok);
  const creds = Object.values(one.entities.credentials);
  const keys = creds.filter((c): c is KeyAuthCredential => c.kind === 'keyauth_credentials').map((c) => c.key);
  assert.equal(keys.length, 2);
  assert.ok(keys.includes('given'));
  const generated = keys.find((k) => k !== 'given') as string;
  assert.match(generated, /^[0-9a-f]{32}$/);
  const jwt = creds.find((c): c is JwtSecret => c.kind === 'jwt_secrets') as JwtSecret;
  assert.match(jwt.key, /^[0-9a-f]{32}$/);
  assert.match(jwt.secret as string, /^[0-9a-f]{32}$/);
  assert.notEqual(jwt.key, jwt.secret);
  // Stable across reloads under one secret (the config hash does not move), unguessable without it.
  const again = prepareConfig(KEYLESS, { plugins: pluginSchemas, generatorSecret: 'node-a' });
  assert.ok(again.ok);
  assert.equal(again.hash, one.hash);
  const other = prepareConfig(KEYLESS, { plugins: pluginSchemas, generatorSecret: 'node-b' });
  assert.ok(other.ok);
  assert.notEqual(other.hash, one.hash);
  assert.ok(!Object.values(other.entities.credentials).some((c) => c.kind === 'keyauth_credentials' && c['key'] === generated));
});

test("plugin protocols: any http-subsystem protocol loads (Kong runs it on every request); stream protocols only are refused as unsupported", () => {
  const r = prepare('_format_version: "3.0"\nplugins:\n  - name: correlation-id\n    protocols: [tcp, tls]\n');
  assert.equal(r.ok, false);
  if (r.ok) return;
  assert.equal(r.code, 'SLUICE_ERR_UNSUPPORTED');
  assert.deepEqual(r.errors.map((e) => [e.field, e.code]), [['protocols', 'SLUICE_ERR_UNSUPPORTED']]);
  for (const protocols of ['[https]', '[grpc, grpcs]', '[http, https]', '[https, tcp]']) {
    assert.equal(load(`_format_version: "3.0"\nplugins:\n  - name: correlation-id\n    protocols: ${protocols}\n`).ok, true, protocols);
  }
});
