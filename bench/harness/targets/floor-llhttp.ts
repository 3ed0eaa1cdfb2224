// Its own process, started by the bench (see floor.ts): Sluice's transport without the gateway.
// The listener is Sluice's own Http1Server (net.Server + llhttp wasm, workers/http1/) and the
// upstream side an undici Pool (keep-alive, 128 connections) driven by Pool.dispatch, as Sluice's
// workers do; in between only a minimal dispatch handler that relays status, headers (minus the
// hop-by-hop ones) and body. No router, no plugins, no timers, no X-Forwarded-*, no Via, no
// worker thread: whatever Sluice costs above this process is the gateway, not the transport.
// Usage: node bench/harness/targets/floor-llhttp.ts --port P --upstream http://127.0.0.1:U
// Prints {"ready":true,...} once listening.
import { parseArgs } from 'node:util';
import { Pool, type Dispatcher } from 'undici';
import { Http1Server } from '../../../workers/http1/server.ts';
import type { Http1Request } from '../../../workers/http1/request.ts';
import type { DrainWaiter, Http1Response } from '../../../workers/http1/response.ts';
import { exitWithParent } from '../proc.ts';

const { values } = parseArgs({ options: { port: { type: 'string' }, upstream: { type: 'string' } } });
const port = Number(values.port);
const upstream = values.upstream;
if (!Number.isInteger(port) || port <= 0 || upstream === undefined) {
  process.stderr.write('usage: floor-llhttp.ts --port P --upstream http://HOST:PORT\n');
  process.exit(2);
}

// The pool settings Sluice used before its own connector, and the Node peer's.
const pool = new Pool(upstream, { connections: 128, pipelining: 1, keepAliveTimeout: 60_000, keepAliveMaxTimeout: 60_000 });

/**
 * Hop-by-hop headers are not relayed. On the request side undici also refuses them (and
 * `expect`, which the listener answers itself) and frames the body on its own.
 */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding']);
const REQUEST_DROP = new Set([...HOP_BY_HOP, 'upgrade', 'expect']);

const CLIENT_GONE = new Error('client went away');
const BAD_GATEWAY = ['content-length', '0', 'connection', 'close'];

/** One request's trip to the upstream: undici's dispatch handler and the response's drain waiter. */
class Relay implements Dispatcher.DispatchHandler, DrainWaiter {
  readonly res: Http1Response;
  controller: Dispatcher.DispatchController | null = null;

  constructor(res: Http1Response) {
    this.res = res;
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.res.destroyed) controller.abort(CLIENT_GONE);
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: Record<string, string | string[] | undefined>): void {
    // 1xx answers are not relayed (no request here expects 100-continue from the upstream).
    if (statusCode < 200 || this.res.destroyed) return;
    const flat: string[] = [];
    for (const name in headers) {
      if (HOP_BY_HOP.has(name)) continue;
      const value = headers[name];
      if (typeof value === 'string') flat.push(name, value);
      else if (value !== undefined) for (const item of value) flat.push(name, item);
    }
    this.res.writeHead(statusCode, flat);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    // The head waits in the response until the first body bytes: a small answer is one write.
    if (!this.res.write(chunk) && !this.res.destroyed) {
      controller.pause();
      this.res.drainWaiter = this;
    }
  }

  onDrain(): void {
    this.res.drainWaiter = null;
    this.controller?.resume();
  }

  onResponseEnd(): void {
    this.res.end();
  }

  onResponseError(_controller: Dispatcher.DispatchController | undefined, _error: Error): void {
    const res = this.res;
    if (res.writableFinished || res.destroyed) return;
    // Mid-body: the status is gone, cut the connection so the client sees a short response.
    if (res.headersSent) return res.destroy();
    res.keepAlive = false;
    res.writeHead(502, BAD_GATEWAY);
    res.end();
  }

  /** Http1Response's onClose: drops the upstream request when the client left before the end. */
  onClose(): void {
    const controller = this.controller;
    if (!this.res.writableFinished && controller !== null && !controller.aborted) controller.abort(CLIENT_GONE);
  }
}

function handle(req: Http1Request, res: Http1Response): void {
  const raw = req.rawHeaders;
  const headers: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (!REQUEST_DROP.has(name.toLowerCase())) headers.push(name, raw[i + 1]!);
  }
  const relay = new Relay(res);
  res.onClose = () => relay.onClose();
  pool.dispatch(
    {
      path: req.url,
      method: req.method as Dispatcher.HttpMethod,
      headers,
      body: req.body,
      // undici's header and body timers off: "no timers" is part of what this floor measures.
      headersTimeout: 0,
      bodyTimeout: 0,
    },
    relay,
  );
}

// A handler that throws costs its connection only; say so on stderr (the bench keeps the tail).
const failed = (error: unknown): void => void process.stderr.write(`floor-llhttp: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
const server = new Http1Server({ handler: handle, failed }, () => {});
server.listen({ host: '127.0.0.1', port }, () => {
  process.stdout.write(`${JSON.stringify({ ready: true, port, upstream })}\n`);
});
process.on('SIGTERM', () => process.exit(0));
exitWithParent();
