// bot-detection's schema: Kong's defaults, regex refusals with paths.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pluginConfig, refusals } from '../schema-helpers.ts';

test('bot-detection defaults are Kong 3.x defaults', () => {
  assert.deepEqual(pluginConfig('bot-detection'), { allow: [], deny: [] });
});

test('bot-detection refuses what is no regex, PCRE-only syntax, and a consumer scope', () => {
  const errors = refusals('bot-detection', '{allow: ["(a", "ok"], deny: ["a++", "b{2}"]}');
  assert.deepEqual(errors.map(([field]) => field), ['config.allow.0', 'config.deny.0']);
  assert.match(errors[0]![1], /^not a valid regex: \(a/);
  assert.match(errors[1]![1], /PCRE-only/);
  assert.deepEqual(refusals('bot-detection', '{}', 'consumer: c'), [['consumer', "value must be null: plugin 'bot-detection' cannot be scoped to a consumer"]]);
});
