// proxy-cache through the worker's real data path to a real upstream that counts what reaches it:
// Miss/Hit/Refresh/Bypass, the cache key (query, vary_query_params, vary_headers), cache_control
// both ways, TTLs on the timer wheel, answers cut short or split, and the store kept across a
// reconfigure.
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { before, describe, test } from 'node:test';
import { request, type Reply } from '../../../helpers/http.ts';
import { startUpstream, type Upstream } from '../../../helpers/upstream.ts';
import { snapshotOf, suiteCleanup } from '../helpers.ts';
import { startProxy, type ProxyHarness } from '../proxy-harness.ts';

let served = 0;

/** `type`, `status`, `cc` (Cache-Control), `cut` (dies mid-body), `split` (body in pieces), `size`. */
function answer(req: IncomingMessage, res: ServerResponse): void {
  served++;
  const url = new URL(req.url ?? '/', 'http://x');
  const p = url.searchParams;
  const body = p.has('size') ? 'x'.repeat(Number(p.get('size'))) : `answer ${served} to ${req.method} ${req.url}`;
  const headers: Record<string, string | string[]> = { 'content-type': p.get('type') ?? 'text/plain', 'set-cookie': ['a=1', 'b=2'] };
  if (p.has('cc')) headers['cache-control'] = p.get('cc')!;
  if (p.has('cut')) {
    res.writeHead(200, { ...headers, 'content-length': String(body.length + 100) });
    res.write(body);
    setTimeout(() => res.destroy(), 20);
    return;
  }
  res.writeHead(Number(p.get('status') ?? '200'), headers);
  if (p.has('split')) {
    res.write(body.slice(0, 5));
    setTimeout(() => res.end(body.slice(5)), 20);
    return;
  }
  res.end(body);
}

function doc(upstream: string, extra = false): Record<string, unknown> {
  const route = (name: string, config: Record<string, unknown>): Record<string, unknown> => ({ name, paths: [`/${name}`], plugins: [{ name: 'proxy-cache', config: { strategy: 'memory', ...config } }] });
  return {
    services: [
      {
        name: 's',
        url: upstream,
        routes: [
          route('basic', {}),
          route('vary', { vary_query_params: ['a'], vary_headers: ['X-Lang'] }),
          route('cc', { cache_control: true }),
          route('short', { cache_ttl: 1 }),
          route('stale', { cache_ttl: 1, storage_ttl: 60 }),
          route('case', { ignore_uri_case: true }),
          route('quiet', { response_headers: { age: false, 'X-Cache-Status': false, 'X-Cache-Key': false } }),
        ],
      },
      ...(extra ? [{ name: 'other', url: upstream, routes: [{ name: 'other', paths: ['/other'] }] }] : []),
    ],
  };
}

describe('proxy-cache', () => {
  let upstream: Upstream;
  let proxy: ProxyHarness;
  const cleanup = suiteCleanup();
  before(async () => {
    upstream = await startUpstream(answer);
    cleanup.after(() => upstream.close());
    proxy = await startProxy(cleanup, snapshotOf(doc(upstream.url)));
  });

  const get = async (path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Reply & { upstream: number }> => {
    const before = served;
    const reply = await request(`${proxy.url}${path}`, { headers, method });
    return { ...reply, upstream: served - before };
  };

  test('Miss, then Hit from the store with Age and the same key; the upstream is asked once', async () => {
    const miss = await get('/basic?x=1');
    assert.equal(miss.headers['x-cache-status'], 'Miss');
    assert.match(String(miss.headers['x-cache-key']), /^[0-9a-f]{64}$/);
    assert.equal(miss.upstream, 1);
    const hit = await get('/basic?x=1');
    assert.equal(hit.upstream, 0);
    assert.equal(hit.status, 200);
    assert.equal(hit.headers['x-cache-status'], 'Hit');
    assert.equal(hit.headers['x-cache-key'], miss.headers['x-cache-key']);
    assert.equal(hit.body, miss.body);
    assert.match(String(hit.headers.age), /^\d+$/);
    assert.deepEqual(hit.headers['set-cookie'], ['a=1', 'b=2'], 'a repeated header is replayed as it was');
    assert.equal(hit.headers['content-length'], String(Buffer.byteLength(hit.body)));
    const head = await get('/basic?x=1', {}, 'HEAD');
    assert.equal(head.headers['x-cache-status'], 'Miss', 'HEAD has its own key');
  });

  test('the key: all query arguments by default (order-free); vary_query_params and vary_headers', async () => {
    await get('/basic?p=1&q=2');
    assert.equal((await get('/basic?q=2&p=1')).headers['x-cache-status'], 'Hit', 'argument order does not matter');
    assert.equal((await get('/basic?p=1&q=3')).headers['x-cache-status'], 'Miss');
    await get('/vary?a=1&b=1', { 'x-lang': 'en' });
    assert.equal((await get('/vary?a=1&b=2', { 'x-lang': 'en' })).headers['x-cache-status'], 'Hit', 'b is not in vary_query_params');
    assert.equal((await get('/vary?a=2&b=1', { 'x-lang': 'en' })).headers['x-cache-status'], 'Miss');
    assert.equal((await get('/vary?a=1&b=1', { 'x-lang': 'fr' })).headers['x-cache-status'], 'Miss', 'X-Lang is a vary header');
  });

  test('ignore_uri_case: the path is keyed lower-cased; without it, case matters', async () => {
    await get('/case/Item');
    assert.equal((await get('/case/ITEM')).headers['x-cache-status'], 'Hit');
    await get('/basic/Item');
    assert.equal((await get('/basic/ITEM')).headers['x-cache-status'], 'Miss');
  });

  test('Bypass: a method not in request_method, a status not in response_code, a content type not listed exactly in content_type', async () => {
    const post = await get('/basic', {}, 'POST');
    assert.equal(post.headers['x-cache-status'], 'Bypass');
    assert.equal(post.headers['x-cache-key'], undefined);
    for (const query of ['status=500', 'type=text/html', 'type=text/plain;%20charset=utf-8']) {
      assert.equal((await get(`/basic?${query}`)).headers['x-cache-status'], 'Bypass', query);
      const again = await get(`/basic?${query}`);
      assert.equal(again.headers['x-cache-status'], 'Bypass', `${query}: not stored`);
      assert.equal(again.upstream, 1);
    }
    assert.equal((await get('/basic?type=application/json')).headers['x-cache-status'], 'Miss');
    assert.equal((await get('/basic?status=404')).headers['x-cache-status'], 'Miss');
    assert.equal((await get('/basic?status=404')).headers['x-cache-status'], 'Hit');
  });

  test('cache_control: request no-store/no-cache/Authorization bypass; private and max-age=0 answers are not stored; only-if-cached', async () => {
    assert.equal((await get('/cc?cc=max-age=60', { 'cache-control': 'no-store' })).headers['x-cache-status'], 'Bypass');
    assert.equal((await get('/cc?cc=max-age=60', { authorization: 'Bearer x' })).headers['x-cache-status'], 'Bypass');
    assert.equal((await get('/cc?cc=private,max-age=60')).headers['x-cache-status'], 'Bypass');
    assert.equal((await get('/cc?cc=max-age=0')).headers['x-cache-status'], 'Bypass');
    assert.equal((await get('/cc?cc=no-cache')).headers['x-cache-status'], 'Bypass');
    assert.equal((await get('/cc?nocc=1')).headers['x-cache-status'], 'Bypass', 'no Cache-Control: TTL 0');
    const missing = await get('/cc?cc=max-age=60&never=1', { 'cache-control': 'only-if-cached' });
    assert.equal(missing.status, 504);
    assert.equal(missing.upstream, 0);
    assert.equal((await get('/cc?cc=s-maxage=60')).headers['x-cache-status'], 'Miss');
    assert.equal((await get('/cc?cc=s-maxage=60')).headers['x-cache-status'], 'Hit');
    assert.equal((await get('/cc?cc=s-maxage=60', { 'cache-control': 'min-fresh=120' })).headers['x-cache-status'], 'Refresh');
  });

  test('TTL on the timer wheel: without storage_ttl the entry is gone after cache_ttl; with it, it is stale (Refresh)', async () => {
    await get('/short');
    await get('/stale');
    assert.equal((await get('/short')).headers['x-cache-status'], 'Hit');
    await new Promise((resolve) => setTimeout(resolve, 2100));
    assert.equal((await get('/short')).headers['x-cache-status'], 'Miss', 'expired and removed');
    assert.equal((await get('/stale')).headers['x-cache-status'], 'Refresh', 'kept for storage_ttl, too old to serve');
  });

  test('response_headers off hides them; Kong-Debug shows them', async () => {
    await get('/quiet');
    const quiet = await get('/quiet');
    assert.equal(quiet.upstream, 0);
    assert.equal(quiet.headers['x-cache-status'], undefined);
    assert.equal(quiet.headers.age, undefined);
    const debug = await get('/quiet', { 'kong-debug': '1' });
    assert.equal(debug.headers['x-cache-status'], 'Hit');
    assert.match(String(debug.headers['x-cache-key']), /^[0-9a-f]{64}$/);
  });

  test('an answer cut short is not stored; one split across reads is stored whole; one too large is passed on, not stored', async () => {
    await request(`${proxy.url}/basic?cut=1`).catch(() => undefined);
    const after = await get('/basic?split=1');
    assert.equal(after.headers['x-cache-status'], 'Miss');
    const hit = await get('/basic?split=1');
    assert.equal(hit.headers['x-cache-status'], 'Hit');
    assert.equal(hit.body, after.body);
    const cut = await request(`${proxy.url}/basic?cut=1`).catch(() => null);
    assert.ok(cut === null || cut.headers['x-cache-status'] !== 'Hit', 'a cut answer was never stored');
    const size = 17 * 1024 * 1024;
    const big = await get(`/basic?size=${size}`);
    assert.equal(big.body.length, size);
    const again = await get(`/basic?size=${size}`);
    assert.equal(again.headers['x-cache-status'], 'Miss', 'too large to store');
  });

  test('the store survives an unrelated reconfigure (same instance, entries still hit)', async () => {
    await get('/basic?keep=1');
    assert.equal((await get('/basic?keep=1')).headers['x-cache-status'], 'Hit');
    const created = proxy.deps.instances.created;
    proxy.install(snapshotOf(doc(upstream.url, true)));
    assert.equal((await get('/other')).status, 200);
    const after = await get('/basic?keep=1');
    assert.equal(after.headers['x-cache-status'], 'Hit');
    assert.equal(after.upstream, 0);
    assert.equal(proxy.deps.instances.created, created, 'no instance made');
  });
});
