// Replays the corpus of invalid configs (test/config/invalid/) as regression tests, Envoy-style.
// Each file must be rejected with exactly the errors expected.json lists for it: entity type,
// entity, field and, for a refused Kong feature, SLUICE_ERR_UNSUPPORTED (not message text), all of
// them, not only the first.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { FlatError } from '../../config/types.ts';
import { prepare } from './helpers.ts';

interface Expected {
  code: 'SLUICE_ERR_CONFIG_PARSE' | 'SLUICE_ERR_CONFIG_INVALID' | 'SLUICE_ERR_UNSUPPORTED';
  errors: Omit<FlatError, 'message'>[];
}

const DIR = new URL('./invalid/', import.meta.url);
const expected = JSON.parse(readFileSync(new URL('expected.json', DIR), 'utf8')) as Record<string, Expected>;
const files = readdirSync(DIR)
  .filter((f) => /\.(ya?ml|json)$/.test(f) && f !== 'expected.json')
  .sort();

/** An error's identity; an error refusing an unsupported Kong feature carries its code too. */
function key(e: Omit<FlatError, 'message'>): string {
  return JSON.stringify([e.entity_type, e.entity, e.field, e.code ?? null]);
}

test('the corpus has at least 30 configs, each with an expectation, and no stale expectation', () => {
  assert.ok(files.length >= 30, `${files.length} files`);
  assert.deepEqual(Object.keys(expected).sort(), files);
});

for (const file of files) {
  test(`invalid/${file}`, () => {
    const want = expected[file];
    assert.ok(want, `no expectation for ${file}`);
    const r = prepare(readFileSync(new URL(file, DIR), 'utf8'));
    assert.equal(r.ok, false, 'must be rejected');
    if (r.ok) return;
    assert.equal(r.code, want.code);
    for (const e of r.errors) {
      assert.equal(typeof e.message, 'string');
      assert.ok(e.message.length > 0, `empty message for ${key(e)}`);
    }
    assert.deepEqual(r.errors.map(key).sort(), want.errors.map(key).sort());
  });
}
