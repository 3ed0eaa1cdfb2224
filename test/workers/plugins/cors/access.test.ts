// cors through the worker's real data path (proxy-harness.ts) and a real upstream: preflights
// answered by the gateway, origins (exact, regex by host or by origin, `*`), credentials, expose
// headers, preflight_continue, private_network, allow_origin_absent, an upstream's own headers.
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, test, type TestContext } from 'node:test';
import { request, type Reply } from '../../../helpers/http.ts';
import { startUpstream } from '../../../helpers/upstream.ts';
import { snapshotOf } from '../helpers.ts';
import { startProxy, type ProxyHarness } from '../proxy-harness.ts';

/** An upstream that counts its requests and sends its own CORS and Vary headers when asked. */
async function gateway(t: TestContext, config: Record<string, unknown>, extra: Record<string, unknown>[] = []): Promise<{ proxy: ProxyHarness; hits: () => number }> {
  let hits = 0;
  const upstream = await startUpstream((req: IncomingMessage, res: ServerResponse) => {
    hits++;
    const headers: Record<string, string> = { 'content-type': 'text/plain' };
    if (req.headers['x-send-cors'] !== undefined) headers['access-control-allow-origin'] = 'http://upstream.example';
    if (req.headers['x-send-vary'] !== undefined) headers['vary'] = 'Accept-Encoding';
    res.writeHead(200, headers);
    res.end(`upstream ${req.method}`);
  });
  t.after(() => upstream.close());
  const proxy = await startProxy(t, snapshotOf({ services: [{ name: 's', url: upstream.url, routes: [{ name: 'r', paths: ['/'] }] }], plugins: [{ name: 'cors', config }, ...extra] }));
  return { proxy, hits: () => hits };
}

function cors(reply: Reply): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(reply.headers)) if (name.startsWith('access-control-') || name === 'vary') out[name] = String(value);
  return out;
}

const preflight = (origin: string, extra: Record<string, string> = {}) => ({ method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', ...extra } });

describe('cors', () => {
  test('defaults: a preflight is answered 200 by the gateway with every method, ACAO *, requested headers echoed', async (t) => {
    const { proxy, hits } = await gateway(t, {});
    const reply = await request(`${proxy.url}/x`, preflight('http://a.example', { 'access-control-request-headers': 'X-One,X-Two' }));
    assert.equal(reply.status, 200);
    assert.equal(reply.body, '');
    assert.deepEqual(cors(reply), {
      'access-control-allow-origin': '*',
      'access-control-allow-headers': 'X-One,X-Two',
      'access-control-allow-methods': 'GET,HEAD,PUT,PATCH,POST,DELETE,OPTIONS,TRACE,CONNECT',
    });
    assert.equal(hits(), 0, 'the upstream never saw the preflight');
    // An OPTIONS without Access-Control-Request-Method is no preflight: proxied.
    const plain = await request(`${proxy.url}/x`, { method: 'OPTIONS', headers: { origin: 'http://a.example' } });
    assert.equal(plain.body, 'upstream OPTIONS');
    assert.equal(plain.headers['access-control-allow-origin'], '*');
    assert.equal(hits(), 1);
  });

  test('configured preflight: headers, methods, max_age, credentials with one origin', async (t) => {
    const { proxy } = await gateway(t, { origins: ['http://a.example'], headers: ['X-A', 'X-B'], methods: ['GET', 'POST'], max_age: 3600, credentials: true });
    const reply = await request(`${proxy.url}/x`, preflight('http://other.example', { 'access-control-request-headers': 'X-Ignored' }));
    assert.deepEqual(cors(reply), {
      'access-control-allow-origin': 'http://a.example',
      'access-control-allow-credentials': 'true',
      'access-control-allow-headers': 'X-A,X-B',
      'access-control-allow-methods': 'GET,POST',
      'access-control-max-age': '3600',
      vary: 'Origin',
    });
  });

  test('several origins: exact (default port dropped), regex by host, regex with a port by origin; others get no ACAO', async (t) => {
    const { proxy } = await gateway(t, { origins: ['http://a.example:80', String.raw`(.*)\.b\.example`, String.raw`https://c\.example:8443`], exposed_headers: ['X-Exposed'] });
    const origin = async (value: string): Promise<Record<string, string>> => cors(await request(`${proxy.url}/x`, { headers: { origin: value } }));
    assert.deepEqual(await origin('http://a.example'), { 'access-control-allow-origin': 'http://a.example', 'access-control-expose-headers': 'X-Exposed', vary: 'Origin' });
    assert.equal((await origin('http://a.example:80'))['access-control-allow-origin'], 'http://a.example');
    assert.equal((await origin('https://x.b.example'))['access-control-allow-origin'], 'https://x.b.example', 'matched by its host');
    assert.equal((await origin('https://x.b.example.evil'))['access-control-allow-origin'], undefined, 'the regex is anchored at the end');
    assert.equal((await origin('https://evil.example/x.b.example'))['access-control-allow-origin'], undefined);
    assert.equal((await origin('https://c.example:8443'))['access-control-allow-origin'], 'https://c.example:8443', 'with a port: matched by origin');
    assert.equal((await origin('https://c.example:9443'))['access-control-allow-origin'], undefined);
    const refused = await origin('http://z.example');
    assert.equal(refused['access-control-allow-origin'], undefined);
    assert.equal(refused['vary'], 'Origin');
  });

  test("an upstream's ACAO is replaced when allowed and removed when not; Vary is appended to", async (t) => {
    const { proxy } = await gateway(t, { origins: ['http://a.example', 'http://b.example'] });
    const allowed = await request(`${proxy.url}/x`, { headers: { origin: 'http://b.example', 'x-send-cors': '1', 'x-send-vary': '1' } });
    assert.equal(allowed.headers['access-control-allow-origin'], 'http://b.example');
    assert.equal(allowed.headers['vary'], 'Accept-Encoding, Origin');
    const refused = await request(`${proxy.url}/x`, { headers: { origin: 'http://z.example', 'x-send-cors': '1' } });
    assert.equal(refused.headers['access-control-allow-origin'], undefined);
  });

  test('credentials with origins `*`: the request Origin is echoed; no Origin: ACAO * only', async (t) => {
    const { proxy } = await gateway(t, { origins: ['*'], credentials: true });
    assert.deepEqual(cors(await request(`${proxy.url}/x`, { headers: { origin: 'http://a.example' } })), {
      'access-control-allow-origin': 'http://a.example',
      'access-control-allow-credentials': 'true',
      vary: 'Origin',
    });
    assert.deepEqual(cors(await request(`${proxy.url}/x`)), { 'access-control-allow-origin': '*' });
  });

  test('allow_origin_absent off: a request without Origin gets no CORS headers', async (t) => {
    const { proxy } = await gateway(t, { origins: ['http://a.example'], allow_origin_absent: false });
    assert.deepEqual(cors(await request(`${proxy.url}/x`)), {});
    const on = await gateway(t, { origins: ['http://a.example'] });
    assert.equal((await request(`${on.proxy.url}/x`)).headers['access-control-allow-origin'], 'http://a.example');
  });

  test('preflight_continue: the preflight goes to the upstream, without CORS headers from the gateway', async (t) => {
    const { proxy, hits } = await gateway(t, { preflight_continue: true });
    const reply = await request(`${proxy.url}/x`, preflight('http://a.example'));
    assert.equal(reply.body, 'upstream OPTIONS');
    assert.deepEqual(cors(reply), {});
    assert.equal(hits(), 1);
  });

  test('private_network: Access-Control-Allow-Private-Network only when asked for and enabled', async (t) => {
    const { proxy } = await gateway(t, { private_network: true });
    const asked = await request(`${proxy.url}/x`, preflight('http://a.example', { 'access-control-request-private-network': 'true' }));
    assert.equal(asked.headers['access-control-allow-private-network'], 'true');
    assert.equal((await request(`${proxy.url}/x`, preflight('http://a.example')))['headers']['access-control-allow-private-network'], undefined);
    const off = await gateway(t, {});
    const notEnabled = await request(`${off.proxy.url}/x`, preflight('http://a.example', { 'access-control-request-private-network': 'true' }));
    assert.equal(notEnabled.headers['access-control-allow-private-network'], undefined);
  });

  test('an answer made by a later plugin (key-auth 401) carries the CORS headers', async (t) => {
    const { proxy } = await gateway(t, { origins: ['http://a.example'], credentials: true }, [{ name: 'key-auth' }]);
    const reply = await request(`${proxy.url}/x`, { headers: { origin: 'http://a.example' } });
    assert.equal(reply.status, 401);
    assert.equal(reply.headers['access-control-allow-origin'], 'http://a.example');
    assert.equal(reply.headers['access-control-allow-credentials'], 'true');
    // The preflight itself is answered before key-auth (cors runs first, as in Kong).
    assert.equal((await request(`${proxy.url}/x`, preflight('http://a.example'))).status, 200);
  });
});
