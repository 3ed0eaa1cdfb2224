// response-ratelimiting's schema: Kong's defaults, per-limit checks inside the `limits` map, and
// the policies Sluice refuses.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { prepareConfig } from '../../../../config/prepare.ts';
import { pluginSchemas } from '../../../../config/plugins/index.ts';
import { pluginConfig, refusals } from '../schema-helpers.ts';

test('response-ratelimiting defaults are Kong 3.x defaults', () => {
  const config = pluginConfig('response-ratelimiting', '{limits: {video: {minute: 10}}}');
  assert.deepEqual(
    { ...config, redis: undefined },
    {
      limits: { video: { minute: 10 } },
      header_name: 'x-kong-limit',
      limit_by: 'consumer',
      policy: 'local',
      fault_tolerant: true,
      block_on_first_violation: false,
      hide_client_headers: false,
      redis: undefined,
      redis_host: null,
      redis_port: null,
      redis_password: null,
      redis_username: null,
      redis_ssl: null,
      redis_ssl_verify: null,
      redis_server_name: null,
      redis_timeout: null,
      redis_database: null,
    },
  );
  assert.equal((config['redis'] as Record<string, unknown>)['port'], 6379);
});

test('response-ratelimiting refusals: limits required and non-empty, a window each, in order, positive; only the local policy', () => {
  assert.deepEqual(refusals('response-ratelimiting', '{}'), [['config.limits', 'required field missing']]);
  assert.deepEqual(refusals('response-ratelimiting', '{limits: {}}'), [['config.limits', 'length must be at least 1']]);
  assert.deepEqual(refusals('response-ratelimiting', '{limits: {video: {}, image: {minute: 10, second: 20}, x: {hour: 0}}, limit_by: header}'), [
    ['config.limit_by', 'expected one of: consumer, credential, ip'],
    ['config.limits.image', 'the limit for minute(10.0) cannot be lower than the limit for second(20.0)'],
    ['config.limits.video', "at least one of these fields must be non-empty: 'second', 'minute', 'hour', 'day', 'month', 'year'"],
    ['config.limits.x.hour', 'value must be greater than 0'],
  ]);
  assert.deepEqual(refusals('response-ratelimiting', '{limits: {"a b": {minute: 1}}}'), [
    ['config.limits', 'a limit name must be made of header name characters'],
    ['config.limits.a b', 'invalid field name'],
  ]);
  for (const policy of ['redis', 'cluster']) {
    const result = prepareConfig(`_format_version: "3.0"\nplugins:\n  - name: response-ratelimiting\n    config: {limits: {v: {minute: 1}}, policy: ${policy}}\n`, { plugins: pluginSchemas });
    assert.equal(result.ok, false);
    if (result.ok) continue;
    assert.equal(result.code, 'SLUICE_ERR_UNSUPPORTED');
    assert.deepEqual(result.errors.map((e) => [e.field, e.code]), [['config.policy', 'SLUICE_ERR_UNSUPPORTED']]);
  }
});
