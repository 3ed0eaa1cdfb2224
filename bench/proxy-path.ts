// A benchmark on its own thread (main thread of its process): the CPU the proxy's HTTP/1.1
// transport spends per request outside the kernel, in process. Sluice's own listener connection
// (workers/http1/) and upstream connection (workers/upstream/) are driven over in-memory sockets:
// a client request goes in, the upstream head is captured, an nginx-like response goes in, the
// client's response is captured. The relay between them is the floor-connector's (status,
// headers minus hop-by-hop, body). No syscalls, no stream machinery of net.Socket: what is left is
// llhttp (both directions), the request and response objects, head serialisation, the pool and
// its idle timer. Each request is checked (the client gets the upstream's body), so a change that
// breaks the path cannot look fast.
// Second part: the same over real loopback sockets in one process (client, proxy, origin), next
// to a relay that forwards bytes unchanged, so the socket layer's share shows too.
// Usage: node bench/proxy-path.ts [--requests N] [--rounds R]
import { EventEmitter } from 'node:events';
import { parseArgs } from 'node:util';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { DEFAULT_LISTENER_LIMITS } from '../runtime/protocol/listener-limits.ts';
import { Http1Connection } from '../workers/http1/connection.ts';
import { Http1Server } from '../workers/http1/server.ts';
import type { Http1Request } from '../workers/http1/request.ts';
import type { DrainWaiter, Http1Response } from '../workers/http1/response.ts';
import { TimerWheel } from '../workers/timers/wheel.ts';
import { UpstreamConnection, type UpstreamFault, type UpstreamHandler } from '../workers/upstream/connection.ts';
import { UpstreamConnector } from '../workers/upstream/pool.ts';

const { values } = parseArgs({ options: { requests: { type: 'string' }, rounds: { type: 'string' } } });
const REQUESTS = Number(values.requests ?? 200_000);
const ROUNDS = Number(values.rounds ?? 5);

/** What a socket is to the listener and the connector, in memory: writes are counted and kept. */
class MemorySocket extends EventEmitter {
  destroyed = false;
  writableNeedDrain = false;
  written = 0;
  last = '';
  write(data: string | Buffer, encoding?: BufferEncoding): boolean {
    this.written += typeof data === 'string' ? Buffer.byteLength(data, encoding ?? 'utf8') : data.length;
    this.last = typeof data === 'string' ? data : data.toString('latin1');
    return true;
  }
  end(data?: string | Buffer, encoding?: BufferEncoding): void {
    if (data !== undefined) this.write(data, encoding);
  }
  cork(): void {}
  uncork(): void {}
  pause(): this {
    return this;
  }
  resume(): this {
    return this;
  }
  destroy(): void {
    this.destroyed = true;
  }
  setNoDelay(): void {}
}

// What wrk sends, and what the bench's nginx upstream answers (`return 200`, 30-byte body).
const REQUEST = Buffer.from('GET /bench HTTP/1.1\r\nHost: 127.0.0.1:8000\r\nUser-Agent: bench\r\nAccept: */*\r\n\r\n', 'latin1');
const BODY = 'hello from the bench upstream\n';
const RESPONSE = Buffer.from(
  `HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nDate: Mon, 07 Dec 2026 14:49:41 GMT\r\nContent-Type: text/plain\r\nContent-Length: ${BODY.length}\r\nConnection: keep-alive\r\n\r\n${BODY}`,
  'latin1',
);

const connector = new UpstreamConnector(new TimerWheel(), { keepalive: { maxRequests: Number.MAX_SAFE_INTEGER } });
const pool = connector.pool('http', { host: '127.0.0.1', port: 1 }, null);
const upstreamSocket = new MemorySocket();
const upstream = new UpstreamConnection(upstreamSocket as unknown as Socket, pool);
upstream.connected();
pool.open++;
pool.release(upstream);

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'expect', 'host']);
const HOST = 'host: 127.0.0.1:1\r\n';

/** floor-connector.ts's relay: one request's trip. */
class Relay implements UpstreamHandler, DrainWaiter {
  readonly res: Http1Response;
  status = 0;
  head: string[] | null = null;
  constructor(res: Http1Response) {
    this.res = res;
  }
  onConnected(): void {}
  onInformational(): void {}
  onRequestDrain(): void {}
  onDrain(): void {}
  onUpgrade(): void {}
  onResponseHead(status: number, raw: string[]): void {
    const flat: string[] = [];
    for (let i = 0; i < raw.length; i += 2) if (!HOP_BY_HOP.has(raw[i]!.toLowerCase())) flat.push(raw[i]!, raw[i + 1]!);
    this.status = status;
    this.head = flat;
  }
  onResponseData(chunk: Buffer): void {
    if (this.head !== null) this.res.writeHead(this.status, this.head);
    this.head = null;
    this.res.write(chunk);
  }
  onResponseEnd(last: Buffer | null): void {
    if (this.head !== null) this.res.writeHead(this.status, this.head);
    this.head = null;
    if (last === null) this.res.end();
    else this.res.end(last);
  }
  onFault(fault: UpstreamFault): void {
    throw fault;
  }
}

function handler(req: Http1Request, res: Http1Response): void {
  const raw = req.rawHeaders;
  let head = `${req.method} ${req.url} HTTP/1.1\r\n${HOST}`;
  for (let i = 0; i < raw.length; i += 2) if (!HOP_BY_HOP.has(raw[i]!.toLowerCase())) head += `${raw[i]!}: ${raw[i + 1]!}\r\n`;
  const conn = pool.take();
  if (conn === null) throw new Error('no idle upstream connection');
  conn.request(new Relay(res), req.method, `${head}\r\n`, 'none', false);
}

const clientSocket = new MemorySocket();
// One client connection for the whole run: no keep-alive request cap.
const limits = { ...DEFAULT_LISTENER_LIMITS, keepaliveRequests: Number.MAX_SAFE_INTEGER };
new Http1Connection(clientSocket as unknown as Socket, { handler, failed: (error) => { throw error; } }, limits);

/** Runs `count` requests back to back (each starts once the last response is done) and resolves. */
function run(count: number): Promise<void> {
  return new Promise((resolve) => {
    let left = count;
    const next = (): void => {
      if (left-- === 0) return resolve();
      const sent = upstreamSocket.written;
      const answered = clientSocket.written;
      clientSocket.emit('data', REQUEST);
      if (upstreamSocket.written === sent) throw new Error('the request did not reach the upstream');
      upstreamSocket.emit('data', RESPONSE);
      if (clientSocket.written === answered || !clientSocket.last.endsWith(BODY)) throw new Error(`unexpected response: ${clientSocket.last}`);
      // The listener resumes its parser on the next tick after a response: go on after it.
      process.nextTick(next);
    };
    next();
  });
}

/** The same loop with no proxying: what the harness itself costs per request. */
function runEmpty(count: number): Promise<void> {
  return new Promise((resolve) => {
    let left = count;
    const next = (): void => {
      if (left-- === 0) return resolve();
      process.nextTick(next);
    };
    next();
  });
}

async function measure(fn: (count: number) => Promise<void>, count: number): Promise<number> {
  const start = process.cpuUsage();
  await fn(count);
  const used = process.cpuUsage(start);
  return (used.user + used.system) / count;
}

/** Listens on 127.0.0.1, an ephemeral port. */
function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

/**
 * Real loopback sockets, one process, one request at a time: a client, the proxy and an upstream
 * that answers every read with RESPONSE. `transport`: Sluice's listener + connector + relay;
 * `raw`: bytes relayed unchanged (floor-raw's work without its head scan). Returns a function that
 * runs `count` requests.
 */
async function loopback(kind: 'transport' | 'raw'): Promise<{ run: (count: number) => Promise<void>; close: () => void }> {
  const origin = createServer({ noDelay: true }, (socket) => {
    socket.on('data', () => socket.write(RESPONSE));
  });
  const originPort = await listen(origin);
  let proxy: Server;
  if (kind === 'transport') {
    const wheel = new TimerWheel();
    const own = new UpstreamConnector(wheel, { keepalive: { maxRequests: Number.MAX_SAFE_INTEGER } });
    const target = own.pool('http', { host: '127.0.0.1', port: originPort }, null);
    const relayHandler = (req: Http1Request, res: Http1Response): void => {
      const raw = req.rawHeaders;
      let head = `${req.method} ${req.url} HTTP/1.1\r\n${HOST}`;
      for (let i = 0; i < raw.length; i += 2) if (!HOP_BY_HOP.has(raw[i]!.toLowerCase())) head += `${raw[i]!}: ${raw[i + 1]!}\r\n`;
      const conn = target.take() ?? own.connect(target, 10_000);
      conn.request(new Relay(res), req.method, `${head}\r\n`, 'none', false);
    };
    const server = new Http1Server({ handler: relayHandler, failed: (error) => { throw error; } }, () => {}, limits);
    proxy = server.net;
  } else {
    proxy = createServer({ noDelay: true }, (client) => {
      const up = connect({ host: '127.0.0.1', port: originPort, noDelay: true });
      client.on('data', (chunk: Buffer) => up.write(chunk));
      up.on('data', (chunk: Buffer) => client.write(chunk));
      client.on('close', () => up.destroy());
    });
  }
  const port = await listen(proxy);
  const client = connect({ host: '127.0.0.1', port, noDelay: true });
  await new Promise((resolve) => client.once('connect', resolve));
  let onAnswer: (() => void) | null = null;
  client.on('data', (chunk: Buffer) => {
    if (chunk.toString('latin1').endsWith(BODY)) onAnswer?.();
  });
  return {
    run: (count) =>
      new Promise((resolve) => {
        let left = count;
        onAnswer = () => {
          if (--left === 0) return resolve();
          client.write(REQUEST);
        };
        client.write(REQUEST);
      }),
    close: () => {
      client.destroy();
      proxy.close();
      origin.close();
    },
  };
}

function median(figures: number[]): number {
  const sorted = [...figures].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

await run(20_000);
await runEmpty(20_000);
const inMemory: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  const empty = await measure(runEmpty, REQUESTS);
  const full = await measure(run, REQUESTS);
  inMemory.push(full - empty);
}
process.stdout.write(`in memory (listener + connector + relay, no sockets): ${median(inMemory).toFixed(2)} µs CPU per request (median of ${ROUNDS})\n`);

const transport = await loopback('transport');
const raw = await loopback('raw');
const loopCount = Math.max(1000, Math.floor(REQUESTS / 10));
await transport.run(loopCount);
await raw.run(loopCount);
const overTransport: number[] = [];
const overRaw: number[] = [];
for (let round = 0; round < ROUNDS; round++) {
  overRaw.push(await measure(raw.run, loopCount));
  overTransport.push(await measure(transport.run, loopCount));
}
transport.close();
raw.close();
const t = median(overTransport);
const r = median(overRaw);
process.stdout.write(`loopback, one process (client + proxy + origin, kernel included): transport ${t.toFixed(2)} µs, raw relay ${r.toFixed(2)} µs per request; transport - raw ${(t - r).toFixed(2)} µs\n`);
