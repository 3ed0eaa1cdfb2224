// acl's schema against Kong's: defaults, its entity checks (one of allow/deny, not both), refusals with paths.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Config } from '../../../../config/plugins/acl.ts';
import { pluginConfig, refusals } from '../schema-helpers.ts';

test("defaults are Kong's", () => {
  const expected: Config = { allow: ['a'], deny: null, hide_groups_header: false, always_use_authenticated_groups: false };
  assert.deepEqual(pluginConfig('acl', '{ allow: [a] }'), expected);
});

test('exactly one of allow and deny', () => {
  assert.deepEqual(refusals('acl', '{}'), [['config', "at least one of these fields must be non-empty: 'config.allow', 'config.deny'"]]);
  assert.deepEqual(refusals('acl', '{ allow: [], deny: [] }'), [['config', "at least one of these fields must be non-empty: 'config.allow', 'config.deny'"]]);
  assert.deepEqual(refusals('acl', '{ allow: [a], deny: [b] }'), [['config.deny', "only one of these fields must be non-empty: 'config.allow', 'config.deny'"]]);
  assert.deepEqual(refusals('acl', '{ deny: [b] }'), []);
});

test('refusals name their field', () => {
  assert.deepEqual(refusals('acl', '{ allow: [1], hide_groups_header: 2, whitelist: [a] }'), [
    ['config.allow.0', 'expected a string'],
    ['config.hide_groups_header', 'expected a boolean'],
    ['config.whitelist', 'unknown field'],
  ]);
  assert.deepEqual(refusals('acl', '{ allow: [a] }', 'consumer: { username: c }'), [['consumer', "value must be null: plugin 'acl' cannot be scoped to a consumer"]]);
});
