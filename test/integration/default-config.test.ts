// `node runtime` with no config: the embedded default serves at once (issue #2).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { request } from '../helpers/http.ts';
import { startRuntime, type Runtime } from '../helpers/runtime.ts';

let runtime: Runtime;
before(async () => {
  runtime = await startRuntime(['--workers', '2']);
});
after(async () => {
  assert.equal(await runtime.stop(), 0);
});

test('one ready line per worker, then the ready line with both URLs', () => {
  const ready = runtime.logs.filter((line) => line.msg === 'worker ready');
  assert.deepEqual(ready.map((line) => line.worker).sort(), [0, 1]);
  const last = runtime.logs.findIndex((line) => line.msg === 'sluice ready');
  assert.ok(runtime.logs.findLastIndex((line) => line.msg === 'worker ready') < last);
  assert.match(runtime.proxy, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.match(runtime.admin, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.notEqual(runtime.proxy, runtime.admin);
});

test('GET / is the welcome: what Sluice is, its routes, the admin URL', async () => {
  const reply = await request(`${runtime.proxy}/`);
  assert.equal(reply.status, 200);
  const body = reply.json<{ message: string; admin_api: string; routes: Array<{ name: string; paths: string[] }> }>();
  assert.match(body.message, /Sluice/);
  assert.equal(body.admin_api, runtime.admin);
  assert.deepEqual(body.routes.map((route) => route.name).sort(), ['echo', 'welcome']);
});

test('/echo is proxied with X-Forwarded-* added and hop-by-hop headers removed both ways', async () => {
  const reply = await request(`${runtime.proxy}/echo/some/path?x=1&y=two`, {
    headers: { connection: 'keep-alive, x-secret-hop', 'x-secret-hop': '1', te: 'trailers', 'keep-alive': 'timeout=5', 'proxy-connection': 'keep-alive', 'x-forwarded-for': '10.1.2.3', 'x-kept': 'yes' },
  });
  assert.equal(reply.status, 200);
  const echoed = reply.json<{ method: string; path: string; query: Record<string, string>; headers: Record<string, string> }>();
  assert.equal(echoed.method, 'GET');
  assert.equal(echoed.path, '/some/path', 'strip_path removed /echo');
  assert.deepEqual(echoed.query, { x: '1', y: 'two' });
  assert.equal(echoed.headers['x-kept'], 'yes');
  assert.equal(echoed.headers['x-forwarded-for'], '10.1.2.3, 127.0.0.1', 'X-Forwarded-For is appended');
  assert.equal(echoed.headers['x-forwarded-proto'], 'http');
  assert.equal(echoed.headers['x-forwarded-host'], '127.0.0.1');
  assert.equal(echoed.headers['x-forwarded-port'], new URL(runtime.proxy).port);
  for (const hop of ['x-secret-hop', 'te', 'keep-alive', 'proxy-connection', 'upgrade', 'trailer']) {
    assert.equal(echoed.headers[hop], undefined, `${hop} must not reach the upstream`);
  }
  assert.equal(reply.headers.via, '1.1 sluice');
});

test('a path no route matches answers 404 as Kong does', async () => {
  const reply = await request(`${runtime.proxy}/no/such/route`);
  assert.equal(reply.status, 404);
  assert.deepEqual(reply.json(), { message: 'no Route matched with those values' });
});

test('Admin API: /, /status and /workers', async () => {
  const info = (await request(`${runtime.admin}/`)).json<{ version: string; node_version: string; workers: number }>();
  assert.equal(info.workers, 2);
  assert.equal(info.node_version, process.version);
  await request(`${runtime.proxy}/echo`);
  const status = (await request(`${runtime.admin}/status`)).json<{ workers: Array<{ alive: boolean; requests: number }>; totals: { requests: number; workers_alive: number } }>();
  assert.equal(status.workers.length, 2);
  assert.equal(status.totals.workers_alive, 2);
  assert.ok(status.totals.requests >= 1);
  assert.equal(status.totals.requests, status.workers.reduce((sum, w) => sum + w.requests, 0));
  const workers = (await request(`${runtime.admin}/workers`)).json<{ data: Array<{ alive: boolean; thread_id: number }> }>();
  assert.equal(workers.data.length, 2);
  assert.ok(workers.data.every((w) => w.alive));
  assert.equal(new Set(workers.data.map((w) => w.thread_id)).size, 2);
});

test('the Admin API is not served on the proxy port', async () => {
  const reply = await request(`${runtime.proxy}/status`);
  assert.equal(reply.status, 404);
});

test('GET /timers: every worker\'s wheel in Kong\'s shape, and their sum', async () => {
  const body = (await request(`${runtime.admin}/timers`)).json<{
    worker: { id: number; count: number };
    stats: { sys: { total: number }; timers: Record<string, { stats: { scheduled: number } }> };
    workers: Array<{ worker: { id: number }; stats: { sys: { total: number } } }>;
  }>();
  assert.deepEqual(body.worker, { id: -1, count: 2 });
  assert.deepEqual(body.workers.map((w) => w.worker.id).sort(), [0, 1]);
  // Each worker scheduled its pool sweep on its wheel after the config arrived.
  assert.equal(body.stats.timers['upstream-pool-sweep']?.stats.scheduled, 2);
  assert.equal(body.stats.sys.total, body.workers.reduce((sum, w) => sum + w.stats.sys.total, 0));
});
