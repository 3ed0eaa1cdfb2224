// SortedPairs (config/sorted-pairs.ts): after any sequence of sets and deletes its digest is the
// group hash of the same pairs computed from scratch (config/hash.ts groupHash).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { digest, groupHash } from '../../config/hash.ts';
import { SortedPairs } from '../../config/sorted-pairs.ts';

test('digest equals groupHash after random sets and deletes, across chunk splits and empty chunks', () => {
  let x = 12345;
  const random = (): number => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
  const hashes: Record<string, string> = {};
  for (let i = 0; i < 700; i++) hashes[randomUUID()] = digest(i);
  const pairs = new SortedPairs(Object.keys(hashes).sort(), hashes);
  assert.equal(pairs.digest(), groupHash(hashes));
  for (let step = 0; step < 400; step++) {
    const ids = Object.keys(hashes);
    const r = random();
    if (r < 0.3 && ids.length > 0) {
      // Delete a run of neighbours now and then, so whole chunks empty out.
      const sorted = ids.sort();
      const from = Math.floor(random() * sorted.length);
      for (const id of sorted.slice(from, from + (random() < 0.1 ? 300 : 1))) {
        delete hashes[id];
        pairs.delete(id);
      }
    } else if (r < 0.6 && ids.length > 0) {
      const id = ids[Math.floor(random() * ids.length)] as string;
      hashes[id] = digest(`changed ${step}`);
      pairs.set(id, hashes[id]);
    } else {
      // Additions clustered below one id make a chunk grow past its split.
      const id = random() < 0.5 ? randomUUID() : `00000000-0000-4000-8000-${String(step).padStart(12, '0')}`;
      hashes[id] = digest(`added ${step}`);
      pairs.set(id, hashes[id]);
    }
    pairs.delete('not-there');
    assert.equal(pairs.digest(), groupHash(hashes), `step ${step}`);
  }
});

test('an empty set digests as an empty group', () => {
  const pairs = new SortedPairs([], {});
  assert.equal(pairs.digest(), groupHash({}));
  pairs.set('a', 'h');
  pairs.delete('a');
  assert.equal(pairs.digest(), digest([]));
});
