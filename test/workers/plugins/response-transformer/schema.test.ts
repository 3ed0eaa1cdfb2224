// response-transformer's schema against Kong's: defaults, entry formats, refusals with their paths.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Config } from '../../../../config/plugins/response-transformer.ts';
import { pluginConfig, refusals } from '../schema-helpers.ts';

test("defaults are Kong's", () => {
  const typed = { json: [], json_types: [], headers: [] };
  const expected: Config = { remove: { json: [], headers: [] }, rename: { json: [], headers: [] }, replace: typed, add: typed, append: typed };
  assert.deepEqual(pluginConfig('response-transformer'), expected);
});

test('refusals name their field', () => {
  assert.deepEqual(refusals('response-transformer', '{ add: { json: ["a:1", "b:"], json_types: [number, string], headers: ["x-a:1"] }, rename: { headers: ["a:b"], json: ["x:y"] } }'), []);
  assert.deepEqual(
    refusals('response-transformer', '{ add: { json: ["nocolon"], json_types: [object], headers: ["x"] }, rename: { headers: ["a:b c"] }, remove: { body: [] } }'),
    [
      ['config.add.headers.0', "expected 'key:value'"],
      ['config.add.json.0', "expected 'key:value'"],
      ['config.add.json_types.0', 'expected one of: boolean, number, string'],
      ['config.remove.body', 'unknown field'],
      ['config.rename.headers.0', "invalid header rename: expected 'old:new', both names holding only A-Z, a-z, 0-9, '_' and '-'"],
    ],
  );
});
