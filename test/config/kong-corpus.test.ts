// Real Kong declarative files from public repositories (test/config/kong-corpus/index.json names
// each one's origin: decK's test data, Kong Ingress Controller golden outputs, Kong's spec
// fixtures, users' kong.yml files). Each either loads, or is refused only with
// SLUICE_ERR_UNSUPPORTED for exactly the features its entry lists. When a feature lands (a plugin,
// certificates...), the files it unblocked fail here until their entry is updated: the list of
// refusals only shrinks on purpose.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { featureOf } from './kong-corpus-features.ts';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { makeLeaf } from '../helpers/tls.ts';
import { prepare } from './helpers.ts';

interface Entry {
  origin: string;
  expect?: 'loads';
  refused_for?: string[];
  /** The copy's private keys were removed: each certificate gets a pair made at test time. */
  keys?: string;
}

/** `text` with each certificate's cert and key (and _alt pair) replaced by a pair made now. */
async function withTestKeys(text: string): Promise<string> {
  const doc = parseYaml(text) as { certificates?: Array<Record<string, unknown>> };
  for (const certificate of doc.certificates ?? []) {
    const pair = await makeLeaf(['corpus.example']);
    certificate['cert'] = pair.cert;
    certificate['key'] = pair.key;
    delete certificate['cert_alt'];
    delete certificate['key_alt'];
  }
  return stringifyYaml(doc);
}

const DIR = new URL('./kong-corpus/', import.meta.url);
const index = JSON.parse(readFileSync(new URL('index.json', DIR), 'utf8')) as Record<string, Entry>;
const files = readdirSync(DIR).filter((f) => /\.(ya?ml|json)$/.test(f) && f !== 'index.json').sort();

test('at least 30 files from at least four kinds of origin, each with an entry and an origin', () => {
  assert.ok(files.length >= 30, `${files.length} files`);
  assert.deepEqual(Object.keys(index).sort(), files);
  const kinds = new Set(files.map((f) => f.split('--')[0]));
  assert.ok(kinds.size >= 4, [...kinds].join(', '));
  for (const f of files) assert.match(index[f]!.origin, /^https:\/\/github\.com\/[^/]+\/[^/]+\/blob\/[0-9a-f]{40}\//, f);
  // Some load as they are, some are refused: the corpus is not all one or the other.
  assert.ok(files.filter((f) => index[f]!.expect === 'loads').length >= 15);
});

test('no private key is kept in the corpus', () => {
  for (const f of files) assert.doesNotMatch(readFileSync(new URL(f, DIR), 'utf8'), /PRIVATE KEY-----\s*\n?\s*(?!REDACTED)[A-Za-z0-9+/]{40}/, f);
});

for (const file of files) {
  test(`kong-corpus/${file}`, async () => {
    const entry = index[file]!;
    const text = readFileSync(new URL(file, DIR), 'utf8');
    const r = prepare(entry.keys === undefined ? text : await withTestKeys(text));
    if (entry.expect === 'loads') {
      assert.equal(r.ok, true, r.ok ? '' : `refused: ${JSON.stringify(r.errors.slice(0, 5), null, 1)}`);
      return;
    }
    assert.equal(r.ok, false, 'loads now: update its entry in index.json to "expect": "loads"');
    if (r.ok) return;
    assert.equal(r.code, 'SLUICE_ERR_UNSUPPORTED', JSON.stringify(r.errors.filter((e) => e.code === undefined).slice(0, 5)));
    assert.deepEqual([...new Set(r.errors.map(featureOf))].sort(), entry.refused_for);
  });
}
