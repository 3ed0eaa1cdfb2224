// hmac-auth's schema against Kong's (defaults, refusals with paths), and its credentials
// (hmacauth_credentials) loading from a declarative config, nested or top-level, into the
// worker's credentials index.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { prepareConfig } from '../../../../config/prepare.ts';
import { pluginSchemas } from '../../../../config/plugins/index.ts';
import type { Config } from '../../../../config/plugins/hmac-auth.ts';
import { CredentialsIndex } from '../../../../workers/credentials.ts';
import { pluginConfig, refusals } from '../schema-helpers.ts';

test("defaults are Kong's", () => {
  const expected: Config = {
    hide_credentials: false,
    clock_skew: 300,
    anonymous: null,
    validate_request_body: false,
    enforce_headers: [],
    algorithms: ['hmac-sha1', 'hmac-sha256', 'hmac-sha384', 'hmac-sha512'],
    realm: null,
  };
  assert.deepEqual(pluginConfig('hmac-auth'), expected);
});

test('refusals name their field', () => {
  assert.deepEqual(refusals('hmac-auth', '{ clock_skew: 0, algorithms: [hmac-md5], enforce_headers: date, secret: x }'), [
    ['config.algorithms.0', 'expected one of: hmac-sha1, hmac-sha256, hmac-sha384, hmac-sha512'],
    ['config.clock_skew', 'value must be greater than 0'],
    ['config.enforce_headers', 'expected an array'],
    ['config.secret', 'unknown field'],
  ]);
});

test('hmacauth_credentials load nested and top-level, are indexed by username, and are checked', () => {
  const text = `_format_version: "3.0"
consumers:
  - username: alice
    hmacauth_credentials: [{ username: alice-hmac, secret: s1 }]
  - username: bob
hmacauth_credentials:
  - { consumer: bob, username: bob-hmac, secret: s2 }
`;
  const result = prepareConfig(text, { plugins: pluginSchemas });
  assert.ok(result.ok, JSON.stringify(!result.ok && result.errors));
  const index = new CredentialsIndex(result.entities.consumers, result.entities.credentials);
  assert.equal(index.hmacAuth('alice-hmac')?.consumer.username, 'alice');
  assert.equal(index.hmacAuth('bob-hmac')?.credential.secret, 's2');
  assert.equal(index.hmacAuth('nobody'), null);
  const bad = prepareConfig(`_format_version: "3.0"\nconsumers:\n  - username: a\n    hmacauth_credentials: [{ username: u }, { username: u, secret: s }, { username: u, secret: t }]\n`, { plugins: pluginSchemas });
  assert.equal(bad.ok, false);
  const messages = !bad.ok ? bad.errors.map((e) => `${e.field}: ${e.message}`) : [];
  // A missing secret is generated, as Kong does (config/generated.ts): only the duplicates are errors.
  assert.ok(!messages.some((m) => m.startsWith('secret:')), messages.join('\n'));
  assert.ok(messages.some((m) => m.includes('uniqueness')), messages.join('\n'));
});
