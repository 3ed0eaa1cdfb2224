import assert from 'node:assert/strict';
import { test } from 'node:test';
import { prepareConfig, toSnapshot } from '../../config/prepare.ts';
import { pluginSchemas } from '../../config/plugins/index.ts';
import { fixture, load } from './helpers.ts';

test('the result is plain data: it survives structured clone unchanged (it crosses threads)', () => {
  const r = load(fixture('nested.yaml'));
  assert.deepEqual(structuredClone(r), r);
});

test('the format option overrides detection', () => {
  const text = '{"_format_version": "3.0"}';
  assert.equal(prepareConfig(text, { plugins: pluginSchemas }).ok, true);
  assert.equal(prepareConfig(text, { format: 'yaml', plugins: pluginSchemas }).ok, true);
  const r = prepareConfig('_format_version: "3.0"', { format: 'json', plugins: pluginSchemas });
  assert.ok(!r.ok && r.code === 'SLUICE_ERR_CONFIG_PARSE');
});

test('an invalid config is SLUICE_ERR_CONFIG_INVALID with every error', () => {
  const r = prepareConfig('_format_version: "3.0"\nservices: [{ name: a }, { name: b }]\n', { plugins: pluginSchemas });
  assert.ok(!r.ok);
  assert.equal(r.code, 'SLUICE_ERR_CONFIG_INVALID');
  assert.equal(r.errors.length, 2);
});

test('toSnapshot wraps a result with its version, sharing (not copying) its objects', () => {
  const r = load(fixture('nested.yaml'));
  const s = toSnapshot(r, 42);
  assert.equal(s.version, 42);
  assert.equal(s.hash, r.hash);
  assert.equal(s.entities, r.entities);
  assert.equal(s.entityHashes, r.entityHashes);
  assert.equal(s.groupHashes, r.groupHashes);
});
