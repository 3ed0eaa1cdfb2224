// http-log through the worker's real data path (proxy-harness.ts), a real upstream and a real HTTP
// log server: entry shape, Kong's request to the log server (method, content type, basic auth
// from user info, extra headers), batching, retry with back-off, giving up after max_retry_time,
// a log server that never answers (bounded queue, drops counted, requests not delayed), and the
// queue surviving an unrelated reconfigure.
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { test } from 'node:test';
import type { Snapshot } from '../../../../config/types.ts';
import { droppedCount } from '../../../../workers/logging/drops.ts';
import type { LogQueue } from '../../../../workers/logging/queue.ts';
import { request } from '../../../helpers/http.ts';
import { echoHandler, startUpstream } from '../../../helpers/upstream.ts';
import { snapshotOf } from '../helpers.ts';
import { assertEntryShape, eventually, instanceOf, logDoc, SHAPED_REQUEST, type Entry } from '../logging/entries.ts';
import { startProxy, type ProxyHarness } from '../proxy-harness.ts';
import { startReceiver } from './receiver.ts';

function queueOf(proxy: ProxyHarness, snapshot: Snapshot): LogQueue {
  return (instanceOf(proxy, snapshot, 'http-log') as unknown as { queue: LogQueue }).queue;
}

test("one entry per request, in Kong's shape, sent as Kong's http-log sends it", async (t) => {
  const upstream = await startUpstream(echoHandler);
  const receiver = await startReceiver();
  t.after(() => Promise.all([upstream.close(), receiver.close()]));
  const config = { http_endpoint: `http://logger:s3cret@127.0.0.1:${receiver.port}/logs/in?dropped=1`, method: 'PUT', content_type: 'application/json; charset=utf-8', headers: { 'X-Token': 't1', 'Content-Type-Extra': 'y' } };
  const proxy = await startProxy(t, snapshotOf(logDoc(upstream.url, { name: 'http-log', config })));
  assert.equal((await request(`${proxy.url}${SHAPED_REQUEST.path}`, { headers: SHAPED_REQUEST.headers('h1') })).status, 200);
  const got = await eventually(() => receiver.received[0], 'the log request');
  assert.equal(got.method, 'PUT');
  // Kong sends the endpoint's path only.
  assert.equal(got.url, '/logs/in');
  assert.equal(got.headers['content-type'], 'application/json; charset=utf-8');
  assert.equal(got.headers.authorization, `Basic ${Buffer.from('logger:s3cret').toString('base64')}`);
  assert.equal(got.headers['x-token'], 't1');
  assert.equal(Number(got.headers['content-length']), Buffer.byteLength(got.body));
  // max_batch_size 1: the entry itself, not an array.
  const entry = JSON.parse(got.body) as Entry;
  assertEntryShape(entry, 'h1');
});

test('entries are batched up to max_batch_size as one JSON array', async (t) => {
  const upstream = await startUpstream(echoHandler);
  const receiver = await startReceiver();
  t.after(() => Promise.all([upstream.close(), receiver.close()]));
  const config = { http_endpoint: `http://127.0.0.1:${receiver.port}/`, queue: { max_batch_size: 3, max_coalescing_delay: 30 } };
  const proxy = await startProxy(t, snapshotOf(logDoc(upstream.url, { name: 'http-log', config })));
  for (let i = 0; i < 3; i++) assert.equal((await request(`${proxy.url}/log/${i}`)).status, 200);
  const got = await eventually(() => receiver.received[0], 'the batch');
  const batch = JSON.parse(got.body) as Entry[];
  assert.deepEqual(batch.map((e) => e.request.uri), ['/log/0', '/log/1', '/log/2']);
  // A fourth entry waits for two more or for the coalescing delay (30 s here): nothing is sent yet.
  await request(`${proxy.url}/log/3`);
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.equal(receiver.received.length, 1);
});

test('a partial batch leaves after max_coalescing_delay', async (t) => {
  const upstream = await startUpstream(echoHandler);
  const receiver = await startReceiver();
  t.after(() => Promise.all([upstream.close(), receiver.close()]));
  const config = { http_endpoint: `http://127.0.0.1:${receiver.port}/`, queue: { max_batch_size: 100, max_coalescing_delay: 0.2 } };
  const proxy = await startProxy(t, snapshotOf(logDoc(upstream.url, { name: 'http-log', config })));
  const sentAt = performance.now();
  await request(`${proxy.url}/log/a`);
  await request(`${proxy.url}/log/b`);
  const got = await eventually(() => receiver.received[0], 'the coalesced batch');
  assert.ok(got.at - sentAt >= 200, 'not before the coalescing delay');
  assert.deepEqual((JSON.parse(got.body) as Entry[]).map((e) => e.request.uri), ['/log/a', '/log/b']);
});

test('a log server answering 500 is retried with exponential back-off until it takes the batch', async (t) => {
  const upstream = await startUpstream(echoHandler);
  const receiver = await startReceiver();
  receiver.answer = (n) => (n < 3 ? 500 : 200);
  t.after(() => Promise.all([upstream.close(), receiver.close()]));
  const config = { http_endpoint: `http://127.0.0.1:${receiver.port}/`, queue: { initial_retry_delay: 0.1, max_retry_delay: 10 } };
  const snapshot = snapshotOf(logDoc(upstream.url, { name: 'http-log', config }));
  const proxy = await startProxy(t, snapshot);
  await request(`${proxy.url}/log/retried`);
  await eventually(() => receiver.received[3], 'the fourth try');
  const at = receiver.received.map((r) => r.at);
  // Delays 0.1, 0.2, 0.4 s: a timer never fires early, so each gap is at least its delay.
  assert.ok(at[1]! - at[0]! >= 100 - 2, `first retry after ${at[1]! - at[0]!} ms`);
  assert.ok(at[2]! - at[1]! >= 200 - 2, `second retry after ${at[2]! - at[1]!} ms`);
  assert.ok(at[3]! - at[2]! >= 400 - 2, `third retry after ${at[3]! - at[2]!} ms`);
  for (const r of receiver.received) assert.equal((JSON.parse(r.body) as Entry).request.uri, '/log/retried');
  const queue = queueOf(proxy, snapshot);
  await eventually(() => (queue.sent === 1 ? true : undefined), 'the batch counted as sent');
  assert.equal(queue.dropped, 0);
  assert.ok(proxy.lines.some((line) => line.msg === 'http-log: could not send log entries'));
});

test('a batch still failing after max_retry_time is dropped and counted', async (t) => {
  const upstream = await startUpstream(echoHandler);
  const receiver = await startReceiver();
  receiver.answer = () => 503;
  t.after(() => Promise.all([upstream.close(), receiver.close()]));
  const config = { http_endpoint: `http://127.0.0.1:${receiver.port}/retry-time`, queue: { initial_retry_delay: 0.05, max_retry_time: 0.3 } };
  const snapshot = snapshotOf(logDoc(upstream.url, { name: 'http-log', config }));
  const proxy = await startProxy(t, snapshot);
  const before = await droppedCount('http-log', 'retry_time');
  await request(`${proxy.url}/log/lost`);
  const queue = queueOf(proxy, snapshot);
  await eventually(() => (queue.dropped === 1 ? true : undefined), 'the batch given up');
  assert.equal(await droppedCount('http-log', 'retry_time'), before + 1);
  const tries = receiver.received.length;
  assert.ok(tries >= 2, `retried (${tries} tries)`);
  // Given up: no more tries.
  await new Promise((resolve) => setTimeout(resolve, 400));
  assert.equal(receiver.received.length, tries);
});

test('a log server that never answers: requests are not delayed, the queue stays within max_entries and counts its drops', async (t) => {
  // Accepts connections and reads nothing back: every send waits for its timeout (60 s here).
  const sockets: Socket[] = [];
  const silent = createServer((socket) => void sockets.push(socket));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const upstream = await startUpstream(echoHandler);
  t.after(async () => {
    for (const socket of sockets) socket.destroy();
    silent.close();
    await upstream.close();
  });
  const port = (silent.address() as { port: number }).port;
  const config = { http_endpoint: `http://127.0.0.1:${port}/never`, timeout: 60_000, queue: { max_entries: 5 } };
  const snapshot = snapshotOf(logDoc(upstream.url, { name: 'http-log', config }));
  const proxy = await startProxy(t, snapshot);
  const before = await droppedCount('http-log', 'queue_full');
  for (let i = 0; i < 60; i++) assert.equal((await request(`${proxy.url}/log/${i}`)).status, 200);
  const queue = queueOf(proxy, snapshot);
  // One batch is stuck in flight; five wait; the rest were dropped (oldest first) and counted.
  assert.equal(queue.count, 5);
  assert.ok(queue.bytes > 0 && queue.bytes < 5 * 4096);
  assert.equal(queue.dropped, 60 - 1 - 5);
  assert.equal(await droppedCount('http-log', 'queue_full'), before + 54);
});

test('max_bytes bounds the waiting bytes: oldest entries dropped, an entry larger than it refused', async (t) => {
  const sockets: Socket[] = [];
  const silent = createServer((socket) => void sockets.push(socket));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const upstream = await startUpstream(echoHandler);
  t.after(async () => {
    for (const socket of sockets) socket.destroy();
    silent.close();
    await upstream.close();
  });
  const port = (silent.address() as { port: number }).port;
  const config = { http_endpoint: `http://127.0.0.1:${port}/bytes`, timeout: 60_000, queue: { max_bytes: 3000 } };
  const snapshot = snapshotOf(logDoc(upstream.url, { name: 'http-log', config }));
  const proxy = await startProxy(t, snapshot);
  for (let i = 0; i < 20; i++) await request(`${proxy.url}/log/${i}`);
  const queue = queueOf(proxy, snapshot);
  assert.ok(queue.bytes <= 3000 && queue.count >= 1, `${queue.bytes} bytes in ${queue.count} entries`);
  const tooLarge = await droppedCount('http-log', 'too_large');
  await request(`${proxy.url}/log/${'x'.repeat(4000)}`);
  assert.equal(await droppedCount('http-log', 'too_large'), tooLarge + 1);
});

test('the instance and its queue survive an unrelated reconfigure, entries queued before it are still sent', async (t) => {
  const upstream = await startUpstream(echoHandler);
  const receiver = await startReceiver();
  t.after(() => Promise.all([upstream.close(), receiver.close()]));
  const config = { http_endpoint: `http://127.0.0.1:${receiver.port}/`, queue: { max_batch_size: 2, max_coalescing_delay: 30 } };
  const first = snapshotOf(logDoc(upstream.url, { name: 'http-log', config }));
  const proxy = await startProxy(t, first);
  await request(`${proxy.url}/log/before`);
  const instance = instanceOf(proxy, first, 'http-log');
  const queue = queueOf(proxy, first);
  assert.equal(queue.count, 1);
  proxy.install(snapshotOf(logDoc(upstream.url, { name: 'http-log', config }, true), [], 2));
  assert.equal((await request(`${proxy.url}/other`)).status, 200);
  assert.equal(instanceOf(proxy, proxy.state.snapshot, 'http-log'), instance, 'same instance');
  assert.equal(queueOf(proxy, proxy.state.snapshot), queue, 'same queue');
  await request(`${proxy.url}/log/after`);
  const got = await eventually(() => receiver.received[0], 'the batch');
  assert.deepEqual((JSON.parse(got.body) as Entry[]).map((e) => e.request.uri), ['/log/before', '/log/after']);
});

test('concurrency_limit -1: entries are sent at once, each on its own, without waiting for each other', async (t) => {
  const upstream = await startUpstream(echoHandler);
  // Holds every answer until three requests are open at the same time.
  const waiting: (() => void)[] = [];
  let open = 0;
  let most = 0;
  const receiver = await startUpstream((req, res) => {
    req.resume();
    open++;
    most = Math.max(most, open);
    waiting.push(() => {
      open--;
      res.end('ok');
    });
    if (waiting.length === 3) for (const release of waiting.splice(0)) release();
  });
  t.after(() => Promise.all([upstream.close(), receiver.close()]));
  const config = { http_endpoint: `http://127.0.0.1:${receiver.port}/`, queue: { concurrency_limit: -1 } };
  const snapshot = snapshotOf(logDoc(upstream.url, { name: 'http-log', config }));
  const proxy = await startProxy(t, snapshot);
  for (let i = 0; i < 3; i++) assert.equal((await request(`${proxy.url}/log/${i}`)).status, 200);
  const queue = queueOf(proxy, snapshot);
  await eventually(() => (queue.sent === 3 ? true : undefined), 'three entries sent');
  // With concurrency_limit 1 the second would wait for the first's answer: never three at once.
  assert.equal(most, 3);
});

test('timeout: a log server slower than it fails the try, which is retried; keepalive closes an idle connection', async (t) => {
  const upstream = await startUpstream(echoHandler);
  let n = 0;
  let closed = 0;
  const receiver = await startUpstream((req, res) => {
    req.resume();
    // The first try never gets its answer (the client gives up after `timeout`); the second does.
    if (n++ === 0) return;
    res.end('ok');
  });
  receiver.server.on('connection', (socket) => socket.on('close', () => closed++));
  t.after(() => Promise.all([upstream.close(), receiver.close()]));
  const config = { http_endpoint: `http://127.0.0.1:${receiver.port}/`, timeout: 300, keepalive: 200, queue: { initial_retry_delay: 0.01 } };
  const snapshot = snapshotOf(logDoc(upstream.url, { name: 'http-log', config }));
  const proxy = await startProxy(t, snapshot);
  await request(`${proxy.url}/log/slow`);
  const queue = queueOf(proxy, snapshot);
  await eventually(() => (queue.sent === 1 ? true : undefined), 'sent on the second try');
  assert.equal(n, 2);
  assert.ok(proxy.lines.some((line) => line.msg === 'http-log: could not send log entries'));
  // The timed-out connection was dropped; the one that answered is closed after 200 ms idle.
  await eventually(() => (closed === 2 ? true : undefined), 'both connections closed');
});
