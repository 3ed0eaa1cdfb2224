// tcp-log's schema against Kong's: defaults, refusals with paths, custom_fields_by_lua refused.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Config } from '../../../../config/plugins/tcp-log.ts';
import { pluginConfig, refusals } from '../schema-helpers.ts';

test("defaults are Kong's", () => {
  const expected: Config = { host: 'logs.example', port: 5140, timeout: 10000, keepalive: 60000, tls: false, tls_sni: null, custom_fields_by_lua: null };
  assert.deepEqual(pluginConfig('tcp-log', '{ host: logs.example, port: 5140 }'), expected);
});

test('refusals name their field', () => {
  assert.deepEqual(refusals('tcp-log', '{}'), [
    ['config.host', 'required field missing'],
    ['config.port', 'required field missing'],
  ]);
  assert.deepEqual(refusals('tcp-log', '{ host: "bad host", port: 70000, tls: yes-please, timeout: x }'), [
    ['config.host', 'invalid value: must be a host name or an IP address'],
    ['config.port', 'value should be between 0 and 65535'],
    ['config.timeout', 'expected a number'],
    ['config.tls', 'expected a boolean'],
  ]);
  const lua = refusals('tcp-log', '{ host: h, port: 1, custom_fields_by_lua: { a: "return 1" } }');
  assert.equal(lua[0]![0], 'config.custom_fields_by_lua');
  assert.match(lua[0]![1], /not supported by Sluice/);
});
