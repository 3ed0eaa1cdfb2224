// A faulty upstream behind the whole gateway: every fault gets its documented answer (502, 504,
// or a cut client connection once the response had started), no response is passed on as
// complete when it was not, and a reused keep-alive connection that the upstream reset before
// answering is retried once on a new connection for idempotent requests (counted in /metrics).
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { after, before, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { request } from '../helpers/http.ts';
import { okResponse, reset, startFaultUpstream, type FaultUpstream } from '../helpers/fault-upstream.ts';
import { RawConnection } from '../helpers/raw-http.ts';
import { startRuntime, writeConfig, type Runtime } from '../helpers/runtime.ts';
import { closedPort, echoHandler, startUpstream, type Upstream } from '../helpers/upstream.ts';

let runtime: Runtime;
let faults: FaultUpstream;
let flaky: FaultUpstream;
let churn: FaultUpstream;
let echo: Upstream;

/** The fault each path asks for; every response is written whole in one write unless it says. */
const SCRIPTS: Record<string, (socket: Socket) => void> = {
  '/ok': (s) => void s.write(okResponse('fine')),
  '/cl-te': (s) => void s.write('HTTP/1.1 200 OK\r\ncontent-length: 5\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n'),
  '/two-lengths': (s) => void s.write('HTTP/1.1 200 OK\r\ncontent-length: 5\r\ncontent-length: 7\r\n\r\nhello!!'),
  '/bad-chunk': (s) => void s.write('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nxyz\r\nhello\r\n0\r\n\r\n'),
  '/big-head': (s) => void s.write(`HTTP/1.1 200 OK\r\nx-big: ${'a'.repeat(70_000)}\r\ncontent-length: 0\r\n\r\n`),
  '/after': (s) => void s.write(`${okResponse('hello')}extra`),
  '/reset-before': (s) => reset(s),
  '/reset-after-head': (s) => (s.write('HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n'), void setTimeout(() => reset(s), 30)),
  '/reset-mid-body': (s) => (s.write('HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nhalf of it'), void setTimeout(() => reset(s), 30)),
  '/short': (s) => void s.end('HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nshort'),
  '/chunked-cut': (s) => (s.write('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n'), void setTimeout(() => reset(s), 30)),
  '/chunked': (s) => void s.write('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n'),
  '/close-delimited': (s) => void s.end('HTTP/1.0 200 OK\r\ncontent-type: text/plain\r\n\r\nread until close'),
  '/stall': () => undefined,
  '/drip': (s) => {
    const text = okResponse('dripping slowly');
    let i = 0;
    const next = (): void => {
      if (s.destroyed) return;
      s.write(text[i]!);
      if (++i < text.length) setTimeout(next, 3);
    };
    next();
  },
};

before(async () => {
  faults = await startFaultUpstream((socket, head) => {
    const path = /^\w+ (\S+)/.exec(head)![1]!;
    (SCRIPTS[path] ?? SCRIPTS['/ok']!)(socket);
  });
  // Answers the first request on each connection; resets the connection on any later one.
  flaky = await startFaultUpstream((socket, _head, n) => (n === 1 ? void socket.write(okResponse('fresh')) : reset(socket)));
  // Closes the connection after every third response (keep-alive churn).
  churn = await startFaultUpstream((socket, _head, n) => void socket.write(okResponse(`n=${n}`, n % 3 === 0 ? 'connection: close\r\n' : '')));
  echo = await startUpstream(echoHandler);
  const dead = await closedPort();
  const config = await writeConfig(`
_format_version: "3.0"
upstreams:
  - name: half-dead
    targets: [{ target: "127.0.0.1:${dead}" }, { target: "127.0.0.1:${echo.port}" }]
services:
  - name: half-dead
    host: half-dead
    retries: 1
    routes: [{ name: half-dead, paths: [/half-dead] }]
  - name: faults
    url: ${faults.url}
    read_timeout: 1000
    retries: 0
    routes: [{ name: faults, paths: [/], strip_path: false }]
  - name: flaky
    url: ${flaky.url}/flaky
    retries: 0
    routes: [{ name: flaky, paths: [/flaky] }]
  - name: churn
    url: ${churn.url}/churn
    routes: [{ name: churn, paths: [/churn] }]
`);
  runtime = await startRuntime(['--config', config, '--workers', '1']);
});

after(async () => {
  await runtime?.stop();
  await Promise.all([faults?.close(), flaky?.close(), churn?.close(), echo?.close()]);
});

// A head without any of its body is held back, so a reset right after it still gets a clean 502.
for (const path of ['/cl-te', '/two-lengths', '/bad-chunk', '/big-head', '/after', '/reset-before', '/reset-after-head']) {
  test(`${path}: 502 before any byte of the bad response reached the client`, async () => {
    const reply = await request(`${runtime.proxy}${path}`);
    assert.equal(reply.status, 502);
    assert.deepEqual(reply.json(), { message: 'An invalid response was received from the upstream server' });
  });
}

for (const path of ['/reset-mid-body', '/short', '/chunked-cut']) {
  test(`${path}: the client connection is cut, the response never looks complete`, async () => {
    const conn = await RawConnection.open(runtime.proxy);
    conn.socket.write(`GET ${path} HTTP/1.1\r\nhost: x\r\n\r\n`);
    await assert.rejects(conn.readResponse({ timeoutMs: 5000 }), (error: Error) => !/timed out|timeout/i.test(error.message));
    conn.socket.destroy();
  });
}

test('a stalled upstream gets 504 after read_timeout', async () => {
  const reply = await request(`${runtime.proxy}/stall`);
  assert.equal(reply.status, 504);
});

test('a slow drip and a close-delimited body arrive whole', async () => {
  const drip = await request(`${runtime.proxy}/drip`);
  assert.equal(drip.status, 200);
  assert.equal(drip.body.toString(), 'dripping slowly');
  const closing = await request(`${runtime.proxy}/close-delimited`);
  assert.equal(closing.status, 200);
  assert.equal(closing.body.toString(), 'read until close');
});

test('a chunked upstream body reaches an HTTP/1.1 client chunked and an HTTP/1.0 client close-delimited', async () => {
  const one = await RawConnection.open(runtime.proxy);
  one.socket.write('GET /chunked HTTP/1.1\r\nhost: x\r\n\r\n');
  const r11 = await one.readResponse();
  assert.equal(r11.framing, 'chunked');
  assert.equal(r11.body.toString(), 'hello world');
  one.socket.destroy();
  const old = await RawConnection.open(runtime.proxy);
  old.socket.write('GET /chunked HTTP/1.0\r\n\r\n');
  const r10 = await old.readResponse();
  assert.equal(r10.framing, 'close');
  assert.equal(r10.body.toString(), 'hello world');
  old.socket.destroy();
});

async function retries(): Promise<number> {
  const text = (await request(`${runtime.admin}/metrics`)).body.toString();
  const line = text.split('\n').find((l) => l.startsWith('sluice_upstream_keepalive_retries_total'));
  return line === undefined ? 0 : Number(line.split(' ').pop());
}

test('a reused connection reset before answering: an idempotent request is retried once on a new connection', async () => {
  const before = await retries();
  const first = await request(`${runtime.proxy}/flaky`);
  assert.equal(first.body.toString(), 'fresh');
  // Reuses the kept-alive connection, which the upstream resets: retried on a new one.
  const second = await request(`${runtime.proxy}/flaky`);
  assert.equal(second.status, 200);
  assert.equal(second.body.toString(), 'fresh');
  assert.equal((await retries()) - before, 1);
  // A POST is not retried (the upstream may have acted on it): the kept-alive connection of the
  // retry is reset in turn, and the client gets 502.
  const third = await request(`${runtime.proxy}/flaky`, { method: 'POST' });
  assert.equal(third.status, 502);
  assert.equal((await retries()) - before, 1);
});

test('keep-alive churn: an upstream closing every third connection loses no request', async () => {
  for (let i = 0; i < 60; i++) {
    const reply = await request(`${runtime.proxy}/churn`);
    assert.equal(reply.status, 200, `request ${i}`);
    // Give the FIN time to land sometimes, and race it other times.
    if (i % 7 === 0) await delay(5);
  }
  assert.ok(churn.connections >= 20, `${churn.connections} connections for 60 requests`);
});

test('a refused connect goes to the next target: every request is answered, a request body included', async () => {
  for (let i = 0; i < 6; i++) {
    const reply = await request(`${runtime.proxy}/half-dead`, { method: 'POST', body: `body ${i}`, headers: { 'content-type': 'text/plain' } });
    assert.equal(reply.status, 200, `request ${i}`);
    assert.equal(reply.json<{ body: string }>().body, `body ${i}`);
  }
});
