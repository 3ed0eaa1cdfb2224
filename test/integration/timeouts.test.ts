// Timeouts on each worker's timer wheel (issue #5): upstream connect and read timeouts, client
// idle and body timeouts, against real sockets. Lower bounds are exact (a timeout never fires
// early); upper bounds are loose, this machine is shared and noisy.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';
import { after, before, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { request } from '../helpers/http.ts';
import { startRuntime, writeConfig, type Runtime } from '../helpers/runtime.ts';
import { blackholePort, echoHandler, startUpstream, type Upstream } from '../helpers/upstream.ts';

// Each timeout leaves a margin of 350 ms or more over the gaps the steady-but-slow tests keep, so
// a loaded CI machine does not turn those into false timeouts.
const READ_TIMEOUT = 500;
const WRITE_TIMEOUT = 300;
const CONNECT_TIMEOUT = 300;
const CLIENT_IDLE = 700;
const CLIENT_BODY = 700;
const LOOSE = 3000;

let runtime: Runtime;
let echo: Upstream;
let silent: Upstream;
let trickle: Upstream;
let stall: Upstream;
let deaf: Upstream;
let hole: { port: number; close(): void };

/** Writes `parts` chunks `gapMs` apart, then ends; each gap is shorter than the read timeout. */
function writeSlowly(res: ServerResponse, parts: number, gapMs: number): void {
  res.writeHead(200, { 'content-type': 'text/plain' });
  let sent = 0;
  const next = (): void => {
    if (res.destroyed) return;
    res.write(`part ${sent}\n`);
    if (++sent === parts) res.end();
    else setTimeout(next, gapMs);
  };
  next();
}

before(async () => {
  echo = await startUpstream(echoHandler);
  silent = await startUpstream(() => undefined);
  trickle = await startUpstream((_req, res) => writeSlowly(res, 8, 150));
  // Sends the head and one chunk, then goes silent.
  stall = await startUpstream((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.write('first part\n');
  });
  // Takes the request head, then never reads the body: once the socket buffers are full, the
  // gateway's writes wait.
  deaf = await startUpstream((req) => req.socket.pause());
  hole = await blackholePort();
  const config = await writeConfig(`
_format_version: "3.0"
services:
  - name: echo
    url: ${echo.url}
    routes: [{ name: echo, paths: [/echo] }]
  - name: silent
    url: ${silent.url}
    read_timeout: ${READ_TIMEOUT}
    routes: [{ name: silent, paths: [/silent] }]
  - name: trickle
    url: ${trickle.url}
    read_timeout: ${READ_TIMEOUT}
    routes: [{ name: trickle, paths: [/trickle] }]
  - name: stall
    url: ${stall.url}
    read_timeout: ${READ_TIMEOUT}
    routes: [{ name: stall, paths: [/stall] }]
  - name: echo-fast-read
    url: ${echo.url}
    read_timeout: ${READ_TIMEOUT}
    routes: [{ name: echo-fast-read, paths: [/upload] }]
  - name: deaf
    url: ${deaf.url}
    write_timeout: ${WRITE_TIMEOUT}
    routes: [{ name: deaf, paths: [/deaf] }]
  - name: hole
    url: http://127.0.0.1:${hole.port}
    connect_timeout: ${CONNECT_TIMEOUT}
    retries: 0
    routes: [{ name: hole, paths: [/hole] }]
`);
  runtime = await startRuntime(['--config', config, '--workers', '1', '--client-idle-timeout', String(CLIENT_IDLE), '--client-body-timeout', String(CLIENT_BODY)]);
});

after(async () => {
  await runtime.stop();
  await Promise.all([echo.close(), silent.close(), trickle.close(), stall.close(), deaf.close()]);
  hole.close();
});

async function timed<T>(body: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await body();
  return { value, ms: performance.now() - started };
}

test('an upstream that never answers gets 504 after read_timeout, not before', async () => {
  const { value: reply, ms } = await timed(() => request(`${runtime.proxy}/silent`));
  assert.equal(reply.status, 504);
  assert.deepEqual(reply.json(), { message: 'The upstream server is timing out' });
  assert.ok(ms >= READ_TIMEOUT, `answered after ${ms} ms`);
  assert.ok(ms < LOOSE, `answered after ${ms} ms`);
});

test('read_timeout bounds the silence between reads, not the whole response', async () => {
  // 8 parts 150 ms apart: 1,050 ms in all, more than twice the read timeout.
  const reply = await request(`${runtime.proxy}/trickle`);
  assert.equal(reply.status, 200);
  assert.equal(reply.body, Array.from({ length: 8 }, (_, i) => `part ${i}\n`).join(''));
});

test('an upstream that goes silent mid-body: the client connection is cut', async () => {
  const { value: outcome, ms } = await timed(() => request(`${runtime.proxy}/stall`).then(() => 'complete', (error: Error) => error.message));
  assert.notEqual(outcome, 'complete', 'a truncated body must not look complete');
  assert.ok(ms >= READ_TIMEOUT, `cut after ${ms} ms`);
  assert.ok(ms < LOOSE, `cut after ${ms} ms`);
});

test('a connect that never completes gets 504 after connect_timeout', async () => {
  const { value: reply, ms } = await timed(() => request(`${runtime.proxy}/hole`));
  assert.equal(reply.status, 504);
  assert.ok(ms >= CONNECT_TIMEOUT, `answered after ${ms} ms`);
  assert.ok(ms < LOOSE, `answered after ${ms} ms`);
});

/** A POST whose chunked body is written by `write`; resolves with the response. */
function upload(path: string, write: (req: ReturnType<typeof httpRequest>) => Promise<void>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${runtime.proxy}${path}`, { method: 'POST', agent: false }, (res: IncomingMessage) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    write(req).catch(reject);
  });
}

test('an upload longer than read_timeout is not cut: the read timeout starts once the body is sent', async () => {
  // 12 chunks 100 ms apart: the body takes 1,100 ms, more than twice the read timeout.
  const reply = await upload('/upload', async (req) => {
    for (let i = 0; i < 12; i++) {
      if (i > 0) await delay(100);
      req.write(`chunk ${i};`);
    }
    req.end();
  });
  assert.equal(reply.status, 200);
  assert.equal((JSON.parse(reply.body) as { body: string }).body, Array.from({ length: 12 }, (_, i) => `chunk ${i};`).join(''));
});

test('an upstream that stops reading the request body gets 504 after write_timeout', async () => {
  const started = performance.now();
  let answered = false;
  const chunk = Buffer.alloc(1 << 20, 'z');
  const reply = await upload('/deaf', async (req) => {
    // Up to 256 MiB, as fast as the gateway takes it, until the answer comes.
    for (let i = 0; i < 256 && !answered; i++) {
      if (!req.write(chunk)) await Promise.race([once(req, 'drain'), once(req, 'response')]);
    }
  }).finally(() => (answered = true));
  const ms = performance.now() - started;
  assert.equal(reply.status, 504);
  assert.ok(ms >= WRITE_TIMEOUT, `answered after ${ms} ms`);
  assert.ok(ms < 2 * LOOSE, `answered after ${ms} ms`);
});

function openClient(): Promise<Socket> {
  const url = new URL(runtime.proxy);
  const socket = connect(Number(url.port), url.hostname);
  return once(socket, 'connect').then(() => socket);
}

/** Resolves with the time until the server closes `socket`, and everything it sent. */
function untilClosed(socket: Socket): Promise<{ ms: number; received: string }> {
  const started = performance.now();
  let received = '';
  socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
  return once(socket, 'close').then(() => ({ ms: performance.now() - started, received }));
}

test('a connection that sends nothing is closed after the idle timeout', async () => {
  // Timed from before the connect: the server's timer starts at its accept, which comes later.
  const started = performance.now();
  const socket = await openClient();
  const { received } = await untilClosed(socket);
  const ms = performance.now() - started;
  assert.equal(received, '');
  assert.ok(ms >= CLIENT_IDLE, `closed after ${ms} ms`);
  assert.ok(ms < LOOSE, `closed after ${ms} ms`);
});

test('a keep-alive connection is closed once idle, and not while it keeps sending requests', async () => {
  const socket = await openClient();
  const closed = untilClosed(socket);
  let closedEarly = false;
  void closed.then(() => (closedEarly = true));
  // 5 requests 250 ms apart: 1 s of use, each gap shorter than the idle timeout.
  for (let i = 0; i < 5; i++) {
    socket.write('GET /echo HTTP/1.1\r\nhost: sluice.test\r\n\r\n');
    await delay(250);
    assert.equal(closedEarly, false, `closed after request ${i}`);
  }
  const { ms, received } = await closed;
  assert.equal(received.match(/HTTP\/1\.1 200 OK/g)?.length, 5);
  assert.ok(ms >= 4 * 250 + CLIENT_IDLE, `closed after ${ms} ms`);
});

test('a request longer than the idle timeout is not cut, and the connection gets a whole idle timeout after it', async () => {
  const socket = await openClient();
  let received = '';
  let responseDoneAt = 0;
  const last = 'part 7\n';
  socket.on('data', (chunk: Buffer) => {
    received += chunk.toString('latin1');
    // The trickle's chunked body ends with its last part and the zero-size chunk.
    if (responseDoneAt === 0 && received.includes(`${last}\r\n0\r\n\r\n`)) responseDoneAt = performance.now();
  });
  // /trickle takes 1,050 ms, longer than the idle timeout (the timer fires while it runs).
  socket.write('GET /trickle HTTP/1.1\r\nhost: sluice.test\r\n\r\n');
  await once(socket, 'close');
  const closedAt = performance.now();
  assert.match(received, /^HTTP\/1\.1 200 /);
  assert.ok(responseDoneAt > 0, `response incomplete: ${received}`);
  assert.ok(closedAt - responseDoneAt >= CLIENT_IDLE - 50, `closed ${closedAt - responseDoneAt} ms after the response`);
});

test('a request body that stops arriving gets 408 and the connection closes', async () => {
  const socket = await openClient();
  const closed = untilClosed(socket);
  const started = performance.now();
  socket.write('POST /echo HTTP/1.1\r\nhost: sluice.test\r\ncontent-length: 100\r\n\r\n' + 'x'.repeat(10));
  const { received } = await closed;
  const ms = performance.now() - started;
  assert.match(received, /^HTTP\/1\.1 408 /);
  assert.match(received, /connection: close/i);
  assert.ok(ms >= CLIENT_BODY, `answered after ${ms} ms`);
  assert.ok(ms < LOOSE, `answered after ${ms} ms`);
});

test('a body that arrives slowly but steadily is not cut', async () => {
  const socket = await openClient();
  let received = '';
  socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
  socket.write('POST /echo HTTP/1.1\r\nhost: sluice.test\r\ncontent-length: 100\r\n\r\n');
  // 10 bytes every 150 ms: 1.5 s in all, each gap shorter than the body timeout.
  for (let i = 0; i < 10; i++) {
    await delay(150);
    socket.write('y'.repeat(10));
  }
  while (!received.includes('}')) await once(socket, 'data');
  socket.destroy();
  assert.match(received, /^HTTP\/1\.1 200 /);
  assert.ok(received.includes('y'.repeat(100)));
});

test('GET /timers counts the timeouts by name', async () => {
  const body = (await request(`${runtime.admin}/timers`)).json<{ stats: { timers: Record<string, { stats: { runs: number; scheduled: number } }> } }>();
  const timers = body.stats.timers;
  const names = ['client-idle-timeout', 'client-body-timeout', 'upstream-read-timeout', 'upstream-write-timeout', 'upstream-connect-timeout'];
  for (const name of names) {
    assert.ok((timers[name]?.stats.scheduled ?? 0) >= 1, `${name} scheduled`);
  }
  // Fired: the idle connections, the stalled body, the silent upstreams, the deaf one, the black hole.
  for (const name of names) {
    assert.ok((timers[name]?.stats.runs ?? 0) >= 1, `${name} ran`);
  }
});
