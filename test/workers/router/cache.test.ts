import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TwoGenerationCache } from '../../../workers/router/cache.ts';

describe('TwoGenerationCache', () => {
  it('holds at most two generations of keys', () => {
    const cache = new TwoGenerationCache<number>(4);
    for (let i = 0; i < 100; i++) cache.set(`k${i}`, i);
    assert.ok(cache.size <= 8, `size ${cache.size}`);
    assert.equal(cache.get('k99'), 99);
    assert.equal(cache.get('k0'), undefined);
  });

  it('keeps a key that is read in every generation', () => {
    const cache = new TwoGenerationCache<number>(4);
    cache.set('hot', 1);
    for (let i = 0; i < 50; i++) {
      cache.set(`cold${i}`, i);
      assert.equal(cache.get('hot'), 1, `after ${i} cold keys`);
    }
  });

  it('stores null as a value, distinct from a miss', () => {
    const cache = new TwoGenerationCache<number | null>(4);
    cache.set('none', null);
    assert.equal(cache.get('none'), null);
    assert.equal(cache.get('missing'), undefined);
  });
});
