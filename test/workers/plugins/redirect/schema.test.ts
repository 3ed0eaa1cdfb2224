// redirect's schema: Kong's defaults, and refusals with paths.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pluginConfig, refusals } from '../schema-helpers.ts';

test('redirect defaults are Kong 3.x defaults', () => {
  assert.deepEqual(pluginConfig('redirect', '{location: "https://e.example/x"}'), { location: 'https://e.example/x', status_code: 301, keep_incoming_path: false });
});

test('redirect needs an absolute location and a status in 100..599', () => {
  assert.deepEqual(refusals('redirect', '{}'), [['config.location', 'required field missing']]);
  assert.deepEqual(refusals('redirect', '{location: "/relative"}'), [['config.location', 'missing scheme in url']]);
  assert.deepEqual(refusals('redirect', '{location: "http://"}'), [['config.location', 'could not parse url']]);
  assert.deepEqual(refusals('redirect', '{location: "https://e.example", status_code: 600}'), [['config.status_code', 'value should be between 100 and 599']]);
  assert.deepEqual(refusals('redirect', '{location: "https://e.example", status_code: 301.5}'), [['config.status_code', 'expected an integer']]);
});
