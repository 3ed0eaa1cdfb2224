import assert from 'node:assert/strict';
import { test } from 'node:test';
import { knownSafeCount, safeHeaderText } from '../../../workers/proxy/header-safety.ts';

test('CR, LF and NUL are refused every time, including after the same text was refused before', () => {
  for (const bad of ['a\rb', 'a\nb', 'a\0b', '\r\n', 'x-consumer-id\r\nx-evil: 1']) {
    assert.equal(safeHeaderText(bad), false);
    assert.equal(safeHeaderText(bad), false);
  }
});

test('plain texts pass, and are remembered only up to 256 characters', () => {
  const before = knownSafeCount();
  assert.equal(safeHeaderText('x-consumer-username-test'), true);
  assert.equal(safeHeaderText('x-consumer-username-test'), true);
  assert.equal(knownSafeCount(), before + 1);
  const long = 'v'.repeat(257);
  assert.equal(safeHeaderText(long), true);
  assert.equal(knownSafeCount(), before + 1);
  assert.equal(safeHeaderText(`${long}\n`), false);
});

test('the set of known texts starts over past 4096 and answers the same', () => {
  for (let i = 0; i < 5000; i++) assert.equal(safeHeaderText(`client-value-${i}`), true);
  assert.ok(knownSafeCount() <= 4096);
  assert.equal(safeHeaderText('client-value-4999'), true);
  assert.equal(safeHeaderText('client-value-4999\r'), false);
});
