import assert from 'node:assert/strict';
import { test } from 'node:test';
import { detectFormat, parseText } from '../../config/parse.ts';
import { prepare } from './helpers.ts';

test('detectFormat: JSON when the text opens an object or array, else YAML', () => {
  assert.equal(detectFormat('  \n {"a": 1}'), 'json');
  assert.equal(detectFormat('[1]'), 'json');
  assert.equal(detectFormat('a: 1'), 'yaml');
  assert.equal(detectFormat('# {"a": 1}\na: 1'), 'yaml');
  assert.equal(detectFormat(''), 'yaml');
});

test('YAML and JSON of the same data parse to the same value', () => {
  const y = parseText('a: 1\nb: [x, "y"]\nc: { d: null }\n');
  const j = parseText('{"a":1,"b":["x","y"],"c":{"d":null}}');
  assert.ok(y.ok && j.ok);
  assert.deepEqual(y.value, j.value);
  assert.equal(y.format, 'yaml');
  assert.equal(j.format, 'json');
});

test('YAML 1.2 core schema: yes/on stay strings, so they fail boolean fields loudly', () => {
  const r = parseText('a: yes\nb: on\nc: true\n');
  assert.ok(r.ok);
  assert.deepEqual(r.value, { a: 'yes', b: 'on', c: true });
});

test('duplicate YAML keys are a parse error with a line number', () => {
  const r = parseText('a: 1\na: 2\n');
  assert.equal(r.ok, false);
  assert.ok(!r.ok && /line 2/.test(r.errors[0]?.message ?? ''));
});

test('an explicit format wins over detection', () => {
  const r = parseText('a: 1', 'json');
  assert.equal(r.ok, false);
});

test('several YAML documents in one file are rejected', () => {
  const r = parseText('_format_version: "3.0"\n---\n_format_version: "3.0"\n');
  assert.equal(r.ok, false);
});

test('alias expansion is bounded (billion laughs)', () => {
  const lines = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
  for (let i = 1; i < 12; i++) lines.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10).fill(`*${String.fromCharCode(96 + i)}`).join(',')}]`);
  const r = parseText(lines.join('\n'));
  assert.equal(r.ok, false);
});

test('prepareConfig reports parse failures with SLUICE_ERR_CONFIG_PARSE', () => {
  const r = prepare('{"_format_version": "3.0",}');
  assert.equal(r.ok, false);
  assert.ok(!r.ok && r.code === 'SLUICE_ERR_CONFIG_PARSE');
  assert.ok(!r.ok && r.errors.every((e) => e.entity_type === 'config' && e.message.length > 0));
});
