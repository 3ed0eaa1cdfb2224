// response-transformer through the worker's real data path to a real upstream: header edits,
// JSON body edits with json_types, non-JSON answers streamed untouched, malformed and split JSON
// answers, large bodies edited on the pool thread, and the instance kept across a reconfigure.
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { closeJsonPool, jsonPoolStats, OFFLOAD_BYTES } from '../../../../workers/transform/json-pool.ts';
import { request } from '../../../helpers/http.ts';
import { startUpstream, type Upstream } from '../../../helpers/upstream.ts';
import { snapshotOf, suiteCleanup } from '../helpers.ts';
import { startProxy, type ProxyHarness } from '../proxy-harness.ts';

/** Answers what the query asks: `type` (Content-Type), `body`, `split` (written in pieces), `size` (a large JSON answer). */
function answer(req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://x');
  const type = url.searchParams.get('type') ?? 'application/json';
  const size = Number(url.searchParams.get('size') ?? '0');
  const body = size > 0 ? JSON.stringify({ remove_me: 1, big: 'z'.repeat(size) }) : (url.searchParams.get('body') ?? '{"remove_me":1,"old":"o","rep":"r","list":[1],"keep":"k"}');
  res.setHeader('content-type', type);
  res.setHeader('x-remove', 'gone');
  res.setHeader('x-old', 'renamed');
  res.setHeader('x-rep', 'before');
  res.setHeader('x-keep', 'mine');
  res.setHeader('x-app', 'one');
  if (url.searchParams.has('split')) {
    const bytes = Buffer.from(body);
    res.write(bytes.subarray(0, 3));
    setTimeout(() => {
      res.write(bytes.subarray(3, 7));
      setTimeout(() => res.end(bytes.subarray(7)), 10);
    }, 10);
    return;
  }
  res.end(body);
}

function doc(upstream: string): Record<string, unknown> {
  return {
    services: [
      {
        name: 's',
        url: upstream,
        routes: [
          {
            name: 'all',
            paths: ['/all'],
            plugins: [
              {
                name: 'response-transformer',
                config: {
                  remove: { headers: ['x-remove'], json: ['remove_me'] },
                  rename: { headers: ['x-old:x-new'], json: ['old:new'] },
                  replace: { headers: ['x-rep:after', 'x-absent:never'], json: ['rep:7', 'absent:never'], json_types: ['number', 'string'] },
                  add: { headers: ['x-added:yes', 'x-keep:never'], json: ['flag:true', 'keep:never', 'text:a/b'], json_types: ['boolean', 'string', 'string'] },
                  append: { headers: ['x-app:two'], json: ['list:2'], json_types: ['number'] },
                },
              },
            ],
          },
          { name: 'headers', paths: ['/headers'], plugins: [{ name: 'response-transformer', config: { add: { headers: ['x-added:yes'] } } }] },
        ],
      },
    ],
  };
}

describe('response-transformer', () => {
  let upstream: Upstream;
  let proxy: ProxyHarness;
  const cleanup = suiteCleanup();
  before(async () => {
    upstream = await startUpstream(answer);
    cleanup.after(() => upstream.close());
    proxy = await startProxy(cleanup, snapshotOf(doc(upstream.url)));
  });
  after(() => closeJsonPool());

  test('headers: remove, rename, replace (when present), add (when absent), append', async () => {
    const reply = await request(`${proxy.url}/all?type=text/plain&body=hi`);
    assert.equal(reply.status, 200);
    assert.equal(reply.headers['x-remove'], undefined);
    assert.equal(reply.headers['x-old'], undefined);
    assert.equal(reply.headers['x-new'], 'renamed');
    assert.equal(reply.headers['x-rep'], 'after');
    assert.equal(reply.headers['x-absent'], undefined);
    assert.equal(reply.headers['x-added'], 'yes');
    assert.equal(reply.headers['x-keep'], 'mine');
    assert.equal(reply.headers['x-app'], 'one, two');
    assert.equal(reply.body, 'hi', 'a text answer is not edited');
  });

  test('JSON body: remove, rename, replace, add, append with json_types; Content-Length exact', async () => {
    const reply = await request(`${proxy.url}/all`);
    assert.equal(reply.status, 200);
    assert.deepEqual(reply.json(), { new: 'o', rep: 7, list: [1, 2], keep: 'k', flag: true, text: 'a/b' });
    assert.equal(reply.headers['content-length'], String(Buffer.byteLength(reply.body)));
  });

  test('application/*+json is JSON; a body split across reads is edited whole', async () => {
    const reply = await request(`${proxy.url}/all?type=application/vnd.api%2Bjson;%20charset=utf-8&split=1`);
    assert.deepEqual(reply.json(), { new: 'o', rep: 7, list: [1, 2], keep: 'k', flag: true, text: 'a/b' });
  });

  test('malformed or non-object JSON answers are sent as they are', async () => {
    for (const body of ['{"a":', '[1,2]', 'null', '']) {
      const reply = await request(`${proxy.url}/all?body=${encodeURIComponent(body)}`);
      assert.equal(reply.status, 200);
      assert.equal(reply.body, body);
    }
  });

  test('a header-only config streams JSON answers untouched', async () => {
    const reply = await request(`${proxy.url}/headers`);
    assert.equal(reply.headers['x-added'], 'yes');
    assert.equal(reply.body, '{"remove_me":1,"old":"o","rep":"r","list":[1],"keep":"k"}');
  });

  test('only JSON answers are held whole: a 17 MiB download on the same route streams; a JSON one past the 16 MiB cap is 502', async () => {
    const size = 17 * 1024 * 1024;
    const download = await request(`${proxy.url}/all?type=application/octet-stream&size=${size}`);
    assert.equal(download.status, 200);
    assert.equal(download.body.length, size + '{"remove_me":1,"big":""}'.length);
    const plain = await request(`${proxy.url}/headers?size=${size}`);
    assert.equal(plain.status, 200, 'a header-only config never holds the body');
    assert.equal(plain.body.length, size + '{"remove_me":1,"big":""}'.length);
    assert.equal((await request(`${proxy.url}/all?size=${size}`)).status, 502);
  });

  test(`JSON answers from ${OFFLOAD_BYTES} bytes are edited on the pool thread`, async () => {
    const before = jsonPoolStats().completed;
    const reply = await request(`${proxy.url}/all?size=${OFFLOAD_BYTES}`);
    assert.equal(jsonPoolStats().completed, before + 1);
    const body = reply.json<Record<string, unknown>>();
    assert.equal((body['big'] as string).length, OFFLOAD_BYTES);
    assert.equal(body['remove_me'], undefined);
    assert.equal(body['flag'], true);
  });

  test('keeps its instance across an unrelated reconfigure', async () => {
    const snapshot = proxy.state.snapshot;
    const plugin = Object.values(snapshot.entities.plugins)[0]!;
    const entry = (): unknown => proxy.deps.instances.entry(plugin, proxy.state.snapshot.entityHashes.plugins[plugin.id]!, proxy.deps.registry.get(plugin.name)!, proxy.deps.env).instance;
    await request(`${proxy.url}/all`);
    await request(`${proxy.url}/headers`);
    const instance = entry();
    assert.notEqual(instance, null);
    const created = proxy.deps.instances.created;
    const next = doc(upstream.url);
    (next['services'] as Record<string, unknown>[]).push({ name: 'other', url: upstream.url, routes: [{ name: 'other', paths: ['/other'] }] });
    proxy.install(snapshotOf(next));
    assert.equal((await request(`${proxy.url}/all`)).json<Record<string, unknown>>()['flag'], true);
    assert.equal(proxy.deps.instances.created, created);
    assert.equal(entry(), instance);
  });
});
