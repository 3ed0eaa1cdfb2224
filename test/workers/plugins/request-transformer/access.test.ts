// request-transformer through the worker's real data path (listener, router, plugins, connector)
// to a real upstream that echoes what it received: headers, querystring, JSON and form bodies,
// http_method, replace.uri and templates, as Kong 3's spec (spec/03-plugins/36-request-transformer)
// has them; hostile bodies (malformed, split, oversized) over raw sockets.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { jsonPoolStats, closeJsonPool, OFFLOAD_BYTES } from '../../../../workers/transform/json-pool.ts';
import { MAX_BODY_BYTES } from '../../../../workers/plugins/request-transformer/handler.ts';
import { request } from '../../../helpers/http.ts';
import { RawConnection, rawExchange } from '../../../helpers/raw-http.ts';
import { echoHandler, startUpstream, type Upstream } from '../../../helpers/upstream.ts';
import { snapshotOf, suiteCleanup } from '../helpers.ts';
import { startProxy, type ProxyHarness } from '../proxy-harness.ts';

interface Echo {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
}

function doc(upstream: string): Record<string, unknown> {
  const route = (name: string, config: Record<string, unknown>, paths = [`/${name}`]): Record<string, unknown> => ({
    name,
    paths,
    plugins: [{ name: 'request-transformer', config }],
  });
  return {
    services: [
      {
        name: 's',
        url: upstream,
        routes: [
          route('headers', {
            remove: { headers: ['x-gone', 'x-absent'] },
            rename: { headers: ['x-old:x-new'] },
            replace: { headers: ['x-rep:replaced', 'x-missing:never'] },
            add: { headers: ['x-add:added', 'x-keep:not-used'] },
            append: { headers: ['x-app:two', 'x-fresh:one'] },
          }),
          route('host', { replace: { headers: ['host:api.example.test'] } }),
          route('query', {
            remove: { querystring: ['drop'] },
            rename: { querystring: ['old:new'] },
            replace: { querystring: ['rep:R', 'absent:never'] },
            add: { querystring: ['add:A', 'keep:never'] },
            append: { querystring: ['app:2'] },
          }),
          route('json', {
            remove: { body: ['secret'] },
            rename: { body: ['old:new'] },
            replace: { body: ['rep:R', 'absent:never'] },
            add: { body: ['add:A', 'keep:never'] },
            append: { body: ['list:3', 'str:b'] },
          }),
          route('json-add', { add: { body: ['added:yes'] } }),
          route('form', { remove: { body: ['secret'] }, rename: { body: ['old:new'] }, add: { body: ['add:A'] }, append: { body: ['app:2'] } }),
          route('method', { http_method: 'GET' }),
          route('uri', { replace: { uri: '/requests/user2/$(uri_captures.user2)/user1/$(uri_captures.user1)' } }, ['~/tpl/user1/(?<user1>\\w+)/user2/(?<user2>\\w+)']),
          route('template', {
            add: { headers: ['x-from-query:$(query_params.q1)', 'x-from-header:$(headers.x_in)', 'x-escaped:$(\'$(uri_captures.user1)\')', 'x-missing:[$(headers.x_nope)]'] },
            replace: { querystring: ['q1:$(headers["x-in"])'] },
          }),
        ],
      },
    ],
  };
}

describe('request-transformer', () => {
  let upstream: Upstream;
  let proxy: ProxyHarness;
  const cleanup = suiteCleanup();
  before(async () => {
    upstream = await startUpstream(echoHandler);
    cleanup.after(() => upstream.close());
    proxy = await startProxy(cleanup, snapshotOf(doc(upstream.url)));
  });
  after(() => closeJsonPool());

  const echo = async (path: string, options: Parameters<typeof request>[1] = {}): Promise<Echo> => {
    const reply = await request(`${proxy.url}${path}`, options);
    assert.equal(reply.status, 200, reply.body);
    return reply.json<Echo>();
  };

  test('headers: remove, rename, replace (only when present), add (only when absent), append', async () => {
    const seen = await echo('/headers', { headers: { 'x-gone': '1', 'x-old': 'moved', 'x-rep': 'orig', 'x-keep': 'mine', 'x-app': 'one' } });
    assert.equal(seen.headers['x-gone'], undefined);
    assert.equal(seen.headers['x-old'], undefined);
    assert.equal(seen.headers['x-new'], 'moved');
    assert.equal(seen.headers['x-rep'], 'replaced');
    assert.equal(seen.headers['x-missing'], undefined);
    assert.equal(seen.headers['x-add'], 'added');
    assert.equal(seen.headers['x-keep'], 'mine');
    assert.equal(seen.headers['x-app'], 'one, two', 'appended as a second line');
    assert.equal(seen.headers['x-fresh'], 'one');
  });

  test('replace.headers Host: the one Host line upstream', async () => {
    const seen = await echo('/host');
    assert.equal(seen.headers.host, 'api.example.test');
  });

  test('querystring: remove, rename, replace, add, append, re-encoded', async () => {
    const seen = await echo('/query?drop=1&old=o&rep=x&keep=k&app=1&other=a%20b');
    const params = new URL(seen.url, 'http://x').searchParams;
    assert.equal(params.get('drop'), null);
    assert.equal(params.get('new'), 'o');
    assert.equal(params.get('old'), null);
    assert.equal(params.get('rep'), 'R');
    assert.equal(params.get('absent'), null);
    assert.equal(params.get('add'), 'A');
    assert.equal(params.get('keep'), 'k');
    assert.deepEqual(params.getAll('app'), ['1', '2']);
    assert.equal(params.get('other'), 'a b');
  });

  test('JSON body: remove, rename, replace, add, append; Content-Length recomputed', async () => {
    const body = JSON.stringify({ secret: 's', old: 1, rep: 'x', keep: 'k', list: [1, 2], str: 'a', other: { deep: true } });
    const seen = await echo('/json', { method: 'POST', headers: { 'content-type': 'application/json; charset=utf-8' }, body });
    assert.deepEqual(JSON.parse(seen.body), { new: 1, rep: 'R', keep: 'k', list: [1, 2, '3'], str: ['a', 'b'], other: { deep: true }, add: 'A' });
    assert.equal(seen.headers['content-length'], String(Buffer.byteLength(seen.body)));
  });

  test('JSON body: add fills an empty body; a chunked body goes upstream with a length', async () => {
    const empty = await echo('/json-add', { method: 'POST', headers: { 'content-type': 'application/json' } });
    assert.deepEqual(JSON.parse(empty.body), { added: 'yes' });
    const conn = await RawConnection.open(proxy.url);
    conn.write('POST /json-add HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n');
    conn.write('5\r\n{"a":\r\n');
    await new Promise((resolve) => setTimeout(resolve, 20));
    conn.write('2\r\n1}\r\n0\r\n\r\n');
    const reply = await conn.readResponse();
    conn.destroy();
    assert.equal(reply.status, 200);
    const seen = JSON.parse(reply.body.toString()) as Echo;
    assert.deepEqual(JSON.parse(seen.body), { a: 1, added: 'yes' });
    assert.equal(seen.headers['transfer-encoding'], undefined);
    assert.equal(seen.headers['content-length'], String(Buffer.byteLength(seen.body)));
  });

  test('pipelined requests with JSON bodies on one connection are each edited', async () => {
    const one = '{"old":1}';
    const two = '{"old":2,"secret":"s"}';
    const post = (body: string): string => `POST /json HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`;
    const { connection, responses } = await rawExchange(proxy.url, post(one) + post(two), 2);
    connection.destroy();
    assert.deepEqual(responses.map((r) => r.status), [200, 200]);
    const bodies = responses.map((r) => JSON.parse((JSON.parse(r.body.toString()) as Echo).body) as Record<string, unknown>);
    assert.equal(bodies[0]!['new'], 1);
    assert.equal(bodies[1]!['new'], 2);
    assert.equal(bodies[1]!['secret'], undefined);
  });

  test('malformed or non-object JSON is sent as it is', async () => {
    for (const body of ['{"a":', 'not json', '[1,2]', '"str"', '{"__proto__":{"x":1}']) {
      const seen = await echo('/json', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      assert.equal(seen.body, body);
    }
    const proto = await echo('/json-add', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"__proto__":{"polluted":1}}' });
    assert.deepEqual(Object.keys(JSON.parse(proto.body) as object), ['__proto__', 'added'], '__proto__ stays a plain key');
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
  });

  test('form body: remove, rename, add, append', async () => {
    const seen = await echo('/form', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'secret=s&old=o&app=1&x=a+b' });
    const params = new URLSearchParams(seen.body);
    assert.equal(params.get('secret'), null);
    assert.equal(params.get('new'), 'o');
    assert.equal(params.get('add'), 'A');
    assert.deepEqual(params.getAll('app'), ['1', '2']);
    assert.equal(params.get('x'), 'a b');
    assert.equal(seen.headers['content-length'], String(Buffer.byteLength(seen.body)));
  });

  test('http_method: the upstream method; a form body to GET moves its arguments to the query', async () => {
    const seen = await echo('/method?q=1', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'a=1&q=2' });
    assert.equal(seen.method, 'GET');
    const params = new URL(seen.url, 'http://x').searchParams;
    assert.deepEqual(params.getAll('q'), ['1', '2']);
    assert.equal(params.get('a'), '1');
    const plain = await echo('/method', { method: 'DELETE' });
    assert.equal(plain.method, 'GET');
  });

  test('replace.uri renders uri_captures', async () => {
    const seen = await echo('/tpl/user1/foo/user2/bar?x=1');
    assert.equal(seen.url, '/requests/user2/bar/user1/foo?x=1');
  });

  test('templates: query_params and headers of the request as it came; escaped literal; missing renders empty', async () => {
    const seen = await echo('/template?q1=20', { headers: { 'x-in': 'hdr' } });
    assert.equal(seen.headers['x-from-query'], '20');
    assert.equal(seen.headers['x-from-header'], 'hdr');
    assert.equal(seen.headers['x-escaped'], '$(uri_captures.user1)');
    assert.equal(seen.headers['x-missing'], '[]');
    assert.equal(new URL(seen.url, 'http://x').searchParams.get('q1'), 'hdr');
  });

  test(`JSON bodies from ${OFFLOAD_BYTES} bytes are edited on the pool thread, with the same result`, async () => {
    const before = jsonPoolStats().completed;
    const big = { secret: 'x', old: 1, rep: 'x', list: [] as string[], str: 'a', filler: 'y'.repeat(OFFLOAD_BYTES) };
    const seen = await echo('/json', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(big) });
    assert.equal(jsonPoolStats().completed, before + 1, 'one edit ran on the pool thread');
    const { filler, ...rest } = JSON.parse(seen.body) as Record<string, unknown>;
    assert.ok(filler === big.filler, 'the large value is intact');
    assert.deepEqual(rest, { new: 1, rep: 'R', list: ['3'], str: ['a', 'b'], add: 'A', keep: 'never' });
    const shrunk = await echo('/json', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ secret: 'x'.repeat(OFFLOAD_BYTES), old: 3 }) });
    assert.deepEqual(JSON.parse(shrunk.body), { new: 3, add: 'A', keep: 'never', list: ['3'], str: ['b'] }, 'a large body edited down to a small one');
    assert.equal(jsonPoolStats().completed, before + 2);
    const small = await echo('/json', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"old":2}' });
    assert.deepEqual(JSON.parse(small.body), { new: 2, add: 'A', keep: 'never', list: ['3'], str: ['b'] });
    assert.equal(jsonPoolStats().completed, before + 2, 'a small body is edited inline');
  });

  test('a large JSON body sent in small pieces, with a length or chunked, is edited whole', async () => {
    // Over 1 MiB: with a length, the body's buffer is made only once the first MiB has come (context.ts).
    const filler = 'z'.repeat(Math.max(3 * OFFLOAD_BYTES, 1_200_000));
    const text = JSON.stringify({ secret: 'x', old: 7, filler });
    const expected = { filler, new: 7, add: 'A', keep: 'never', list: ['3'], str: ['b'] };
    for (const framing of ['length', 'chunked'] as const) {
      const conn = await RawConnection.open(proxy.url);
      const head = framing === 'length' ? `content-length: ${text.length}` : 'transfer-encoding: chunked';
      conn.write(`POST /json HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n${head}\r\n\r\n`);
      for (let at = 0; at < text.length; at += 7_000) {
        const piece = text.slice(at, at + 7_000);
        conn.write(framing === 'length' ? piece : `${piece.length.toString(16)}\r\n${piece}\r\n`);
        if (at % 70_000 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
      if (framing === 'chunked') conn.write('0\r\n\r\n');
      const reply = await conn.readResponse({ timeoutMs: 20_000 });
      conn.destroy();
      assert.equal(reply.status, 200, framing);
      const seen = JSON.parse(reply.body.toString()) as Echo;
      assert.deepEqual(JSON.parse(seen.body), expected, framing);
      assert.equal(seen.headers['content-length'], String(Buffer.byteLength(seen.body)), framing);
    }
  });

  test('a client that leaves in the middle of a large body: the proxy goes on', async () => {
    const total = 4 * OFFLOAD_BYTES;
    for (let i = 0; i < 3; i++) {
      const conn = await RawConnection.open(proxy.url);
      conn.write(`POST /json HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${total}\r\n\r\n{"old":1,"f":"`);
      conn.write('q'.repeat(total / 3));
      await new Promise((resolve) => setImmediate(resolve));
      conn.destroy();
    }
    const seen = await echo('/json', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ old: 5, f: 'q'.repeat(total) }) });
    assert.equal((JSON.parse(seen.body) as Record<string, unknown>)['new'], 5);
  });

  test('an edit the pool thread cannot finish answers 500; the next large body is edited', async () => {
    const big = JSON.stringify({ old: 1, list: Array.from({ length: 200_000 }, (_, i) => i), filler: 'y'.repeat(OFFLOAD_BYTES) });
    const reply = request(`${proxy.url}/json`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: big });
    while (jsonPoolStats().inFlight === 0) await new Promise((resolve) => setImmediate(resolve));
    await closeJsonPool();
    const failed = await reply;
    assert.equal(failed.status, 500);
    assert.deepEqual(JSON.parse(failed.body), { message: 'An unexpected error occurred' });
    const seen = await echo('/json', { method: 'POST', headers: { 'content-type': 'application/json' }, body: big });
    assert.equal((JSON.parse(seen.body) as Record<string, unknown>)['new'], 1);
  });

  test('a body past the limit answers 413 without reading it all; memory stays bounded', async () => {
    const conn = await RawConnection.open(proxy.url);
    const total = MAX_BODY_BYTES + 1024 * 1024;
    conn.write(`POST /json HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${total}\r\n\r\n`);
    const slab = Buffer.alloc(1024 * 1024, 0x20);
    const heapBefore = process.memoryUsage().arrayBuffers;
    for (let sent = 0; sent < total; sent += slab.length) {
      conn.write(slab);
      if (conn.pending.length > 0) break;
      await new Promise((resolve) => setImmediate(resolve));
    }
    const reply = await conn.readResponse({ timeoutMs: 20_000 });
    conn.destroy();
    assert.equal(reply.status, 413);
    assert.deepEqual(JSON.parse(reply.body.toString()), { message: 'Request size limit exceeded' });
    assert.ok(process.memoryUsage().arrayBuffers - heapBefore < 3 * MAX_BODY_BYTES, 'no unbounded buffering');
  });

  test('survives an unrelated reconfigure with the same instance', async () => {
    const snapshot = proxy.state.snapshot;
    const plugin = Object.values(snapshot.entities.plugins).find((p) => p.route?.id === Object.values(snapshot.entities.routes).find((r) => r.name === 'headers')!.id)!;
    const entry = (): unknown => proxy.deps.instances.entry(plugin, proxy.state.snapshot.entityHashes.plugins[plugin.id]!, proxy.deps.registry.get(plugin.name)!, proxy.deps.env).instance;
    await echo('/headers');
    const instance = entry();
    assert.notEqual(instance, null);
    const created = proxy.deps.instances.created;
    const next = doc(upstream.url);
    (next['services'] as Record<string, unknown>[]).push({ name: 'other', url: upstream.url, routes: [{ name: 'other', paths: ['/other'] }] });
    proxy.install(snapshotOf(next));
    assert.equal((await echo('/headers', { headers: { 'x-old': 'v' } })).headers['x-new'], 'v');
    assert.equal(proxy.deps.instances.created, created, 'no instance made');
    assert.equal(entry(), instance, 'same instance');
  });
});
