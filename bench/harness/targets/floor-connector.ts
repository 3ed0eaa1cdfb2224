// Its own process, started by the bench (see floor.ts): Sluice's transport without the gateway.
// The listener is Sluice's own Http1Server (workers/http1/) and the upstream side Sluice's own
// connector (workers/upstream/: keep-alive pool, llhttp response parser), as the workers use
// them; in between only a minimal handler that relays status, headers (minus the hop-by-hop
// ones) and body. No router, no plugins, no read/write timers, no X-Forwarded-*, no Via, no
// worker thread: whatever Sluice costs above this process is the gateway, not the transport.
// Usage: node bench/harness/targets/floor-connector.ts --port P --upstream http://127.0.0.1:U
// Prints {"ready":true,...} once listening.
import type { Socket } from 'node:net';
import { parseArgs } from 'node:util';
import { Http1Server } from '../../../workers/http1/server.ts';
import type { Http1Request } from '../../../workers/http1/request.ts';
import type { DrainWaiter, Http1Response } from '../../../workers/http1/response.ts';
import { TimerWheel } from '../../../workers/timers/wheel.ts';
import type { UpstreamConnection, UpstreamFault, UpstreamHandler } from '../../../workers/upstream/connection.ts';
import { UpstreamConnector } from '../../../workers/upstream/pool.ts';
import { exitWithParent } from '../proc.ts';

const { values } = parseArgs({ options: { port: { type: 'string' }, upstream: { type: 'string' } } });
const port = Number(values.port);
const upstream = values.upstream === undefined ? null : new URL(values.upstream);
if (!Number.isInteger(port) || port <= 0 || upstream === null) {
  process.stderr.write('usage: floor-connector.ts --port P --upstream http://HOST:PORT\n');
  process.exit(2);
}

const connector = new UpstreamConnector(new TimerWheel());
const pool = connector.pool('http', { host: upstream.hostname, port: Number(upstream.port) }, null);
const HOST = `host: ${upstream.host}\r\n`;
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'expect', 'host']);
const BAD_GATEWAY = ['content-length', '0', 'connection', 'close'];

/** One request's trip to the upstream: the connection's handler and the response's drain waiter. */
class Relay implements UpstreamHandler, DrainWaiter {
  readonly res: Http1Response;
  conn: UpstreamConnection | null = null;
  status = 0;
  head: string[] | null = null;

  constructor(res: Http1Response) {
    this.res = res;
  }

  onConnected(): void {}
  onInformational(): void {}
  onRequestDrain(): void {}

  onResponseHead(status: number, raw: string[]): void {
    const flat: string[] = [];
    for (let i = 0; i < raw.length; i += 2) if (!HOP_BY_HOP.has(raw[i]!.toLowerCase())) flat.push(raw[i]!, raw[i + 1]!);
    this.status = status;
    this.head = flat;
  }

  #flush(): void {
    if (this.head !== null) this.res.writeHead(this.status, this.head);
    this.head = null;
  }

  onResponseData(chunk: Buffer): void {
    this.#flush();
    if (!this.res.write(chunk) && !this.res.destroyed) {
      this.conn?.pause();
      this.res.drainWaiter = this;
    }
  }

  onDrain(): void {
    this.res.drainWaiter = null;
    this.conn?.resume();
  }

  onResponseEnd(last: Buffer | null): void {
    this.conn = null;
    this.#flush();
    if (last === null) this.res.end();
    else this.res.end(last);
  }

  onUpgrade(_status: number, _raw: string[], socket: Socket): void {
    socket.destroy();
  }

  onFault(_fault: UpstreamFault): void {
    this.conn = null;
    const res = this.res;
    if (res.writableFinished || res.destroyed) return;
    if (res.headersSent) return res.destroy();
    res.keepAlive = false;
    res.writeHead(502, BAD_GATEWAY);
    res.end();
  }

  /** Http1Response's onClose: drops the upstream request when the client left before the end. */
  onClose(): void {
    if (!this.res.writableFinished) this.conn?.abort();
  }
}

function handle(req: Http1Request, res: Http1Response): void {
  const raw = req.rawHeaders;
  let head = `${req.method} ${req.url} HTTP/1.1\r\n${HOST}`;
  for (let i = 0; i < raw.length; i += 2) if (!HOP_BY_HOP.has(raw[i]!.toLowerCase())) head += `${raw[i]!}: ${raw[i + 1]!}\r\n`;
  const relay = new Relay(res);
  res.onClose = () => relay.onClose();
  // The floor relays bodiless requests only (the bench sends GETs).
  const conn = pool.take() ?? connector.connect(pool, 10_000);
  relay.conn = conn;
  conn.request(relay, req.method, `${head}\r\n`, 'none', false);
}

const failed = (error: unknown): void => void process.stderr.write(`floor-connector: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
const server = new Http1Server({ handler: handle, failed }, () => {});
server.listen({ host: '127.0.0.1', port }, () => {
  process.stdout.write(`${JSON.stringify({ ready: true, port, upstream: upstream.href })}\n`);
});
process.on('SIGTERM', () => process.exit(0));
exitWithParent();
