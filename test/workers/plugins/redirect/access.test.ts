// redirect (Kong 3.9+) through the worker's real data path and a real upstream that must never
// be reached: status_code, Location, keep_incoming_path with the request's path and query.
import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import { request } from '../../../helpers/http.ts';
import { startUpstream } from '../../../helpers/upstream.ts';
import { snapshotOf } from '../helpers.ts';
import { startProxy, type ProxyHarness } from '../proxy-harness.ts';

async function gateway(t: TestContext, config: Record<string, unknown>): Promise<{ proxy: ProxyHarness; hits: () => number }> {
  let hits = 0;
  const upstream = await startUpstream((_req, res) => {
    hits++;
    res.end('upstream');
  });
  t.after(() => upstream.close());
  const proxy = await startProxy(t, snapshotOf({ services: [{ name: 's', url: upstream.url, routes: [{ name: 'r', paths: ['/'] }] }], plugins: [{ name: 'redirect', config }] }));
  return { proxy, hits: () => hits };
}

describe('redirect', () => {
  test('301 to the location as written, body "redirecting"; the upstream is never called', async (t) => {
    const { proxy, hits } = await gateway(t, { location: 'https://new.example/landing?from=old' });
    const reply = await request(`${proxy.url}/some/path?q=1`, { method: 'POST', body: 'ignored' });
    assert.equal(reply.status, 301);
    assert.equal(reply.headers.location, 'https://new.example/landing?from=old');
    assert.equal(reply.body, 'redirecting');
    assert.equal(hits(), 0);
  });

  test('status_code and keep_incoming_path: the request path and query replace the location\'s', async (t) => {
    const { proxy } = await gateway(t, { location: 'https://user:pw@new.example:8443/ignored?x=1#frag', status_code: 308, keep_incoming_path: true });
    const reply = await request(`${proxy.url}/a/b%20c?q=1&r=2`);
    assert.equal(reply.status, 308);
    assert.equal(reply.headers.location, 'https://user:pw@new.example:8443/a/b%20c?q=1&r=2#frag');
    const bare = await request(`${proxy.url}/`);
    assert.equal(bare.headers.location, 'https://user:pw@new.example:8443/#frag');
  });
});
