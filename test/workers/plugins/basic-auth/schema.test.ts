// basic-auth's schema against Kong's: defaults, refusals with their paths.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Config } from '../../../../config/plugins/basic-auth.ts';
import { pluginConfig, refusals } from '../schema-helpers.ts';

test("defaults are Kong's", () => {
  const expected: Config = { anonymous: null, hide_credentials: false, realm: 'service' };
  assert.deepEqual(pluginConfig('basic-auth'), expected);
});

test('refusals name their field', () => {
  assert.deepEqual(refusals('basic-auth', '{ realm: 3, hide_credentials: "yes", anonymous: "", password: x }'), [
    ['config.anonymous', 'length must be at least 1'],
    ['config.hide_credentials', 'expected a boolean'],
    ['config.password', 'unknown field'],
    ['config.realm', 'expected a string'],
  ]);
  assert.deepEqual(refusals('basic-auth', '{}', 'consumer: { username: c }'), [['consumer', "value must be null: plugin 'basic-auth' cannot be scoped to a consumer"]]);
});
