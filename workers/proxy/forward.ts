// Sends one request to its upstream and streams the answer back (worker thread).
// undici's stream API writes the upstream body straight into the client's ServerResponse, and the
// client's IncomingMessage is the upstream request body: neither direction is buffered whole.
// Module-level callbacks get the exchange back through undici's `opaque`, so no closure is made
// per request.
import { Writable } from 'node:stream';
import type { Dispatcher } from 'undici';
import type { Service } from '../../config/types.ts';
import { ErrorCodes, type ErrorCode } from '../../runtime/protocol/errors.ts';
import type { PluginRunner } from '../plugins/iterator.ts';
import type { UpstreamResponse } from '../plugins/types.ts';
import type { WorkerState } from '../state.ts';
import type { RequestContext } from './context.ts';
import type { Dispatchers } from './dispatchers.ts';
import { isConnectFailure, upstreamErrorCode } from './errors.ts';
import { downstreamResponseHeaders, upstreamRequestHeaders } from './headers.ts';

export interface ListenerInfo {
  /** The proxy port as clients see it (X-Forwarded-Port). */
  port: string;
  proto: string;
}

/** One request's trip to the upstream, handed to undici as `opaque`. */
class Exchange {
  readonly ctx: RequestContext;
  readonly state: WorkerState;
  readonly service: Service;
  readonly runner: PluginRunner | null;
  readonly dispatchers: Dispatchers;
  readonly listener: ListenerInfo;
  readonly hasBody: boolean;
  tries = 0;
  sentAt = 0;

  constructor(ctx: RequestContext, state: WorkerState, service: Service, runner: PluginRunner | null, dispatchers: Dispatchers, listener: ListenerInfo) {
    this.ctx = ctx;
    this.state = state;
    this.service = service;
    this.runner = runner;
    this.dispatchers = dispatchers;
    this.listener = listener;
    const headers = ctx.req.headers;
    this.hasBody = headers['transfer-encoding'] !== undefined || (headers['content-length'] !== undefined && headers['content-length'] !== '0');
  }
}

export function answerError(ctx: RequestContext, code: ErrorCode, message?: string): void {
  ctx.exit(ErrorCodes[code].status, { message: message ?? ErrorCodes[code].message });
}

export function forward(ctx: RequestContext, state: WorkerState, service: Service, runner: PluginRunner | null, dispatchers: Dispatchers, listener: ListenerInfo): void {
  send(new Exchange(ctx, state, service, runner, dispatchers, listener));
}

function send(exchange: Exchange): void {
  const { ctx, service, state } = exchange;
  const req = ctx.req;
  let origin: string;
  let upstreamHost: string;
  const balancer = state.balancers.byName.get(service.host);
  if (balancer !== undefined) {
    const peer = balancer.pick();
    if (peer === null) return answerError(ctx, 'SLUICE_ERR_NO_HEALTHY_TARGET');
    origin = peer.origin;
    upstreamHost = balancer.upstream.host_header ?? hostHeader(peer.host, peer.port, service.protocol);
  } else {
    origin = `${service.protocol}://${service.host}:${service.port}`;
    upstreamHost = hostHeader(service.host, service.port, service.protocol);
  }
  const route = ctx.route!;
  const match = ctx.match!;
  const clientHost = req.headers.host ?? '';
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  let query = q === -1 ? '' : url.slice(q);
  if (ctx.upstreamQueryRemove !== null && query !== '') query = dropQueryArgs(query, ctx.upstreamQueryRemove);
  const headers = upstreamRequestHeaders(req.rawHeaders, req.headers.connection, {
    host: route.preserve_host && clientHost !== '' ? clientHost : upstreamHost,
    clientIp: ctx.clientIp,
    forwardedHost: stripPort(clientHost),
    forwardedPort: exchange.listener.port,
    forwardedProto: exchange.listener.proto,
    forwardedPath: q === -1 ? url : url.slice(0, q),
    forwardedPrefix: match.prefix,
    overrides: ctx.upstreamHeaders,
  });
  exchange.tries++;
  exchange.sentAt = performance.now();
  const pool: Dispatcher = exchange.dispatchers.get(origin, service.connect_timeout);
  pool.stream(
    {
      path: match.upstreamPath + query,
      method: (req.method ?? 'GET') as Dispatcher.HttpMethod,
      headers,
      body: exchange.hasBody ? req : null,
      headersTimeout: service.read_timeout,
      bodyTimeout: service.read_timeout,
      opaque: exchange,
    },
    onUpstreamHeaders,
    onUpstreamDone,
  );
}

function onUpstreamHeaders(data: Dispatcher.StreamFactoryData<Exchange>): Writable {
  const exchange = data.opaque;
  const ctx = exchange.ctx;
  const res = ctx.res;
  ctx.upstreamStatus = data.statusCode;
  ctx.upstreamLatencyMs = performance.now() - exchange.sentAt;
  const upstream: UpstreamResponse = { statusCode: data.statusCode, headers: data.headers as UpstreamResponse['headers'] };
  if (exchange.runner !== null) {
    exchange.runner.response(ctx, upstream);
    // A response phase that failed has already answered 500: the upstream body goes nowhere.
    if (ctx.exited) return discard();
  }
  const extra = ctx.responseHeaders;
  const flat = downstreamResponseHeaders(upstream.headers, extra);
  if (extra !== null) for (const name in extra) flat.push(name, extra[name]!);
  flat.push('via', '1.1 sluice');
  res.writeHead(upstream.statusCode, flat);
  return res;
}

function onUpstreamDone(error: Error | null, data: Dispatcher.StreamData<Exchange>): void {
  if (error === null) return;
  const exchange = data.opaque;
  const ctx = exchange.ctx;
  if (ctx.exited) return;
  if (ctx.res.headersSent) {
    // Mid-body failure: the status is gone; cut the client connection so it sees a short response.
    ctx.res.destroy();
    return;
  }
  // Kong retries a failed connect on the next peer, up to the service's `retries`. Only when nothing
  // was sent: a request body stream cannot be replayed, and a read timeout may have reached the app.
  if (isConnectFailure(error) && !exchange.hasBody && exchange.tries <= exchange.service.retries && !ctx.req.destroyed) {
    send(exchange);
    return;
  }
  answerError(ctx, upstreamErrorCode(error));
}

function discard(): Writable {
  return new Writable({
    write(_chunk, _encoding, callback) {
      callback();
    },
  });
}

function hostHeader(host: string, port: number, protocol: string): string {
  return (protocol === 'https' && port === 443) || (protocol === 'http' && port === 80) ? host : `${host}:${port}`;
}

function stripPort(host: string): string {
  if (host.startsWith('[')) return host.slice(0, host.indexOf(']') + 1);
  const colon = host.lastIndexOf(':');
  return colon === -1 ? host : host.slice(0, colon);
}

function dropQueryArgs(query: string, names: readonly string[]): string {
  const params = new URLSearchParams(query.slice(1));
  for (const name of names) params.delete(name);
  const rest = params.toString();
  return rest === '' ? '' : `?${rest}`;
}
