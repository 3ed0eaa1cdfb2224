import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyDelta, DeltaGapError, revertInPlace, settleInPlace } from '../../config/apply.ts';
import { diff } from '../../config/diff.ts';
import { hashEntities } from '../../config/hash.ts';
import { GROUPS } from '../../config/types.ts';
import { bigConfig, fixture, snapshot } from './helpers.ts';

function edit(text: string): string {
  return text
    .replace('weight: 50', 'weight: 60')
    .replace('  - name: prometheus\n    config: { per_consumer: true }\n', '')
    .replace('consumers:\n', 'consumers:\n  - username: carol\n');
}

test('applying diff(prev, next) to prev gives next', () => {
  const prev = snapshot(fixture('nested.yaml'), 1);
  const next = snapshot(edit(fixture('nested.yaml')), 2);
  const applied = applyDelta(prev, diff(prev, next));
  assert.deepEqual(applied, next);
  // The hashes it carries are the ones the entities really have.
  const rehashed = hashEntities(applied.entities);
  assert.deepEqual(rehashed.groupHashes, applied.groupHashes);
  assert.equal(rehashed.hash, applied.hash);
});

test('copy-on-write: changed groups are new objects, unchanged groups keep their identity, the input is untouched', () => {
  const prev = snapshot(fixture('nested.yaml'), 1);
  const before = structuredClone(prev);
  const next = snapshot(edit(fixture('nested.yaml')), 2);
  const applied = applyDelta(prev, diff(prev, next));
  assert.notEqual(applied, prev);
  const changed = new Set(['targets', 'plugins', 'consumers']);
  for (const g of GROUPS) {
    if (changed.has(g)) {
      assert.notEqual(applied.entities[g], prev.entities[g], g);
      assert.notEqual(applied.entityHashes[g], prev.entityHashes[g], g);
    } else {
      assert.equal(applied.entities[g], prev.entities[g], g);
      assert.equal(applied.entityHashes[g], prev.entityHashes[g], g);
    }
  }
  assert.deepEqual(prev, before);
});

test('a delta that does not follow the snapshot throws DeltaGapError', () => {
  const a = snapshot(fixture('nested.yaml'), 1);
  const b = snapshot(edit(fixture('nested.yaml')), 2);
  const c = snapshot(fixture('nested.yaml'), 3);
  const d = diff(b, c);
  assert.throws(
    () => applyDelta(a, d),
    (err: unknown) => err instanceof DeltaGapError && err.code === 'SLUICE_ERR_DELTA_GAP' && err.have === 1 && err.got === 2,
  );
  // Deltas chain.
  assert.deepEqual(applyDelta(applyDelta(a, diff(a, b)), d), c);
});

test('a delta survives structured clone (it crosses a MessagePort) and still applies', () => {
  const prev = snapshot(fixture('nested.yaml'), 1);
  const next = snapshot(edit(fixture('nested.yaml')), 2);
  assert.deepEqual(applyDelta(structuredClone(prev), structuredClone(diff(prev, next))), next);
});

test('one target change in a 10,000-route snapshot applies fast and leaves the routes object as is', (t) => {
  const prev = snapshot(bigConfig(10_000), 1);
  const next = snapshot(bigConfig(10_000, 55), 2);
  const d = diff(prev, next);
  const t0 = performance.now();
  const applied = applyDelta(prev, d);
  const ms = performance.now() - t0;
  assert.equal(applied.entities.routes, prev.entities.routes);
  assert.equal(applied.hash, next.hash);
  t.diagnostic(`apply of a one-target delta: ${ms.toFixed(2)} ms`);
  assert.ok(ms < 20, `apply took ${ms.toFixed(2)} ms`);
});

test('inPlace: the named groups are edited in place to the same result, and revertInPlace puts them back', () => {
  const prev = snapshot(fixture('nested.yaml'), 1);
  const before = structuredClone(prev);
  const next = snapshot(edit(fixture('nested.yaml')), 2);
  const delta = diff(prev, next);
  const applied = applyDelta(prev, delta, { inPlace: ['targets', 'consumers'] });
  assert.deepEqual(applied, next);
  // Edited in place: the very records of the input, which now hold the new content.
  assert.equal(applied.entities.targets, prev.entities.targets);
  assert.equal(applied.entityHashes.consumers, prev.entityHashes.consumers);
  assert.deepEqual(prev.entities.targets, next.entities.targets);
  // Not named: copied as always.
  assert.notEqual(applied.entities.plugins, prev.entities.plugins);
  revertInPlace(applied);
  assert.deepEqual(prev, before);
});

test('inPlace: settleInPlace makes revertInPlace a no-op', () => {
  const prev = snapshot(fixture('nested.yaml'), 1);
  const next = snapshot(edit(fixture('nested.yaml')), 2);
  const applied = applyDelta(prev, diff(prev, next), { inPlace: ['targets'] });
  settleInPlace(applied);
  revertInPlace(applied);
  assert.deepEqual(applied, next);
});
