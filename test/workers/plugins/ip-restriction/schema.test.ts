// ip-restriction's schema: Kong's defaults, the allow-or-deny check, and address refusals with paths.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pluginConfig, refusals } from '../schema-helpers.ts';

test('ip-restriction defaults are Kong 3.x defaults', () => {
  assert.deepEqual(pluginConfig('ip-restriction', '{deny: ["10.0.0.0/8"]}'), { allow: null, deny: ['10.0.0.0/8'], status: null, message: null });
});

test('ip-restriction needs allow or deny, and refuses what is no address or range', () => {
  assert.deepEqual(refusals('ip-restriction', '{}'), [['config', "at least one of these fields must be non-empty: 'config.allow', 'config.deny'"]]);
  assert.deepEqual(refusals('ip-restriction', '{allow: ["1.2.3.4/33", "::1/129", "example.com", "10.0.0.0/8", "::/0", "fe80::1"], deny: ["300.1.1.1"], status: "x"}'), [
    ['config.allow.0', "invalid ip or cidr range: '1.2.3.4/33'"],
    ['config.allow.1', "invalid ip or cidr range: '::1/129'"],
    ['config.allow.2', "invalid ip or cidr range: 'example.com'"],
    ['config.deny.0', "invalid ip or cidr range: '300.1.1.1'"],
    ['config.status', 'expected a number'],
  ]);
});
