// tcp-log through the worker's real data path (proxy-harness.ts), a real upstream and real TCP and
// TLS log servers: one JSON line per request in Kong's shape, one kept-alive connection closed
// after `keepalive`, TLS with the SNI asked for, a server that never reads (bounded backlog, drops
// counted, requests not delayed), and the instance surviving an unrelated reconfigure.
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { test } from 'node:test';
import { generate } from 'selfsigned';
import type { Snapshot } from '../../../../config/types.ts';
import { droppedCount } from '../../../../workers/logging/drops.ts';
import { MAX_BACKLOG_BYTES, type StreamWriter } from '../../../../workers/logging/stream-writer.ts';
import { request } from '../../../helpers/http.ts';
import { blackholePort, echoHandler, startUpstream } from '../../../helpers/upstream.ts';
import { snapshotOf } from '../helpers.ts';
import { assertEntryShape, eventually, instanceOf, logDoc, SHAPED_REQUEST, type Entry } from '../logging/entries.ts';
import { startProxy, type ProxyHarness } from '../proxy-harness.ts';

interface LineServer {
  server: Server;
  port: number;
  lines: string[];
  sockets: Socket[];
  closes: number;
  servernames: (string | false | null)[];
}

function collect(socket: Socket, into: LineServer): void {
  into.sockets.push(socket);
  let buffered = '';
  socket.setEncoding('utf8');
  socket.on('data', (text: string) => {
    buffered += text;
    let nl;
    while ((nl = buffered.indexOf('\n')) !== -1) {
      into.lines.push(buffered.slice(0, nl));
      buffered = buffered.slice(nl + 1);
    }
  });
  socket.on('close', () => into.closes++);
  socket.on('error', () => {});
}

async function listen(server: Server, into: Omit<LineServer, 'port' | 'server'>): Promise<LineServer> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return Object.assign(into, { server, port: (server.address() as { port: number }).port });
}

async function tcpServer(): Promise<LineServer> {
  const into = { lines: [], sockets: [], closes: 0, servernames: [] } as unknown as LineServer;
  return listen(createServer((socket) => collect(socket, into)), into);
}

function writerOf(proxy: ProxyHarness, snapshot: Snapshot): StreamWriter {
  return (instanceOf(proxy, snapshot, 'tcp-log') as unknown as { writer: StreamWriter }).writer;
}

test("one JSON line per request in Kong's shape, over one kept-alive connection", async (t) => {
  const upstream = await startUpstream(echoHandler);
  const logs = await tcpServer();
  t.after(() => (logs.server.close(), logs.sockets.forEach((s) => s.destroy()), upstream.close()));
  const snapshot = snapshotOf(logDoc(upstream.url, { name: 'tcp-log', config: { host: '127.0.0.1', port: logs.port } }));
  const proxy = await startProxy(t, snapshot);
  assert.equal((await request(`${proxy.url}${SHAPED_REQUEST.path}`, { headers: SHAPED_REQUEST.headers('tcp') })).status, 200);
  await request(`${proxy.url}/log/second`);
  await eventually(() => (logs.lines.length === 2 ? true : undefined), 'two lines');
  assertEntryShape(JSON.parse(logs.lines[0]!) as Entry, 'tcp');
  assert.equal((JSON.parse(logs.lines[1]!) as Entry).request.uri, '/log/second');
  assert.equal(logs.sockets.length, 1, 'one connection for both');
  assert.equal(writerOf(proxy, snapshot).sent, 2);
});

test('an idle connection is closed after keepalive ms; the next entry connects again', async (t) => {
  const upstream = await startUpstream(echoHandler);
  const logs = await tcpServer();
  t.after(() => (logs.server.close(), logs.sockets.forEach((s) => s.destroy()), upstream.close()));
  const snapshot = snapshotOf(logDoc(upstream.url, { name: 'tcp-log', config: { host: '127.0.0.1', port: logs.port, keepalive: 150 } }));
  const proxy = await startProxy(t, snapshot);
  await request(`${proxy.url}/log/1`);
  await eventually(() => (logs.closes === 1 ? true : undefined), 'the idle connection closed');
  assert.equal(logs.lines.length, 1);
  await request(`${proxy.url}/log/2`);
  await eventually(() => (logs.lines.length === 2 ? true : undefined), 'the second line');
  assert.equal(logs.sockets.length, 2);
});

test('tls: entries go over TLS with the tls_sni asked for (certificates not verified, as Kong)', async (t) => {
  const upstream = await startUpstream(echoHandler);
  const pems = await generate([{ name: 'commonName', value: 'logs.internal' }], { algorithm: 'sha256', keySize: 2048 });
  const into = { lines: [], sockets: [], closes: 0, servernames: [] } as unknown as LineServer;
  const server = createTlsServer({ key: pems.private, cert: pems.cert }, (socket: TLSSocket) => {
    into.servernames.push(socket.servername);
    collect(socket, into);
  });
  const logs = await listen(server as unknown as Server, into);
  t.after(() => (server.close(), logs.sockets.forEach((s) => s.destroy()), upstream.close()));
  const snapshot = snapshotOf(logDoc(upstream.url, { name: 'tcp-log', config: { host: '127.0.0.1', port: logs.port, tls: true, tls_sni: 'logs.internal' } }));
  const proxy = await startProxy(t, snapshot);
  await request(`${proxy.url}${SHAPED_REQUEST.path}`, { headers: SHAPED_REQUEST.headers('tls') });
  await eventually(() => logs.lines[0], 'the line over TLS');
  assertEntryShape(JSON.parse(logs.lines[0]!) as Entry, 'tls');
  assert.deepEqual(logs.servernames, ['logs.internal']);
});

test('a log server that never reads: requests are not delayed and the backlog stays bounded, drops counted', async (t) => {
  const upstream = await startUpstream(echoHandler);
  const sockets: Socket[] = [];
  // Accepts and never reads: the kernel's buffers fill, then the writer's backlog.
  const server = createServer((socket) => {
    socket.pause();
    sockets.push(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => (server.close(), sockets.forEach((s) => s.destroy()), upstream.close()));
  const port = (server.address() as { port: number }).port;
  const snapshot = snapshotOf(logDoc(upstream.url, { name: 'tcp-log', config: { host: '127.0.0.1', port, timeout: 600_000 } }));
  const proxy = await startProxy(t, snapshot);
  assert.equal((await request(`${proxy.url}/log/first`)).status, 200);
  // Made on the first request that used it.
  const writer = writerOf(proxy, snapshot);
  const before = await droppedCount('tcp-log', 'backlog');
  const pad = 'p'.repeat(12_000);
  let most = 0;
  // Each entry carries the 12 kB header: the kernel's buffers take a few MB, then the writer's
  // backlog reaches its bound and entries are dropped; every request is still answered at once.
  for (let i = 0; i < 4000 && (await droppedCount('tcp-log', 'backlog')) === before; i++) {
    assert.equal((await request(`${proxy.url}/log/${i}`, { headers: { 'x-pad': pad } })).status, 200);
    most = Math.max(most, writer.backlogBytes);
  }
  assert.ok((await droppedCount('tcp-log', 'backlog')) > before, 'entries were dropped');
  for (let i = 0; i < 20; i++) {
    assert.equal((await request(`${proxy.url}/log/more-${i}`, { headers: { 'x-pad': pad } })).status, 200);
    most = Math.max(most, writer.backlogBytes);
  }
  assert.ok(most <= MAX_BACKLOG_BYTES, `backlog peaked at ${most} bytes`);
  assert.equal(sockets.length, 1);
});

test('a log server that is down: entries are dropped and counted, requests are answered', async (t) => {
  const upstream = await startUpstream(echoHandler);
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as { port: number }).port;
  await new Promise((resolve) => probe.close(resolve));
  t.after(() => upstream.close());
  const snapshot = snapshotOf(logDoc(upstream.url, { name: 'tcp-log', config: { host: '127.0.0.1', port } }));
  const proxy = await startProxy(t, snapshot);
  const before = await droppedCount('tcp-log', 'send_failed');
  for (let i = 0; i < 5; i++) assert.equal((await request(`${proxy.url}/log/${i}`)).status, 200);
  await eventually(async () => ((await droppedCount('tcp-log', 'send_failed')) >= before + 5 ? true : undefined), 'five entries counted as failed');
  assert.ok(proxy.lines.some((line) => line.msg === 'tcp-log: connection to the log server failed'));
});

test('the instance and its connection survive an unrelated reconfigure', async (t) => {
  const upstream = await startUpstream(echoHandler);
  const logs = await tcpServer();
  t.after(() => (logs.server.close(), logs.sockets.forEach((s) => s.destroy()), upstream.close()));
  const plugin = { name: 'tcp-log', config: { host: '127.0.0.1', port: logs.port } };
  const first = snapshotOf(logDoc(upstream.url, plugin));
  const proxy = await startProxy(t, first);
  await request(`${proxy.url}/log/1`);
  await eventually(() => logs.lines[0], 'first line');
  const instance = instanceOf(proxy, first, 'tcp-log');
  proxy.install(snapshotOf(logDoc(upstream.url, plugin, true), [], 2));
  assert.equal((await request(`${proxy.url}/other`)).status, 200);
  await request(`${proxy.url}/log/2`);
  await eventually(() => logs.lines[1], 'second line');
  assert.equal(instanceOf(proxy, proxy.state.snapshot, 'tcp-log'), instance, 'same instance');
  assert.equal(logs.sockets.length, 1, 'same connection');
});

test('timeout: a connect that does not finish within it is abandoned, its entries counted', async (t) => {
  const upstream = await startUpstream(echoHandler);
  const hole = await blackholePort();
  t.after(() => (hole.close(), upstream.close()));
  const snapshot = snapshotOf(logDoc(upstream.url, { name: 'tcp-log', config: { host: '127.0.0.1', port: hole.port, timeout: 300 } }));
  const proxy = await startProxy(t, snapshot);
  const before = await droppedCount('tcp-log', 'send_failed');
  assert.equal((await request(`${proxy.url}/log/1`)).status, 200);
  await eventually(async () => ((await droppedCount('tcp-log', 'send_failed')) >= before + 1 ? true : undefined), 'the entry counted as lost');
  assert.ok(proxy.lines.some((line) => line.msg === 'tcp-log: connection to the log server failed' && /connect timed out after 300 ms/.test(String((line.err as { message?: string } | undefined)?.message))));
});
