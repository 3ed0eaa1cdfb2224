// file-log's schema against Kong's: defaults, the path rule, custom_fields_by_lua refused.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Config } from '../../../../config/plugins/file-log.ts';
import { pluginConfig, refusals } from '../schema-helpers.ts';

test("defaults are Kong's", () => {
  const expected: Config = { path: '/tmp/x.log', reopen: false, custom_fields_by_lua: null };
  assert.deepEqual(pluginConfig('file-log', '{ path: /tmp/x.log }'), expected);
});

test('refusals name their field', () => {
  assert.deepEqual(refusals('file-log', '{}'), [['config.path', 'required field missing']]);
  assert.deepEqual(refusals('file-log', '{ path: "/tmp/a*b", reopen: 1 }'), [
    ['config.path', 'not a valid filename'],
    ['config.reopen', 'expected a boolean'],
  ]);
  assert.deepEqual(refusals('file-log', '{ path: " /tmp/x" }'), [['config.path', 'not a valid filename']]);
});

test('custom_fields_by_lua (Lua) is refused unless empty', () => {
  const refused = refusals('file-log', '{ path: /tmp/x.log, custom_fields_by_lua: { a: "return 1" } }');
  assert.equal(refused.length, 1);
  assert.equal(refused[0]![0], 'config.custom_fields_by_lua');
  assert.match(refused[0]![1], /not supported by Sluice/);
  assert.deepEqual(refusals('file-log', '{ path: /tmp/x.log, custom_fields_by_lua: null }'), []);
  assert.deepEqual(refusals('file-log', '{ path: /tmp/x.log, custom_fields_by_lua: {} }'), []);
});
