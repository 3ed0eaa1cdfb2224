// request-size-limiting's schema: Kong's defaults, refusals with paths.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pluginConfig, refusals } from '../schema-helpers.ts';

test('request-size-limiting defaults are Kong 3.x defaults', () => {
  assert.deepEqual(pluginConfig('request-size-limiting'), { allowed_payload_size: 128, size_unit: 'megabytes', require_content_length: false });
});

test('request-size-limiting refuses a fractional size, an unknown unit, a non-boolean', () => {
  assert.deepEqual(refusals('request-size-limiting', '{allowed_payload_size: 1.5, size_unit: gigabytes, require_content_length: "yes"}'), [
    ['config.allowed_payload_size', 'expected an integer'],
    ['config.require_content_length', 'expected a boolean'],
    ['config.size_unit', 'expected one of: megabytes, kilobytes, bytes'],
  ]);
});
