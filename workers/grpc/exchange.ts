// One request to a grpc / grpcs service (worker thread): a stream on the target's HTTP/2 session
// (sessions.ts), the client's request body piped into it and its response relayed back — head,
// DATA and trailers (grpc-status, grpc-message, custom trailing metadata), or a trailers-only
// answer (one HEADERS frame with END_STREAM) as one such frame. Kong's nginx does this with
// grpc_pass; the request's path goes as it came (no strip_path, no service path: the schema
// refuses both for gRPC).
//
// Flow control both ways, nothing buffered without bound: the client's body is piped (a full
// upstream stream pauses the client's stream, whose HTTP/2 window then stops opening), and a
// client response that returns false on write pauses the upstream stream until it drains.
//
// Faults, as Kong answers a gRPC client (kong.response.exit on a request whose content-type is
// application/grpc: the HTTP status, grpc-status mapped from it, grpc-message, no body — see
// proxy/context.ts): a target that refused, reset or failed the TLS handshake before its session
// was up is retried on the next target while `retries` allow (the body has not been read yet),
// then 502 (grpc-status 13); a stream that failed after its request went out is not retried (a
// POST: nginx does not send it again either) and answers 502; a connect or read timeout 504 (grpc-status 4); no healthy target 503
// (grpc-status 14). Once the response has started, a fault resets the client's stream.
// A client that resets its stream (a cancelled call) resets the upstream stream (CANCEL).
import { constants, type ClientHttp2Stream, type IncomingHttpHeaders, type IncomingHttpStatusHeader, type OutgoingHttpHeaders } from 'node:http2';
import type { Readable } from 'node:stream';
import type { Service } from '../../config/types.ts';
import type { ErrorCode } from '../../runtime/protocol/errors.ts';
import { H2Response } from '../http2/response.ts';
import type { PluginRunner } from '../plugins/route-plugins.ts';
import type { UpstreamResponse } from '../plugins/types.ts';
import type { DrainWaiter } from '../proxy/client.ts';
import type { RequestContext } from '../proxy/context.ts';
import { answerError } from '../proxy/errors.ts';
import { UpstreamTrip, type ListenerInfo } from '../proxy/upstream-trip.ts';
import { pushProxiedHeaders, upstreamRequestId } from '../proxy/gateway-headers.ts';
import { downstreamResponseHeaders, upstreamRequestHeaders } from '../proxy/headers.ts';
import type { Target, Targets } from '../proxy/targets.ts';
import type { WorkerState } from '../state.ts';
import type { GrpcSession, SessionWaiter } from './sessions.ts';

/** Faults where nothing reached the target's application: another target may be tried. */
const NOT_CONNECTED = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET', 'SLUICE_ERR_UPSTREAM_CONNECT_TIMEOUT']);
/** Never forwarded on an HTTP/2 request (RFC 9113 §8.2.2); `host` becomes :authority. */
const NOT_FORWARDED = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'host', 'te', 'http2-settings']);
const kExchange = Symbol('sluice.grpc.exchange');
type TaggedStream = ClientHttp2Stream & { [kExchange]: GrpcExchange };
type TaggedBody = Readable & { [kExchange]: GrpcExchange };

export class GrpcExchange extends UpstreamTrip implements SessionWaiter, DrainWaiter {
  session: GrpcSession | null = null;
  stream: ClientHttp2Stream | null = null;
  trailers: IncomingHttpHeaders | null = null;

  /** Picks a target and waits for (or opens) its session. */
  start(): void {
    const { ctx, service, state } = this;
    if (ctx.res.destroyed) return;
    const balancer = state.balancers.byName.get(service.host);
    let target: Target;
    if (balancer !== undefined) {
      const peer = balancer.pick(ctx, this.picks);
      if (peer === null) return void this.#giveUp('SLUICE_ERR_NO_HEALTHY_TARGET');
      (this.picks.tried ??= []).push(peer);
      this.balancer = balancer;
      this.peer = peer;
      target = this.targets.peer(service, balancer, peer, state.tls);
    } else {
      const direct = this.targets.direct(service, state.serviceHosts, state.tls);
      if (direct === null) return void this.#giveUp('SLUICE_ERR_NAME_RESOLUTION_FAILED');
      target = direct;
    }
    this.target = target;
    const tries = ctx.tries;
    if (tries !== null) {
      const address = target.pool.address;
      tries.push({ balancer_start: Math.round(performance.timeOrigin + performance.now()), ip: address.host, port: address.port, balancer_latency: 0 });
    }
    this.tries++;
    this.sentAt = performance.now();
    this.tryMs = -1;
    const session = this.targets.grpc.session(target.pool, service.connect_timeout);
    this.session = session;
    if (session.connected) this.sessionReady(session);
    else session.waiting.add(this);
  }

  // SessionWaiter

  sessionReady(session: GrpcSession): void {
    if (this.done || this.session !== session) return;
    const ctx = this.ctx;
    const buffered = ctx.bufferedBody;
    // node:http2 may hold a written body past the request's end: its memory is left to the GC.
    if (buffered !== null) ctx.holdBody();
    const body = ctx.req.body;
    const hasBody = buffered !== null ? buffered.length > 0 : body !== null;
    let stream: ClientHttp2Stream;
    try {
      stream = session.session.request(this.#requestHeaders(), { endStream: !hasBody });
    } catch {
      // A header value node:http2 refuses (a plugin's), or the session went away this tick.
      this.endTry();
      return void this.#giveUp('SLUICE_ERR_UPSTREAM_UNAVAILABLE');
    }
    this.targets.grpc.counters.streams++;
    session.streamStarted();
    this.stream = stream;
    (stream as TaggedStream)[kExchange] = this;
    stream.on('response', onResponse);
    stream.on('data', onData);
    stream.on('trailers', onTrailers);
    stream.on('end', onEnd);
    stream.on('close', onClose);
    stream.on('error', ignore);
    this.touchReadTimer();
    if (!hasBody) return;
    if (buffered !== null) return void stream.end(buffered);
    // The request body flowing upstream counts as activity for read_timeout, as nginx's read timer
    // is reset by the WINDOW_UPDATE frames a target sends while it consumes a client stream.
    (body as TaggedBody)[kExchange] = this;
    body!.on('data', onBodyData);
    body!.pipe(stream);
  }

  sessionFailed(session: GrpcSession, error: NodeJS.ErrnoException): void {
    if (this.done || this.session !== session) return;
    this.session = null;
    const code = error.code ?? 'ECONNRESET';
    const timedOut = code === 'SLUICE_ERR_UPSTREAM_CONNECT_TIMEOUT';
    if (this.peer !== null) this.balancer!.passive?.failed(this.peer, timedOut);
    this.endTry();
    this.#failTry(timedOut ? 504 : 502);
    const ctx = this.ctx;
    const alive = !ctx.res.destroyed && !ctx.exited;
    // Nothing of the request was sent (the body is read only once the session is up).
    if (alive && this.tries <= this.service.retries) {
      if (!NOT_CONNECTED.has(code)) this.targets.log.error({ code, reason: error.message, target: this.target?.pool.origin, service: this.service.name ?? this.service.id }, 'upstream TLS handshake failed');
      return this.start();
    }
    this.#giveUp(timedOut ? 'SLUICE_ERR_UPSTREAM_TIMEOUT' : 'SLUICE_ERR_UPSTREAM_UNAVAILABLE');
  }

  /** The upstream request's fields: the client's minus hop-by-hop ones, X-Forwarded-*, `te: trailers`. */
  #requestHeaders(): OutgoingHttpHeaders {
    const ctx = this.ctx;
    const req = ctx.req;
    const target = this.target!;
    const clientHost = req.headers.host ?? '';
    const url = req.url;
    const q = url.indexOf('?');
    const overrides = ctx.upstreamHeaders;
    let host = ctx.route!.preserve_host && clientHost !== '' ? clientHost : target.hostHeader;
    const h = overrides?.['host'];
    if (typeof h === 'string') host = h;
    const flat = upstreamRequestHeaders(req.rawHeaders, req.headers.connection, {
      host,
      clientIp: ctx.clientIp,
      forwardedHost: stripPort(clientHost),
      forwardedPort: this.listener.port,
      forwardedProto: this.listener.proto,
      forwardedPath: q === -1 ? url : url.slice(0, q),
      forwardedPrefix: ctx.match!.prefix,
      overrides,
      bodyLength: ctx.bufferedBody === null ? -1 : ctx.bufferedBody.length,
      requestId: upstreamRequestId(ctx),
    });
    const headers: OutgoingHttpHeaders = Object.create(null) as OutgoingHttpHeaders;
    headers[':method'] = ctx.upstreamMethod ?? req.method;
    headers[':scheme'] = target.pool.tls === null ? 'http' : 'https';
    headers[':authority'] = host;
    headers[':path'] = url;
    for (let i = 0; i < flat.length; i += 2) {
      const name = flat[i]!.toLowerCase();
      if (NOT_FORWARDED.has(name) || name.charCodeAt(0) === 0x3a) continue;
      const value = flat[i + 1]!;
      const seen = headers[name];
      if (seen === undefined) headers[name] = value;
      else if (Array.isArray(seen)) seen.push(value);
      else headers[name] = [String(seen), value];
    }
    // gRPC requires it (and HTTP/2 allows no other TE value); nginx's grpc_pass sends it too.
    headers['te'] = 'trailers';
    return headers;
  }

  onResponse(raw: IncomingHttpHeaders & IncomingHttpStatusHeader, flags: number): void {
    if (this.done) return;
    this.touchReadTimer();
    const ctx = this.ctx;
    let status = raw[':status'] ?? 502;
    const now = performance.now();
    ctx.upstreamStatus = status;
    ctx.upstreamHeadAt = now;
    ctx.upstreamLatencyMs = this.tryMs = now - this.sentAt;
    if (this.peer !== null) this.balancer!.passive?.status(this.peer, status);
    let headers: Record<string, string | string[] | undefined> = headerObject(raw);
    const runner = this.runner;
    if (runner !== null) {
      const upstream: UpstreamResponse = { statusCode: status, headers };
      runner.headerFilter(ctx, upstream);
      // A header_filter that failed has answered 500 already: the upstream stream goes.
      if (ctx.exited) return this.#drop();
      status = upstream.statusCode;
      headers = upstream.headers;
    }
    const extra = ctx.responseHeaders;
    const flat = downstreamResponseHeaders(headers, extra);
    if (extra !== null) for (const name in extra) flat.push(name, extra[name]!);
    pushProxiedHeaders(flat, ctx, this.sentAt);
    const res = ctx.res;
    if (res instanceof H2Response) res.expectTrailers = true;
    res.writeHead(status, flat);
    // Trailers-only: the upstream's one HEADERS frame (grpc-status in it) leaves as one.
    if ((flags & constants.NGHTTP2_FLAG_END_STREAM) !== 0) this.#finish();
  }

  onData(chunk: Buffer): void {
    if (this.done) return;
    const res = this.ctx.res;
    if (res.write(chunk)) return this.touchReadTimer();
    // The client's window is full: the upstream waits (its own window stops opening).
    this.paused = true;
    this.stopReadTimer();
    res.drainWaiter = this;
    this.stream?.pause();
  }

  onDrain(): void {
    this.ctx.res.drainWaiter = null;
    if (!this.paused || this.done) return;
    this.paused = false;
    this.stream?.resume();
    this.touchReadTimer();
  }

  onEnd(): void {
    // node:http2 may end the readable side of a stream its session lost before any response
    // came: that is a fault (onClose answers it), not an empty 200.
    if (this.done || !this.ctx.res.headersSent) return;
    this.#finish();
  }

  #finish(): void {
    this.done = true;
    this.stopReadTimer();
    this.endTry();
    const res = this.ctx.res;
    if (res instanceof H2Response) res.endWithTrailers(this.trailers === null ? null : trailerObject(this.trailers));
    // An HTTP/1.x client (an http route to a grpc service) gets no trailers: chunked trailers are not written.
    else res.end();
  }

  /** The upstream stream closed (after its end, or reset, or its session gone). */
  onClose(): void {
    const stream = this.stream;
    this.session?.streamEnded();
    this.session = null;
    if (this.done) return;
    if (this.peer !== null && this.tryMs === -1) this.balancer!.passive?.failed(this.peer, false);
    this.endTry();
    this.#failTry(502);
    this.targets.log.warn({ code: 'SLUICE_ERR_UPSTREAM_UNAVAILABLE', rst: stream?.rstCode, target: this.target?.pool.origin, service: this.service.name ?? this.service.id }, 'upstream gRPC stream closed before its response ended');
    this.#giveUp('SLUICE_ERR_UPSTREAM_UNAVAILABLE');
  }

  /** The client went away before its response ended (a cancelled call): the upstream stream is cancelled. */
  abort(): void {
    if (this.done) return;
    this.done = true;
    this.stopReadTimer();
    this.endTry();
    this.session?.waiting.delete(this);
    this.#closeStream(constants.NGHTTP2_CANCEL);
  }

  #drop(): void {
    this.done = true;
    this.stopReadTimer();
    this.endTry();
    this.#closeStream(constants.NGHTTP2_CANCEL);
  }

  #closeStream(code: number): void {
    const stream = this.stream;
    if (stream !== null && !stream.closed && !stream.destroyed) stream.close(code);
  }

  touchReadTimer(): void {
    if (this.done || this.paused) return;
    const wheel = this.targets.wheel;
    if (this.readTimer === 0 || !wheel.reschedule(this.readTimer, this.service.read_timeout)) {
      this.readTimer = wheel.schedule('grpc-read-timeout', this.service.read_timeout, readTimedOut, this);
    }
  }

  stopReadTimer(): void {
    if (this.readTimer !== 0) {
      this.targets.wheel.cancel(this.readTimer);
      this.readTimer = 0;
    }
  }

  /** The upstream kept silent for read_timeout: the stream is cancelled, the client gets 504 or a reset. */
  readTimedOut(): void {
    this.readTimer = 0;
    if (this.done) return;
    if (this.peer !== null && this.tryMs === -1) this.balancer!.passive?.failed(this.peer, true);
    this.endTry();
    this.#failTry(504);
    this.#giveUp('SLUICE_ERR_UPSTREAM_TIMEOUT');
    this.#closeStream(constants.NGHTTP2_CANCEL);
  }

  /** The current try is over: the balancer learns its round trip (-1: failed). */
  endTry(): void {
    const peer = this.peer;
    if (peer === null) return;
    this.peer = null;
    this.balancer!.done(peer, this.tryMs);
  }

  #failTry(code: number): void {
    const tries = this.ctx.tries;
    const last = tries?.[tries.length - 1];
    if (last === undefined || last.state !== undefined) return;
    last.state = 'failed';
    last.code = code;
  }

  #giveUp(code: ErrorCode): void {
    if (this.done) return;
    this.done = true;
    this.stopReadTimer();
    const ctx = this.ctx;
    if (ctx.exited) return;
    const res = ctx.res;
    // Mid-response: the status is gone; the client's stream is reset.
    if (res.headersSent || res.destroyed) return res.destroy();
    answerError(ctx, code);
  }
}

function onResponse(this: TaggedStream, headers: IncomingHttpHeaders & IncomingHttpStatusHeader, flags: number): void {
  this[kExchange].onResponse(headers, flags);
}
function onData(this: TaggedStream, chunk: Buffer): void {
  this[kExchange].onData(chunk);
}
function onTrailers(this: TaggedStream, headers: IncomingHttpHeaders): void {
  this[kExchange].trailers = headers;
}
function onEnd(this: TaggedStream): void {
  this[kExchange].onEnd();
}
function onClose(this: TaggedStream): void {
  this[kExchange].onClose();
}
function onBodyData(this: TaggedBody): void {
  this[kExchange].touchReadTimer();
}
function ignore(): void {}
function readTimedOut(exchange: GrpcExchange): void {
  exchange.readTimedOut();
}

/** The response head as a header object without pseudo-headers. */
function headerObject(raw: IncomingHttpHeaders): Record<string, string | string[]> {
  const headers = Object.create(null) as Record<string, string | string[]>;
  for (const name in raw) {
    const value = raw[name];
    if (value === undefined || name.charCodeAt(0) === 0x3a) continue;
    headers[name] = value;
  }
  return headers;
}

/** Trailing metadata as node:http2 sends it: no pseudo-headers, no connection-specific fields. */
function trailerObject(raw: IncomingHttpHeaders): OutgoingHttpHeaders {
  const out = Object.create(null) as OutgoingHttpHeaders;
  for (const name in raw) {
    const value = raw[name];
    if (value === undefined || name.charCodeAt(0) === 0x3a || NOT_FORWARDED.has(name)) continue;
    out[name] = value;
  }
  return out;
}

function stripPort(host: string): string {
  if (host.startsWith('[')) return host.slice(0, host.indexOf(']') + 1);
  const colon = host.lastIndexOf(':');
  return colon === -1 ? host : host.slice(0, colon);
}

/** Sends a request to a grpc / grpcs service. */
export function forwardGrpc(ctx: RequestContext, state: WorkerState, service: Service, runner: PluginRunner | null, targets: Targets, listener: ListenerInfo): void {
  const exchange = new GrpcExchange(ctx, state, service, runner, targets, listener);
  ctx.exchange = exchange;
  if (runner !== null && runner.logs) ctx.tries = [];
  exchange.start();
}
