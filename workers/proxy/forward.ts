// Sends one request to its upstream and streams the answer back (worker thread).
// The Exchange is itself the undici dispatch handler (undici 7's onRequestStart / onResponse*
// API): no AsyncResource, no `finished()` and no intermediate Writable per request. Body chunks
// go straight to the client's response with backpressure (pause on a full socket, resume on
// drain, http1/response.ts); the client's request body stream is the upstream request body.
// Neither direction is buffered whole: the chunk that completes a Content-Length body leaves
// with the head in one `res.end(chunk)`.
import type { Dispatcher } from 'undici';
import type { Service } from '../../config/types.ts';
import { SluiceError } from '../../runtime/protocol/errors.ts';
import type { DrainWaiter } from '../http1/response.ts';
import type { Balancer } from '../balancer/balancers.ts';
import { PickState, type Peer } from '../balancer/peer.ts';
import type { PluginRunner } from '../plugins/route-plugins.ts';
import type { BufferedResponse, UpstreamResponse } from '../plugins/types.ts';
import type { WorkerState } from '../state.ts';
import { BufferedAnswer } from './buffered-response.ts';
import type { RequestContext } from './context.ts';
import { hostHeader, type Dispatchers } from './dispatchers.ts';
import { answerError, isConnectFailure, upstreamErrorCode } from './errors.ts';
import { downstreamResponseHeaders, upstreamRequestHeaders } from './headers.ts';
import { readTimedOut, requestBody } from './upstream-timeouts.ts';

export interface ListenerInfo {
  /** The proxy port as clients see it (X-Forwarded-Port). */
  port: string;
  proto: string;
}

const EMPTY = Buffer.alloc(0);

/** Why the upstream request was abandoned when the client went away first. */
const CLIENT_GONE = new SluiceError('SLUICE_ERR_CLIENT_GONE');

/** One request's trip to the upstream; undici's dispatch handler for it (every try). */
export class Exchange implements Dispatcher.DispatchHandler, DrainWaiter {
  readonly ctx: RequestContext;
  readonly state: WorkerState;
  readonly service: Service;
  readonly runner: PluginRunner | null;
  readonly dispatchers: Dispatchers;
  readonly listener: ListenerInfo;
  tries = 0;
  sentAt = 0;
  /** undici's controller of the current try, from onRequestStart. */
  controller: Dispatcher.DispatchController | null = null;
  /** Response-phase plugin exit: the upstream body is read and dropped. */
  discard = false;
  /** The answer being read whole for a `response` plugin (buffered-response.ts), else null. */
  buffered: BufferedAnswer | null = null;
  /** Chunks pass through the route's body_filter plugins. */
  filtersBody = false;
  /** Upstream Content-Length still to come, or -1 when unknown (chunked, HEAD, 204, 304). */
  remaining = -1;
  /** Set once the client response ended or was cut: later upstream events are ignored. */
  done = false;
  /** The client's socket is full: the upstream is paused until it drains. */
  paused = false;
  /** Wheel timers of read_timeout and write_timeout, or 0 (upstream-timeouts.ts). */
  readTimer = 0;
  writeTimer = 0;
  /** The upstream's balancer and the peer of the current try (null for a plain service). */
  balancer: Balancer | null = null;
  peer: Peer | null = null;
  /** ms from sending this try to its response head, or -1 before it. */
  tryMs = -1;
  /** Consistent-hashing point and peers tried, kept across tries. */
  readonly picks = new PickState();

  constructor(ctx: RequestContext, state: WorkerState, service: Service, runner: PluginRunner | null, dispatchers: Dispatchers, listener: ListenerInfo) {
    this.ctx = ctx;
    this.state = state;
    this.service = service;
    this.runner = runner;
    this.dispatchers = dispatchers;
    this.listener = listener;
  }

  /** The client went away before its response ended: drop the upstream request. */
  abort(): void {
    this.done = true;
    this.endTry();
    this.stopReadTimer();
    const controller = this.controller;
    if (controller !== null && !controller.aborted) controller.abort(CLIENT_GONE);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.done || this.ctx.res.destroyed) return controller.abort(CLIENT_GONE);
    // A request without a body is sent whole now; one with a body once requestBody() ends.
    if (!this.ctx.hasBody || this.ctx.bufferedBody !== null) this.touchReadTimer();
  }

  stopReadTimer(): void {
    if (this.readTimer !== 0) {
      this.dispatchers.wheel.cancel(this.readTimer);
      this.readTimer = 0;
    }
  }

  /** The upstream owes us something from now: start or restart the silence it may keep. */
  touchReadTimer(): void {
    if (this.done || this.paused) return;
    const wheel = this.dispatchers.wheel;
    if (this.readTimer === 0) this.readTimer = wheel.schedule('upstream-read-timeout', this.service.read_timeout, readTimedOut, this);
    else wheel.reschedule(this.readTimer, this.service.read_timeout);
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: Record<string, string | string[] | undefined>): void {
    this.touchReadTimer();
    // 1xx informational answers are not relayed (the listener answers 100-continue itself).
    if (statusCode < 200 || this.done) return;
    const ctx = this.ctx;
    ctx.upstreamStatus = statusCode;
    ctx.upstreamLatencyMs = this.tryMs = performance.now() - this.sentAt;
    if (this.peer !== null) this.balancer!.passive?.status(this.peer, statusCode);
    const runner = this.runner;
    if (runner !== null) {
      const upstream: UpstreamResponse = { statusCode, headers: headers as UpstreamResponse['headers'] };
      if (runner.buffersResponse) {
        this.buffered = new BufferedAnswer(upstream);
        return;
      }
      runner.headerFilter(ctx, upstream);
      // A header_filter that failed has already answered 500: the upstream body goes nowhere.
      if (ctx.exited) {
        this.discard = true;
        return;
      }
      statusCode = upstream.statusCode;
      headers = upstream.headers;
      this.filtersBody = runner.filtersBody;
    }
    this.writeHead(statusCode, headers);
  }

  writeHead(statusCode: number, headers: Record<string, string | string[] | undefined>): void {
    const ctx = this.ctx;
    const extra = ctx.responseHeaders;
    const flat = downstreamResponseHeaders(headers, extra);
    if (extra !== null) for (const name in extra) flat.push(name, extra[name]!);
    flat.push('via', '1.1 sluice');
    const length = headers['content-length'];
    // Through a body_filter the length may change: the end is the upstream's end, not a count.
    this.remaining = typeof length === 'string' && ctx.req.method !== 'HEAD' && !this.filtersBody ? Number(length) : -1;
    ctx.res.writeHead(statusCode, flat);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.done) return;
    if (this.discard) return this.touchReadTimer();
    if (this.buffered !== null) return this.bufferChunk(chunk);
    if (this.filtersBody) {
      chunk = this.runner!.bodyFilter(this.ctx, chunk, false);
      if (this.ctx.exited) return this.cut();
      // An empty write would end a chunked body early.
      if (chunk.length === 0) return this.touchReadTimer();
    }
    if (this.remaining !== -1) {
      this.remaining -= chunk.length;
      // The chunk that completes the body leaves with the head (when nothing was written yet) and
      // the end of the response in one write.
      if (this.remaining === 0) {
        this.done = true;
        this.endTry();
        this.stopReadTimer();
        this.ctx.res.end(chunk);
        return;
      }
    }
    const res = this.ctx.res;
    if (res.write(chunk)) {
      this.touchReadTimer();
    } else {
      this.stopReadTimer();
      this.paused = true;
      controller.pause();
      res.drainWaiter = this;
    }
  }

  /** The client's socket took what was queued: the upstream may send again. */
  onDrain(): void {
    this.ctx.res.drainWaiter = null;
    if (this.done) return;
    this.paused = false;
    this.touchReadTimer();
    this.controller?.resume();
  }

  /** The current try is over, whichever way: the balancer learns its round trip (-1: failed). */
  endTry(): void {
    const peer = this.peer;
    if (peer === null) return;
    this.peer = null;
    this.balancer!.done(peer, this.tryMs);
  }

  onResponseEnd(): void {
    this.endTry();
    this.stopReadTimer();
    if (this.discard || this.done) return;
    this.done = true;
    if (this.buffered !== null) return this.buffered.finish(this.ctx, this.runner!, (answer) => this.sendBuffered(answer));
    if (this.filtersBody) {
      const last = this.runner!.bodyFilter(this.ctx, EMPTY, true);
      if (this.ctx.exited) return;
      this.ctx.res.end(last.length === 0 ? undefined : last);
      return;
    }
    this.ctx.res.end();
  }

  bufferChunk(chunk: Buffer): void {
    if (this.buffered!.add(chunk)) return this.touchReadTimer();
    // Past the cap: the answer is refused whole, not cut (nothing was sent yet).
    this.done = true;
    this.discard = true;
    this.stopReadTimer();
    this.controller?.abort(new SluiceError('SLUICE_ERR_UPSTREAM_UNAVAILABLE', 'buffered upstream response too large'));
    answerError(this.ctx, 'SLUICE_ERR_UPSTREAM_UNAVAILABLE');
  }

  sendBuffered(answer: BufferedResponse): void {
    this.writeHead(answer.statusCode, answer.headers);
    this.ctx.res.end(this.ctx.req.method === 'HEAD' || answer.body.length === 0 ? undefined : answer.body);
  }

  /** A body_filter failed mid-body: the client sees a cut response. */
  cut(): void {
    this.done = true;
    this.stopReadTimer();
    this.controller?.abort(CLIENT_GONE);
  }

  onResponseError(_controller: Dispatcher.DispatchController | undefined, error: Error): void {
    // Passive checks count a failed try before any response; a failure mid-body (after the status
    // was counted) or the client leaving is not the target's fault.
    const peer = this.peer;
    if (peer !== null && this.tryMs === -1 && error !== CLIENT_GONE) this.balancer!.passive?.failed(peer, upstreamErrorCode(error) === 'SLUICE_ERR_UPSTREAM_TIMEOUT');
    this.endTry();
    this.stopReadTimer();
    const ctx = this.ctx;
    if (this.done || ctx.exited) return;
    const res = ctx.res;
    if (res.headersSent || res.destroyed) {
      // Mid-body failure: the status is gone; cut the client connection so it sees a short response.
      this.done = true;
      res.destroy();
      return;
    }
    // Kong retries a failed connect on the next peer, up to the service's `retries`. Only when nothing
    // was sent: a request body stream cannot be replayed, and a read timeout may have reached the app.
    if (isConnectFailure(error) && !ctx.hasBody && this.tries <= this.service.retries && !ctx.socket.destroyed) {
      send(this);
      return;
    }
    this.done = true;
    answerError(ctx, upstreamErrorCode(error));
  }
}

export function forward(ctx: RequestContext, state: WorkerState, service: Service, runner: PluginRunner | null, dispatchers: Dispatchers, listener: ListenerInfo): void {
  const exchange = new Exchange(ctx, state, service, runner, dispatchers, listener);
  ctx.exchange = exchange;
  send(exchange);
}

function send(exchange: Exchange): void {
  const { ctx, service, state } = exchange;
  const req = ctx.req;
  let pool: Dispatcher;
  let upstreamHost: string;
  const balancer = state.balancers.byName.get(service.host);
  if (balancer !== undefined) {
    const picks = exchange.picks;
    const peer = balancer.pick(ctx, picks);
    if (peer === null) return answerError(ctx, 'SLUICE_ERR_NO_HEALTHY_TARGET');
    exchange.balancer = balancer;
    exchange.peer = peer;
    exchange.tryMs = -1;
    (picks.tried ??= []).push(peer);
    pool = exchange.dispatchers.get(peer.origin, service.connect_timeout);
    upstreamHost = balancer.upstream.host_header ?? hostHeader(peer.name, peer.port, service.protocol);
  } else {
    const target = exchange.dispatchers.direct(service);
    pool = target.pool;
    upstreamHost = target.hostHeader;
  }
  const route = ctx.route!;
  const match = ctx.match!;
  const clientHost = req.headers.host ?? '';
  const url = req.url;
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
  exchange.controller = null;
  pool.dispatch(
    {
      path: match.upstreamPath + query,
      method: req.method as Dispatcher.HttpMethod,
      headers,
      // undici takes async iterables as bodies (request.js checks isIterable); its types omit them.
      // A body a plugin read whole (ctx.readBody) goes as is; otherwise the client's stream.
      body: ctx.bufferedBody !== null ? ctx.bufferedBody : ctx.hasBody ? (requestBody(exchange) as unknown as Dispatcher.DispatchOptions['body']) : null,
      // undici's timers are off: the wheel keeps the timeouts (upstream-timeouts.ts).
      headersTimeout: 0,
      bodyTimeout: 0,
    },
    exchange,
  );
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
