import assert from 'node:assert/strict';
import { test } from 'node:test';
import { stringify as yamlStringify } from 'yaml';
import { configHash, digest, groupHash, hashEntities } from '../../config/hash.ts';
import { parseText } from '../../config/parse.ts';
import { GROUPS } from '../../config/types.ts';
import { byName, fixture, load, reverseKeys } from './helpers.ts';

test('digest ignores key order, keeps array order, is sha256 hex', () => {
  assert.equal(digest({ a: 1, b: { c: 2, d: 3 } }), digest({ b: { d: 3, c: 2 }, a: 1 }));
  assert.notEqual(digest([1, 2]), digest([2, 1]));
  assert.match(digest(null), /^[0-9a-f]{64}$/);
});

test('an empty group has a fixed, non-empty digest; so does an empty config', () => {
  assert.equal(groupHash({}), digest([]));
  assert.match(groupHash({}), /^[0-9a-f]{64}$/);
  const r = load('_format_version: "3.0"\n');
  for (const g of GROUPS) assert.equal(r.groupHashes[g], digest([]));
  assert.match(r.hash, /^[0-9a-f]{64}$/);
  assert.equal(r.hash, configHash(r.groupHashes));
});

test('group hashes do not depend on insertion order', () => {
  assert.equal(groupHash({ a: '1', b: '2' }), groupHash({ b: '2', a: '1' }));
});

test('key order in the file changes no hash', () => {
  const parsed = parseText(fixture('nested.yaml'));
  assert.ok(parsed.ok);
  const a = load(fixture('nested.yaml'));
  const b = load(JSON.stringify(reverseKeys(parsed.value)));
  const c = load(yamlStringify(reverseKeys(parsed.value)));
  for (const r of [b, c]) {
    assert.deepEqual(r.entityHashes, a.entityHashes);
    assert.deepEqual(r.groupHashes, a.groupHashes);
    assert.equal(r.hash, a.hash);
  }
});

test('YAML and JSON of the same config give the same hashes', () => {
  const parsed = parseText(fixture('flat.yaml'));
  assert.ok(parsed.ok);
  const y = load(fixture('flat.yaml'));
  const j = load(JSON.stringify(parsed.value, null, 2), 'json');
  assert.equal(j.hash, y.hash);
  assert.deepEqual(j.entityHashes, y.entityHashes);
});

test('a change moves its entity, its group and the config hash, and nothing else', () => {
  const a = load(fixture('nested.yaml'));
  const b = load(fixture('nested.yaml').replace('weight: 50', 'weight: 60'));
  assert.notEqual(a.hash, b.hash);
  for (const g of GROUPS) {
    if (g === 'targets') assert.notEqual(a.groupHashes[g], b.groupHashes[g]);
    else assert.equal(a.groupHashes[g], b.groupHashes[g], g);
  }
  const changed = Object.keys(a.entityHashes.targets).filter((id) => a.entityHashes.targets[id] !== b.entityHashes.targets[id]);
  assert.equal(changed.length, 1);
});

test('hashEntities recomputes what prepareConfig returned', () => {
  const r = load(fixture('nested.yaml'));
  const again = hashEntities(r.entities);
  assert.deepEqual(again.entityHashes, r.entityHashes);
  assert.equal(again.hash, r.hash);
  assert.ok(byName(r.entities.services, 'orders'));
});
