import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TwoGenerationCache } from '../../../workers/router/cache.ts';
import { buildRouter } from '../../../workers/router/router.ts';
import { route, service } from './fixtures.ts';

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

describe('TwoGenerationCache byte budget', () => {
  it('holds at most its budget, whatever the sizes, and keeps nothing bigger than half of it', () => {
    const cache = new TwoGenerationCache<string>(1_000_000, 10_000, (key, value) => key.length + value.length);
    for (let i = 0; i < 5000; i++) {
      cache.set(`k${i}`.padEnd(1 + (i % 700), 'x'), 'v');
      assert.ok(cache.bytes <= 10_000, `after ${i}: ${cache.bytes} bytes`);
    }
    cache.set('big'.padEnd(6000, 'x'), 'v');
    assert.equal(cache.get('big'.padEnd(6000, 'x')), undefined);
  });

  it('counts a key set twice once', () => {
    const cache = new TwoGenerationCache<string>(100, 1000, (key, value) => key.length + value.length);
    cache.set('a', 'xx');
    cache.set('a', 'yyyy');
    assert.equal(cache.bytes, 5);
    assert.equal(cache.get('a'), 'yyyy');
  });
});

describe('router cache memory under hostile Host headers', () => {
  const services = { svc: service({ id: 'svc' }) };
  const routes = [route({ id: 'any', paths: ['/'] }), route({ id: 'h', hosts: ['*.example.com'], paths: ['/'] })];

  it('stays within its byte budget over 10k requests with distinct 16 KB Hosts', () => {
    const router = buildRouter(routes, services);
    const pad = 'a'.repeat(16 * 1024);
    for (let i = 0; i < 10_000; i++) {
      const match = router.match('GET', `${i}${pad}.example.com`, '/x', {});
      assert.equal(match?.route.id, 'h');
      assert.ok(router.cacheBytes <= router.cacheBudget, `after ${i}: ${router.cacheBytes} > ${router.cacheBudget}`);
    }
    // Longer than any DNS name: not worth a cache slot at all.
    assert.equal(router.cacheEntries, 0);
  });

  it('stays within its byte budget with distinct Hosts short enough to cache, evicting old ones', () => {
    const router = buildRouter(routes, services, { cacheSize: 1_000_000, cacheBytes: 256 * 1024 });
    const pad = 'b'.repeat(240);
    let most = 0;
    for (let i = 0; i < 10_000; i++) {
      router.match('GET', `${i}${pad}.example.com`, '/x', {});
      most = Math.max(most, router.cacheEntries);
      assert.ok(router.cacheBytes <= 256 * 1024, `after ${i}: ${router.cacheBytes}`);
    }
    // ~420 B per entry: about 600 entries fit, not 10,000.
    assert.ok(most < 1000 && most > 100, `held at most ${most} entries`);
  });

  it('keeps the worker heap bounded over 10k requests with 16 KB Hosts', { skip: (globalThis as { gc?: unknown }).gc === undefined ? 'needs --expose-gc' : false }, () => {
    const gc = (globalThis as unknown as { gc: () => void }).gc;
    const router = buildRouter(routes, services);
    const pad = 'c'.repeat(16 * 1024);
    gc();
    const before = process.memoryUsage().heapUsed;
    // Flat strings of their own, as the parser hands them over (a template literal would share `pad`).
    for (let i = 0; i < 10_000; i++) router.match('GET', Buffer.from(`${i}${pad}.example.com`, 'latin1').toString('latin1'), `/p${i}`, {});
    gc();
    const grown = process.memoryUsage().heapUsed - before;
    // Without the Host cap and the byte budget, these requests keep ~98 MB of keys alive in the cache.
    assert.ok(grown < 8 * 1024 * 1024, `heap grew ${grown} bytes`);
  });
});
