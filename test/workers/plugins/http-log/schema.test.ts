// http-log's schema against Kong's: defaults (queue included), refusals with paths, Kong's
// userinfo-vs-Authorization check, reserved headers, custom_fields_by_lua refused.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Config } from '../../../../config/plugins/http-log.ts';
import { queueParams } from '../../../../workers/plugins/http-log/handler.ts';
import { pluginConfig, refusals } from '../schema-helpers.ts';

test("defaults are Kong's", () => {
  const expected: Config = {
    http_endpoint: 'http://127.0.0.1:9/logs',
    method: 'POST',
    content_type: 'application/json',
    timeout: 10000,
    keepalive: 60000,
    retry_count: null,
    queue_size: null,
    flush_timeout: null,
    headers: null,
    queue: {
      max_batch_size: 1,
      max_coalescing_delay: 1,
      max_entries: 10000,
      max_bytes: null,
      max_retry_time: 60,
      initial_retry_delay: 0.01,
      max_retry_delay: 60,
      concurrency_limit: 1,
    },
    custom_fields_by_lua: null,
  };
  assert.deepEqual(pluginConfig('http-log', '{ http_endpoint: "http://127.0.0.1:9/logs" }'), expected);
});

test('the deprecated queue_size and flush_timeout stand for queue fields, as Kong maps them', () => {
  const config = pluginConfig('http-log', '{ http_endpoint: "http://h/", queue_size: 5, flush_timeout: 3, retry_count: 4 }') as unknown as Config;
  assert.deepEqual([queueParams(config).max_batch_size, queueParams(config).max_coalescing_delay], [5, 3]);
  // Their old defaults (1 and 2) leave the queue fields alone.
  const old = pluginConfig('http-log', '{ http_endpoint: "http://h/", queue_size: 1, flush_timeout: 2, queue: { max_batch_size: 7 } }') as unknown as Config;
  assert.deepEqual([queueParams(old).max_batch_size, queueParams(old).max_coalescing_delay], [7, 1]);
});

test('refusals name their field', () => {
  assert.deepEqual(refusals('http-log', '{}'), [['config.http_endpoint', 'required field missing']]);
  assert.deepEqual(refusals('http-log', '{ http_endpoint: "ftp://h/x", method: GET, content_type: text/plain }'), [
    ['config.content_type', 'expected one of: application/json, application/json; charset=utf-8'],
    ['config.http_endpoint', 'invalid url: expected http:// or https:// and a host'],
    ['config.method', 'expected one of: POST, PUT, PATCH'],
  ]);
  assert.deepEqual(refusals('http-log', '{ http_endpoint: "http://h/", queue: { max_batch_size: 0, concurrency_limit: 2, initial_retry_delay: 0 } }').map(([field]) => field), [
    'config.queue.concurrency_limit',
    'config.queue.initial_retry_delay',
    'config.queue.max_batch_size',
  ]);
});

test('headers: tokens only, and never Host, Content-Length or Content-Type', () => {
  for (const name of ['Host', 'content-length', 'Content-Type']) {
    const refused = refusals('http-log', `{ http_endpoint: "http://h/", headers: { "${name}": x } }`);
    assert.ok(refused.some(([field, message]) => field === 'config.headers' && /cannot be 'Host', 'Content-Length' or 'Content-Type'/.test(message)), `${name}: ${JSON.stringify(refused)}`);
  }
  assert.ok(refusals('http-log', '{ http_endpoint: "http://h/", headers: { "bad name": x } }').some(([field]) => field === 'config.headers'));
  assert.equal(refusals('http-log', '{ http_endpoint: "http://h/", headers: { X-Token: 1 } }').length, 1);
  assert.deepEqual(refusals('http-log', '{ http_endpoint: "http://h/", headers: { X-Token: abc } }'), []);
});

test("user info in the URL and an Authorization header are not both allowed (Kong's custom_validator)", () => {
  const refused = refusals('http-log', '{ http_endpoint: "http://u:p@h/", headers: { authorization: "Bearer x" } }');
  assert.equal(refused[0]![0], 'config.headers');
  assert.match(refused[0]![1], /specifying both an 'Authorization' header and user info in 'http_endpoint' is not allowed/);
  assert.deepEqual(refusals('http-log', '{ http_endpoint: "http://u:p@h/", headers: { x-other: y } }'), []);
  assert.deepEqual(refusals('http-log', '{ http_endpoint: "http://h/", headers: { Authorization: "Bearer x" } }'), []);
});

test('custom_fields_by_lua is refused unless empty', () => {
  const refused = refusals('http-log', '{ http_endpoint: "http://h/", custom_fields_by_lua: { a: "return 1" } }');
  assert.equal(refused.length, 1);
  assert.match(refused[0]![1], /not supported by Sluice/);
});
