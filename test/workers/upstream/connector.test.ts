// The upstream connector on its own (worker-side code run on the test thread): keep-alive pools,
// response framing, strict refusals and faults, against a scripted raw-TCP upstream.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { Socket } from 'node:net';
import { after, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { TimerWheel } from '../../../workers/timers/wheel.ts';
import { MAX_HEAD_BYTES, type UpstreamFault, type UpstreamHandler } from '../../../workers/upstream/connection.ts';
import { UpstreamConnector, type TargetPool } from '../../../workers/upstream/pool.ts';
import { okResponse, reset, startFaultUpstream, type FaultUpstream, type Script } from '../../helpers/fault-upstream.ts';
import { closedPort } from '../../helpers/upstream.ts';

const wheel = new TimerWheel();
after(() => wheel.close());

interface Outcome {
  kind: 'end' | 'fault' | 'upgrade';
  status: number;
  headers: string[];
  body: string;
  informational: number[];
  fault: UpstreamFault | null;
  socket: Socket | null;
  upgradeHead: Buffer | null;
}

/** Records what the connection reports for one request; `done` settles on its last event. */
class Recorder implements UpstreamHandler {
  readonly outcome: Outcome = { kind: 'end', status: 0, headers: [], body: '', informational: [], fault: null, socket: null, upgradeHead: null };
  readonly done: Promise<Outcome>;
  events = 0;
  #resolve!: (outcome: Outcome) => void;
  constructor() {
    this.done = new Promise((resolve) => (this.#resolve = resolve));
  }
  onConnected(): void {}
  onInformational(status: number): void {
    this.outcome.informational.push(status);
  }
  onResponseHead(status: number, rawHeaders: string[]): void {
    this.outcome.status = status;
    this.outcome.headers = rawHeaders;
  }
  onResponseData(chunk: Buffer): void {
    this.outcome.body += chunk.toString('latin1');
  }
  onResponseEnd(last: Buffer | null): void {
    if (last !== null) this.outcome.body += last.toString('latin1');
    this.#settle('end');
  }
  onUpgrade(status: number, rawHeaders: string[], socket: Socket, head: Buffer): void {
    this.outcome.status = status;
    this.outcome.headers = rawHeaders;
    this.outcome.socket = socket;
    this.outcome.upgradeHead = head;
    this.#settle('upgrade');
  }
  onFault(fault: UpstreamFault): void {
    this.outcome.fault = fault;
    this.#settle('fault');
  }
  onRequestDrain(): void {}
  #settle(kind: Outcome['kind']): void {
    this.events++;
    this.outcome.kind = kind;
    this.#resolve(this.outcome);
  }
}

function connectorFor(upstream: { port: number }, keepalive = {}): { connector: UpstreamConnector; pool: TargetPool } {
  const connector = new UpstreamConnector(wheel, { keepalive });
  return { connector, pool: connector.pool('http', { host: '127.0.0.1', port: upstream.port }, null) };
}

/** Sends one request as the proxy does: an idle connection if there is one, else a new one. */
async function send(connector: UpstreamConnector, pool: TargetPool, method = 'GET', upgrade = false): Promise<Outcome> {
  const recorder = new Recorder();
  const conn = pool.take() ?? connector.connect(pool, 2000);
  const head = `${method} /x HTTP/1.1\r\nhost: upstream\r\n${upgrade ? 'connection: upgrade\r\nupgrade: test\r\n' : ''}\r\n`;
  conn.request(recorder, method, head, 'none', upgrade);
  const outcome = await recorder.done;
  // Nothing more is reported once a request settled.
  await delay(20);
  assert.equal(recorder.events, 1, 'one final event per request');
  return outcome;
}

/** Waits for a state the connector reaches on a later event (a close, a wheel tick), however slow the machine is. */
async function until(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting until ${what}`);
    await delay(10);
  }
}

const upstreams: FaultUpstream[] = [];
async function upstream(script: Script): Promise<FaultUpstream> {
  const started = await startFaultUpstream(script);
  upstreams.push(started);
  return started;
}
after(async () => {
  await Promise.all(upstreams.map((u) => u.close()));
});

test('keep-alive: sequential requests share one connection; the idle connection waits in the pool', async () => {
  const u = await upstream((socket, _req, n) => void socket.write(okResponse(`reply ${n}`)));
  const { connector, pool } = connectorFor(u);
  for (let i = 1; i <= 3; i++) {
    const outcome = await send(connector, pool);
    assert.equal(outcome.kind, 'end');
    assert.equal(outcome.body, `reply ${i}`);
  }
  assert.equal(u.connections, 1);
  assert.equal(pool.idle.length, 1);
  assert.deepEqual(connector.counters, { connects: 1, reuses: 2, keepaliveRetries: 0 });
  connector.close();
});

test('chunked, close-delimited, HEAD, 204 and 304 responses end where their framing says', async () => {
  const u = await upstream((socket, req) => {
    const path = /^\w+ (\S+)/.exec(req)![1];
    if (req.startsWith('HEAD')) return void socket.write('HTTP/1.1 200 OK\r\ncontent-length: 999\r\n\r\n');
    if (req.includes('x-case: chunked')) return void socket.write('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n');
    if (req.includes('x-case: 204')) return void socket.write('HTTP/1.1 204 No Content\r\n\r\n');
    if (req.includes('x-case: 304')) return void socket.write('HTTP/1.1 304 Not Modified\r\netag: "a"\r\n\r\n');
    if (req.includes('x-case: close')) return void socket.end('HTTP/1.0 200 OK\r\n\r\nuntil the end');
    socket.write(okResponse(path ?? ''));
  });
  const { connector, pool } = connectorFor(u);
  const run = async (method: string, kase: string): Promise<Outcome> => {
    const recorder = new Recorder();
    const conn = pool.take() ?? connector.connect(pool, 2000);
    conn.request(recorder, method, `${method} /x HTTP/1.1\r\nhost: u\r\nx-case: ${kase}\r\n\r\n`, 'none', false);
    return recorder.done;
  };
  const chunked = await run('GET', 'chunked');
  assert.equal(chunked.kind, 'end');
  assert.equal(chunked.body, 'hello world');
  const head = await run('HEAD', 'head');
  assert.equal(head.kind, 'end');
  assert.equal(head.body, '');
  const noContent = await run('GET', '204');
  assert.equal(noContent.status, 204);
  const notModified = await run('GET', '304');
  assert.equal(notModified.status, 304);
  // Every one of those left the connection reusable: one connection so far.
  assert.equal(u.connections, 1);
  const closeDelimited = await run('GET', 'close');
  assert.equal(closeDelimited.kind, 'end');
  assert.equal(closeDelimited.body, 'until the end');
  await delay(20);
  assert.equal(pool.idle.length, 0, 'a close-delimited response leaves no connection to reuse');
  connector.close();
});

test('1xx: 100 is swallowed, 103 is reported, the final response follows', async () => {
  const u = await upstream((socket) => {
    socket.write('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nlink: </a.css>; rel=preload\r\n\r\n');
    socket.write(okResponse('final'));
  });
  const { connector, pool } = connectorFor(u);
  const outcome = await send(connector, pool);
  assert.deepEqual(outcome.informational, [103]);
  assert.equal(outcome.status, 200);
  assert.equal(outcome.body, 'final');
  connector.close();
});

test('Connection: close from the upstream: the connection is not reused', async () => {
  const u = await upstream((socket) => void socket.write(okResponse('bye', 'connection: close\r\n')));
  const { connector, pool } = connectorFor(u);
  assert.equal((await send(connector, pool)).body, 'bye');
  assert.equal((await send(connector, pool)).body, 'bye');
  assert.equal(u.connections, 2);
  connector.close();
});

test('a slow drip (one byte at a time) gives the same complete response', async () => {
  const text = 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\nx-a: b\r\n\r\n4\r\ndrip\r\n0\r\n\r\n';
  const u = await upstream(async (socket) => {
    for (const byte of text) {
      socket.write(byte);
      await delay(2);
    }
  });
  const { connector, pool } = connectorFor(u);
  const outcome = await send(connector, pool);
  assert.equal(outcome.kind, 'end');
  assert.equal(outcome.body, 'drip');
  assert.deepEqual(outcome.headers, ['transfer-encoding', 'chunked', 'x-a', 'b']);
  connector.close();
});

/** Each of these must fail the request, never end it, and leave no connection in the pool. */
const BAD_FRAMING: Array<[string, string]> = [
  ['Content-Length with Transfer-Encoding', 'HTTP/1.1 200 OK\r\ncontent-length: 5\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n'],
  ['two differing Content-Length', 'HTTP/1.1 200 OK\r\ncontent-length: 5\r\ncontent-length: 6\r\n\r\nhello!'],
  ['a Content-Length list', 'HTTP/1.1 200 OK\r\ncontent-length: 5, 6\r\n\r\nhello!'],
  ['a chunk size that is not hex', 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n'],
  ['a chunk longer than its size', 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\nhello\r\n0\r\n\r\n'],
  ['a Transfer-Encoding other than chunked', 'HTTP/1.1 200 OK\r\ntransfer-encoding: gzip\r\n\r\nxxxx'],
  ['bytes after a complete response', `${okResponse('hello')}HTTP/1.1 200 OK\r\n`],
  ['a bare LF line end', 'HTTP/1.1 200 OK\ncontent-length: 5\n\nhello'],
  ['an HTTP/2 status line', 'HTTP/2.0 200 OK\r\ncontent-length: 0\r\n\r\n'],
  ['a 101 to a request that asked for no upgrade', 'HTTP/1.1 101 Switching Protocols\r\nconnection: upgrade\r\nupgrade: x\r\n\r\n'],
  ['an oversized head', `HTTP/1.1 200 OK\r\nx-big: ${'a'.repeat(MAX_HEAD_BYTES)}\r\ncontent-length: 0\r\n\r\n`],
  ['an oversized head made of whitespace', `HTTP/1.1 200 OK\r\nx-pad: a${' '.repeat(MAX_HEAD_BYTES)}b\r\ncontent-length: 0\r\n\r\n`],
];

for (const [name, bytes] of BAD_FRAMING) {
  test(`strict framing: ${name} is a fault`, async () => {
    const u = await upstream((socket) => void socket.write(bytes));
    const { connector, pool } = connectorFor(u);
    const outcome = await send(connector, pool);
    assert.equal(outcome.kind, 'fault', `ended with body ${JSON.stringify(outcome.body)}`);
    assert.match(outcome.fault!.code, /^SLUICE_ERR_UPSTREAM_BAD_RESPONSE$/);
    assert.equal(outcome.body, '', 'no body byte was handed over');
    assert.equal(pool.idle.length, 0);
    connector.close();
  });
}

test('bytes after a complete response that arrive later close the connection: it is never reused', async () => {
  const u = await upstream((socket) => {
    socket.write(okResponse('first'));
    setTimeout(() => socket.write('HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nlater'), 20);
  });
  const { connector, pool } = connectorFor(u);
  assert.equal((await send(connector, pool)).body, 'first');
  await until(() => pool.idle.length === 0 && pool.open === 0, 'the connection is closed, not kept');
  connector.close();
});

const CUTS: Array<[string, Script, 'request' | 'response']> = [
  ['reset before the head', (socket) => reset(socket), 'request'],
  ['FIN before the head', (socket) => void socket.end(), 'request'],
  ['reset inside the head', (socket) => (socket.write('HTTP/1.1 200 OK\r\ncontent-le'), void setTimeout(() => reset(socket), 20)), 'response'],
  ['reset after the head', (socket) => (socket.write('HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\n'), void setTimeout(() => reset(socket), 20)), 'response'],
  ['reset mid-body', (socket) => (socket.write('HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nhalf'), void setTimeout(() => reset(socket), 20)), 'response'],
  ['FIN mid-body (Content-Length short)', (socket) => void socket.end('HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nhalf'), 'response'],
  ['FIN before the last chunk', (socket) => void socket.end('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n4\r\nhalf\r\n'), 'response'],
];

for (const [name, script, phase] of CUTS) {
  test(`a cut upstream: ${name} is a fault, never a complete response`, async () => {
    const u = await upstream(script);
    const { connector, pool } = connectorFor(u);
    const outcome = await send(connector, pool);
    assert.equal(outcome.kind, 'fault');
    assert.equal(outcome.fault!.phase, phase);
    assert.equal(outcome.fault!.reused, false);
    connector.close();
  });
}

test('a refused connection is a connect fault', async () => {
  const connector = new UpstreamConnector(wheel);
  const pool = connector.pool('http', { host: '127.0.0.1', port: await closedPort() }, null);
  const outcome = await send(connector, pool);
  assert.equal(outcome.fault!.phase, 'connect');
  assert.equal(outcome.fault!.code, 'ECONNREFUSED');
  connector.close();
});

test('a keep-alive connection the upstream closes while idle leaves the pool', async () => {
  let upstreamSide: Socket | undefined;
  const u = await upstream((socket) => {
    upstreamSide = socket;
    socket.write(okResponse('once'));
  });
  const { connector, pool } = connectorFor(u);
  await send(connector, pool);
  assert.equal(pool.idle.length, 1);
  upstreamSide!.end();
  await until(() => pool.idle.length === 0 && pool.open === 0, 'the closed connection left the pool');
  connector.close();
});

test('a reused connection reset before any response byte reports reused and unanswered', async () => {
  const u = await upstream((socket, _req, n) => {
    if (n === 1) socket.write(okResponse('first'));
    else reset(socket);
  });
  const { connector, pool } = connectorFor(u);
  await send(connector, pool);
  const outcome = await send(connector, pool);
  assert.equal(outcome.kind, 'fault');
  assert.equal(outcome.fault!.reused, true);
  assert.equal(outcome.fault!.answered, false);
  connector.close();
});

test('idle connections close after the idle timeout; at most maxIdle are kept', async () => {
  const u = await upstream((socket) => void socket.write(okResponse('x')));
  const { connector, pool } = connectorFor(u, { idleTimeoutMs: 60, maxIdle: 1 });
  // Two requests at once need two connections; only one is kept once both are done.
  await Promise.all([send(connector, pool), send(connector, pool)]);
  assert.equal(u.connections, 2);
  assert.equal(pool.idle.length, 1);
  await until(() => pool.idle.length === 0 && pool.open === 0, 'the idle timeout closed the kept connection');
  connector.close();
});

test('a connection carries at most maxRequests requests', async () => {
  const u = await upstream((socket) => void socket.write(okResponse('x')));
  const { connector, pool } = connectorFor(u, { maxRequests: 2 });
  for (let i = 0; i < 4; i++) await send(connector, pool);
  assert.equal(u.connections, 2);
  connector.close();
});

test('Upgrade: a 101 to a request that asked hands over the raw socket and the bytes after the head', async () => {
  const u = await upstream((socket) => {
    socket.write('HTTP/1.1 101 Switching Protocols\r\nconnection: upgrade\r\nupgrade: test\r\n\r\nhello from the other protocol');
    socket.removeAllListeners('data');
    socket.on('data', (chunk) => socket.write(`echo:${String(chunk)}`));
  });
  const { connector, pool } = connectorFor(u);
  const outcome = await send(connector, pool, 'GET', true);
  assert.equal(outcome.kind, 'upgrade');
  assert.equal(outcome.status, 101);
  assert.equal(outcome.upgradeHead!.toString(), 'hello from the other protocol');
  const socket = outcome.socket!;
  socket.write('ping');
  const [reply] = (await once(socket, 'data')) as [Buffer];
  assert.equal(reply.toString(), 'echo:ping');
  assert.equal(pool.open, 0, 'the upgraded socket is no longer the pool\'s');
  socket.destroy();
  connector.close();
});

test('closing a pool closes its idle connections', async () => {
  const u = await upstream((socket) => void socket.write(okResponse('x')));
  const { connector, pool } = connectorFor(u);
  await send(connector, pool);
  assert.equal(pool.idle.length, 1);
  connector.retain(new Set());
  await until(() => pool.open === 0, 'the idle connection is closed');
  assert.equal(connector.size, 0);
});
