import assert from 'node:assert/strict';
import { test } from 'node:test';
import { closeObjects } from '../../config/plugin-config.ts';
import { prepareConfig } from '../../config/prepare.ts';
import type { PluginSchemas } from '../../config/plugin-schema.ts';

const doc = (config: string): string => `_format_version: "3.0"\nplugins:\n  - name: demo\n    config: ${config}\n`;

test('closeObjects closes every object schema that lists properties, nested ones too', () => {
  const closed = closeObjects({
    type: 'object',
    properties: { a: { type: 'object', properties: { b: { type: 'string' } } }, m: { type: 'object' } },
  });
  assert.equal(closed['additionalProperties'], false);
  const props = closed['properties'] as Record<string, Record<string, unknown>>;
  assert.equal(props['a']?.['additionalProperties'], false);
  // A map (no properties listed) stays open.
  assert.equal(props['m']?.['additionalProperties'], undefined);
});

test('a plugin schema that does not compile is reported as an error of that plugin, not thrown', () => {
  const plugins: PluginSchemas = { demo: { name: 'demo', config: { type: 'object', properties: { a: { type: 'no-such-type' } } } } };
  const r = prepareConfig(doc('{}'), { plugins });
  assert.ok(!r.ok);
  assert.deepEqual(r.errors.map((e) => [e.entity_type, e.entity, e.field]), [['plugin', 'demo', 'config']]);
});

test('checks: conditional, at_least_one_of and non_decreasing report on the right field, once', () => {
  const plugins: PluginSchemas = {
    demo: {
      name: 'demo',
      config: {
        type: 'object',
        properties: {
          a: { type: ['number', 'null'], default: null },
          b: { type: ['number', 'null'], default: null },
          mode: { type: 'string', default: 'x' },
          extra: { type: ['string', 'null'], default: null },
        },
      },
      checks: [
        { at_least_one_of: ['a', 'b'] },
        { non_decreasing: ['a', 'b'] },
        { conditional: { if_field: 'mode', if_match: { one_of: ['y'] }, then_field: 'extra', then_match: { present: true } } },
      ],
    },
  };
  const fields = (config: string): string[] => {
    const r = prepareConfig(doc(config), { plugins });
    return r.ok ? [] : r.errors.map((e) => e.field);
  };
  assert.deepEqual(fields('{}'), ['config']);
  assert.deepEqual(fields('{ a: 5, b: 1 }'), ['config.b']);
  assert.deepEqual(fields('{ a: 1, mode: y }'), ['config.extra']);
  assert.deepEqual(fields('{ a: 1, mode: y, extra: e }'), []);
  // A field that failed its type is not judged again by the checks.
  assert.deepEqual(fields('{ a: "five" }'), ['config.a']);
});
