// Runs on the test thread: the JSON pool's threshold setting (workers/transform/json-pool.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OFFLOAD_BYTES, offloadThreshold } from '../../../workers/transform/json-pool.ts';

test('SLUICE_JSON_OFFLOAD_BYTES: unset is the default, a byte count sets it, "off" edits everything inline', () => {
  assert.equal(offloadThreshold(undefined), OFFLOAD_BYTES);
  assert.equal(offloadThreshold(''), OFFLOAD_BYTES);
  assert.equal(offloadThreshold('1048576'), 1_048_576);
  assert.equal(offloadThreshold('0'), 0);
  assert.equal(offloadThreshold('off'), Infinity);
});

test('SLUICE_JSON_OFFLOAD_BYTES: anything else is refused, naming the variable', () => {
  for (const bad of ['-1', '1.5', '128k', 'on', ' 10']) assert.throws(() => offloadThreshold(bad), /SLUICE_JSON_OFFLOAD_BYTES must be a byte count or "off", not/);
});
