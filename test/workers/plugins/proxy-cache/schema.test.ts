// proxy-cache's schema against Kong's: defaults, the required strategy, refusals with their paths.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Config } from '../../../../config/plugins/proxy-cache.ts';
import { pluginConfig, refusals } from '../schema-helpers.ts';

test("defaults are Kong's", () => {
  const expected: Config = {
    response_code: [200, 301, 404],
    request_method: ['GET', 'HEAD'],
    content_type: ['text/plain', 'application/json'],
    cache_ttl: 300,
    strategy: 'memory',
    cache_control: false,
    ignore_uri_case: false,
    storage_ttl: null,
    memory: { dictionary_name: 'kong_db_cache' },
    vary_query_params: null,
    vary_headers: null,
    response_headers: { age: true, 'X-Cache-Status': true, 'X-Cache-Key': true },
  };
  assert.deepEqual(pluginConfig('proxy-cache', '{ strategy: memory }'), expected);
});

test('refusals name their field', () => {
  assert.deepEqual(refusals('proxy-cache', '{}'), [['config.strategy', 'required field missing']]);
  assert.deepEqual(
    refusals('proxy-cache', '{ strategy: redis, response_code: [99], request_method: [DELETE], cache_ttl: 0, response_headers: { via: true } }'),
    [
      ['config.cache_ttl', 'value must be greater than 0'],
      ['config.request_method.0', 'expected one of: HEAD, GET, POST, PATCH, PUT'],
      ['config.response_code.0', 'value should be between 100 and 900'],
      ['config.response_headers.via', 'unknown field'],
      ['config.strategy', 'expected one of: memory'],
    ],
  );
  assert.deepEqual(refusals('proxy-cache', '{ strategy: memory, response_code: [] }'), [['config.response_code', 'length must be at least 1']]);
});
