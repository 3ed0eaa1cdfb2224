// A gateway-made answer (kong.response.exit in Kong: an auth 401, request-termination, a
// proxy-cache hit) still goes through the route's header_filter and body_filter plugins, as Kong
// runs them on every answer (Kong's cors spec: "works with 40x responses returned by another plugin").
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { request } from '../../helpers/http.ts';
import { startUpstream } from '../../helpers/upstream.ts';
import { snapshotOf, suiteCleanup } from './helpers.ts';
import { startProxy } from './proxy-harness.ts';

const transformer = {
  name: 'response-transformer',
  config: { add: { headers: ['x-added:yes'], json: ['flag:true'], json_types: ['boolean'] }, remove: { headers: ['x-secret'] } },
};

describe('exit answers go through header_filter and body_filter', () => {
  const cleanup = suiteCleanup();

  test('a key-auth 401 gets response-transformer edits on its head and JSON body, and cors headers', async () => {
    let served = 0;
    const upstream = await startUpstream((_req, res) => {
      served++;
      res.end('upstream');
    });
    cleanup.after(() => upstream.close());
    const doc = {
      services: [{ name: 's', url: upstream.url, routes: [{ name: 'r', paths: ['/auth'], plugins: [{ name: 'key-auth' }, transformer, { name: 'cors', config: { origins: ['https://app.example'] } }] }] }],
    };
    const proxy = await startProxy(cleanup, snapshotOf(doc));
    const reply = await request(`${proxy.url}/auth`, { headers: { origin: 'https://app.example' } });
    assert.equal(reply.status, 401);
    assert.equal(reply.headers['x-added'], 'yes');
    assert.equal(reply.headers['access-control-allow-origin'], 'https://app.example');
    const body = JSON.parse(reply.body) as Record<string, unknown>;
    assert.equal(body['message'], 'No API key found in request');
    assert.equal(body['flag'], true);
    assert.equal(Number(reply.headers['content-length']), Buffer.byteLength(reply.body));
    assert.equal(served, 0);
  });

  test('a request-termination answer gets the correlation id echoed and the response-transformer header', async () => {
    const doc = {
      services: [
        {
          name: 's',
          url: 'http://127.0.0.1:9',
          routes: [
            {
              name: 'r',
              paths: ['/stop'],
              plugins: [
                { name: 'request-termination', config: { status_code: 403, message: 'closed' } },
                { name: 'correlation-id', config: { header_name: 'x-cid', echo_downstream: true } },
                { name: 'response-transformer', config: { add: { headers: ['x-added:yes'] } } },
              ],
            },
          ],
        },
      ],
    };
    const proxy = await startProxy(cleanup, snapshotOf(doc));
    const reply = await request(`${proxy.url}/stop`);
    assert.equal(reply.status, 403);
    assert.equal(reply.headers['x-added'], 'yes');
    assert.match(String(reply.headers['x-cid']), /\S/);
    assert.equal((JSON.parse(reply.body) as { message: string }).message, 'closed');
  });

  test('a proxy-cache hit goes through response-transformer added after the answer was stored', async () => {
    let served = 0;
    const upstream = await startUpstream((_req, res) => {
      served++;
      res.setHeader('content-type', 'application/json');
      res.setHeader('x-secret', 'upstream-only');
      res.end('{"n":1}');
    });
    cleanup.after(() => upstream.close());
    const cache = { name: 'proxy-cache', config: { strategy: 'memory', content_type: ['application/json'] } };
    const docWith = (plugins: unknown[]): Record<string, unknown> => ({ services: [{ name: 's', url: upstream.url, routes: [{ name: 'r', paths: ['/cached'], plugins }] }] });
    const proxy = await startProxy(cleanup, snapshotOf(docWith([cache])));
    const miss = await request(`${proxy.url}/cached`);
    assert.equal(miss.headers['x-cache-status'], 'Miss');
    assert.equal(miss.headers['x-secret'], 'upstream-only');
    // The store survives a change that leaves proxy-cache's config alone; the hit now meets the transformer.
    proxy.install(snapshotOf(docWith([cache, transformer])));
    let hit = await request(`${proxy.url}/cached`);
    // The store is filled when the miss's body ended: a second try covers the write racing the reply.
    if (hit.headers['x-cache-status'] !== 'Hit') hit = await request(`${proxy.url}/cached`);
    assert.equal(hit.headers['x-cache-status'], 'Hit');
    assert.equal(served, 1);
    assert.equal(hit.status, 200);
    assert.equal(hit.headers['x-added'], 'yes');
    assert.equal(hit.headers['x-secret'], undefined);
    assert.deepEqual(JSON.parse(hit.body), { n: 1, flag: true });
  });
});
