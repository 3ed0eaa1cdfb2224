// Sends one request to its upstream and streams the answer back (worker thread), over Sluice's
// own upstream connector (workers/upstream/). The Exchange is the connection's handler: no
// stream, no promise and no closure per request. Body chunks go straight to the client's
// response with backpressure both ways (a full client socket pauses the upstream socket; a full
// upstream socket pauses the client's request body). The chunk that completes a response leaves
// with the head in one `res.end(chunk)` when the whole response came in one read.
//
// What the client sees when the upstream fails (Kong's statuses):
//   connect refused/unreachable, TLS refused  next target while `retries` allow, then 502
//   connect, read or write timeout            504
//   a reused keep-alive connection reset before any response byte: one retry on a new
//   connection for idempotent requests whose body was not sent (nginx proxy_next_upstream error)
//   a bad or truncated response               502 while nothing was relayed, else the client
//                                             connection is cut (a response that stops short)
//
// A WebSocket handshake (req.upgrade) is sent with `Connection: upgrade` and `Upgrade: websocket`
// (Kong sets them only for websocket); a 101 from the upstream is relayed with its headers and the
// two sockets become a Tunnel (tunnel.ts); any other answer is relayed as a response, after which
// the client connection closes.
import type { Socket } from 'node:net';
import type { Service } from '../../config/types.ts';
import { ErrorCodes, type ErrorCode } from '../../runtime/protocol/errors.ts';
import type { DrainWaiter } from '../http1/response.ts';
import type { PluginRunner } from '../plugins/route-plugins.ts';
import type { BufferedResponse, UpstreamResponse } from '../plugins/types.ts';
import type { WorkerState } from '../state.ts';
import type { UpstreamConnection, UpstreamFault, UpstreamHandler } from '../upstream/connection.ts';
import { forwardGrpc } from '../grpc/exchange.ts';
import { BufferedAnswer } from './buffered-response.ts';
import { releaseAfterWrite } from './body-memory.ts';
import { answerError } from './errors.ts';
import type { RequestContext } from './context.ts';
import { safeHeaderText } from './header-safety.ts';
import { downstreamResponseHeaders, relayedResponseHeaders, upstreamRequestHeaders } from './headers.ts';
import type { Target, Targets } from './targets.ts';
import { pushProxiedHeaders, proxiedHeaderLines, upstreamRequestId } from './gateway-headers.ts';
import { Tunnel } from './tunnel.ts';
import { UpstreamTrip, type ListenerInfo } from './upstream-trip.ts';
import { readTimedOut, startBody, stopBody } from './upstream-timeouts.ts';

export type { ListenerInfo } from './upstream-trip.ts';

/** Methods a retry cannot duplicate in effect (RFC 9110 §9.2.2). */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);
/** Faults where nothing reached the upstream application: another target may be tried. */
const NOT_CONNECTED = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'ENOTFOUND', 'EAI_AGAIN', 'SLUICE_ERR_UPSTREAM_CONNECT_TIMEOUT']);
const EMPTY = Buffer.alloc(0);

/** One request's trip to the upstream (every try). */
export class Exchange extends UpstreamTrip implements UpstreamHandler, DrainWaiter {
  conn: UpstreamConnection | null = null;
  /** The one retry after a reused connection failed before answering was taken. */
  retriedFresh = false;
  /** The client's request body started flowing to the upstream: no retry can replay it. */
  bodyStarted = false;
  /** Response-phase plugin exit: the upstream body is read and dropped. */
  discard = false;
  /** The answer being read whole for a `response` plugin (buffered-response.ts), else null. */
  buffered: BufferedAnswer | null = null;
  /** Chunks pass through the route's body_filter plugins. */
  filtersBody = false;
  /** The final response head, built and waiting for its first body bytes (or the end). */
  status = 0;
  head: string[] | null = null;
  /** Wheel timer of write_timeout, or 0 (upstream-timeouts.ts; read_timeout's is the trip's). */
  writeTimer = 0;

  /** The client went away before its response ended: drop the upstream request. */
  abort(): void {
    this.done = true;
    this.endTry();
    this.#stopTimers();
    stopBody(this);
    const conn = this.conn;
    this.conn = null;
    conn?.abort();
  }

  stopReadTimer(): void {
    if (this.readTimer !== 0) {
      this.targets.wheel.cancel(this.readTimer);
      this.readTimer = 0;
    }
  }

  #stopTimers(): void {
    this.stopReadTimer();
    if (this.writeTimer !== 0) {
      this.targets.wheel.cancel(this.writeTimer);
      this.writeTimer = 0;
    }
  }

  /** The upstream owes us something from now: start or restart the silence it may keep. */
  touchReadTimer(): void {
    if (this.done || this.paused) return;
    const wheel = this.targets.wheel;
    if (this.readTimer === 0 || !wheel.reschedule(this.readTimer, this.service.read_timeout)) {
      this.readTimer = wheel.schedule('upstream-read-timeout', this.service.read_timeout, readTimedOut, this);
    }
  }

  /** A read or write timeout fired: the connection goes, the client gets 504 or a cut. */
  timedOut(): void {
    // Passive checks count a timeout before any response head against the target.
    if (this.peer !== null && this.tryMs === -1) this.balancer!.passive?.failed(this.peer, true);
    this.endTry();
    const conn = this.conn;
    this.conn = null;
    conn?.abort();
    stopBody(this);
    this.#stopTimers();
    this.#giveUp('SLUICE_ERR_UPSTREAM_TIMEOUT');
  }

  // UpstreamHandler

  onConnected(): void {
    if (this.ctx.hasBody || this.ctx.bufferedBody !== null) startBody(this);
    else this.touchReadTimer();
  }

  onInformational(status: number, rawHeaders: string[]): void {
    const res = this.ctx.res;
    // 102/103 reach an HTTP/1.1 client ahead of the final head; 1.0 clients know no 1xx.
    if (res.headersSent || this.done || this.ctx.req.httpVersion !== '1.1') return;
    let text = `HTTP/1.1 ${status} ${status === 103 ? 'Early Hints' : status === 102 ? 'Processing' : 'Informational'}\r\n`;
    for (let i = 0; i < rawHeaders.length; i += 2) text += `${rawHeaders[i]!}: ${rawHeaders[i + 1]!}\r\n`;
    this.ctx.socket.write(`${text}\r\n`, 'latin1');
  }

  onResponseHead(statusCode: number, rawHeaders: string[]): void {
    this.touchReadTimer();
    if (this.done) return;
    const ctx = this.ctx;
    ctx.upstreamStatus = statusCode;
    const now = performance.now();
    ctx.upstreamHeadAt = now;
    ctx.upstreamLatencyMs = this.tryMs = now - this.sentAt;
    if (this.peer !== null) this.balancer!.passive?.status(this.peer, statusCode);
    const runner = this.runner;
    const extra = ctx.responseHeaders;
    // No plugin looks at the head (auth plugins only run in access): relayed as it came, no object.
    if (extra === null && (runner === null || (!runner.buffersResponse && !runner.filtersHeaders))) {
      const flat = relayedResponseHeaders(rawHeaders);
      pushProxiedHeaders(flat, ctx, this.sentAt);
      this.status = statusCode;
      this.head = flat;
      if (runner !== null) this.filtersBody = runner.filtersBody;
      return;
    }
    let headers: Record<string, string | string[] | undefined> = responseHeaderObject(rawHeaders);
    if (runner !== null) {
      const upstream: UpstreamResponse = { statusCode, headers };
      if (runner.buffersResponse && runner.wantsResponse(ctx, upstream)) {
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
    this.status = statusCode;
    this.head = this.#flatHead(headers);
  }

  #flatHead(headers: Record<string, string | string[] | undefined>): string[] {
    const extra = this.ctx.responseHeaders;
    const flat = downstreamResponseHeaders(headers, extra);
    if (extra !== null) for (const name in extra) flat.push(name, extra[name]!);
    pushProxiedHeaders(flat, this.ctx, this.sentAt);
    return flat;
  }

  /** Collects the body for a `response` plugin; past the cap the answer is 502 (nothing was sent yet). */
  #bufferChunk(chunk: Buffer): void {
    if (this.buffered!.add(chunk)) return this.touchReadTimer();
    this.done = true;
    this.discard = true;
    this.#stopTimers();
    const conn = this.conn;
    this.conn = null;
    conn?.abort();
    this.endTry();
    answerError(this.ctx, 'SLUICE_ERR_UPSTREAM_UNAVAILABLE');
  }

  #sendBuffered(answer: BufferedResponse): void {
    const res = this.ctx.res;
    res.writeHead(answer.statusCode, this.#flatHead(answer.headers));
    res.end(this.ctx.req.method === 'HEAD' || answer.body.length === 0 ? undefined : answer.body);
  }

  /** A body_filter failed mid-body: the client sees a cut response, the upstream request goes. */
  #cut(): void {
    this.done = true;
    this.#stopTimers();
    const conn = this.conn;
    this.conn = null;
    conn?.abort();
    this.endTry();
  }

  #flushHead(): void {
    const head = this.head;
    if (head === null) return;
    this.head = null;
    this.ctx.res.writeHead(this.status, head);
  }

  onResponseData(chunk: Buffer): void {
    if (this.done) return;
    if (this.discard) return this.touchReadTimer();
    if (this.buffered !== null) return this.#bufferChunk(chunk);
    if (this.filtersBody) {
      chunk = this.runner!.bodyFilter(this.ctx, chunk, false);
      if (this.ctx.exited) return this.#cut();
      // An empty write would end a chunked body early.
      if (chunk.length === 0) return this.touchReadTimer();
    }
    this.#flushHead();
    const res = this.ctx.res;
    // Nothing but this write reads an unfiltered chunk of the upstream's read: freed once written (body-memory.ts).
    if (res.write(chunk, this.filtersBody ? undefined : releaseAfterWrite(chunk))) {
      this.touchReadTimer();
    } else {
      this.stopReadTimer();
      this.paused = true;
      this.conn?.pause();
      res.drainWaiter = this;
    }
  }

  /** The client's socket took what was queued: the upstream may send again. */
  onDrain(): void {
    this.ctx.res.drainWaiter = null;
    if (this.done) return;
    this.paused = false;
    this.touchReadTimer();
    this.conn?.resume();
  }

  onResponseEnd(last: Buffer | null): void {
    this.conn = null;
    this.endTry();
    this.#stopTimers();
    stopBody(this);
    if (this.discard || this.done) return;
    const ctx = this.ctx;
    const buffered = this.buffered;
    if (buffered !== null) {
      this.done = true;
      if (last !== null && !buffered.add(last)) return answerError(ctx, 'SLUICE_ERR_UPSTREAM_UNAVAILABLE');
      return buffered.finish(ctx, this.runner!, (answer) => this.#sendBuffered(answer));
    }
    if (this.filtersBody) {
      let body = last === null ? EMPTY : this.runner!.bodyFilter(ctx, last, false);
      if (ctx.exited) return this.#cut();
      const tail = this.runner!.bodyFilter(ctx, EMPTY, true);
      if (ctx.exited) return this.#cut();
      this.done = true;
      if (tail.length > 0) body = body.length === 0 ? tail : Buffer.concat([body, tail]);
      this.#flushHead();
      ctx.res.end(body.length === 0 ? undefined : body);
      return;
    }
    this.done = true;
    this.#flushHead();
    if (last === null) ctx.res.end();
    else ctx.res.end(last);
  }

  onUpgrade(status: number, rawHeaders: string[], socket: Socket, head: Buffer): void {
    this.conn = null;
    this.#stopTimers();
    const ctx = this.ctx;
    ctx.upstreamStatus = status;
    const now = performance.now();
    ctx.upstreamHeadAt = now;
    ctx.upstreamLatencyMs = this.tryMs = now - this.sentAt;
    if (this.peer !== null) this.balancer!.passive?.status(this.peer, status);
    this.endTry();
    if (this.done || ctx.exited) return void socket.destroy();
    this.done = true;
    const res = ctx.res;
    let relayed: readonly string[] = rawHeaders;
    const runner = this.runner;
    if (runner !== null) {
      // Kong runs header_filter on the 101 too (cors, response-transformer headers); the status stays.
      const upstream: UpstreamResponse = { statusCode: status, headers: responseHeaderObject(rawHeaders) };
      runner.headerFilter(ctx, upstream);
      // A failing header_filter has answered 500 instead.
      if (ctx.exited) return void socket.destroy();
      relayed = flatHeaders(upstream.headers);
    }
    const clientHead = res.switchProtocols(upgradeHead(relayed, ctx.responseHeaders, proxiedHeaderLines(ctx, this.sentAt)));
    if (clientHead === null) {
      // The client's handshake is not complete (a body still arriving) or its socket is gone.
      socket.destroy();
      res.destroy();
      return;
    }
    const targets = this.targets;
    const tunnel = new Tunnel(ctx.socket, socket, targets.wheel, this.service.read_timeout, targets.tunnels, () => res.tunnelEnded());
    tunnel.start(clientHead, head);
  }

  onRequestDrain(): void {
    if (this.writeTimer !== 0) {
      this.targets.wheel.cancel(this.writeTimer);
      this.writeTimer = 0;
    }
    this.ctx.req.body?.resume();
  }

  /** The current try is over, whichever way: the balancer learns its round trip (-1: failed). */
  endTry(): void {
    const peer = this.peer;
    if (peer === null) return;
    this.peer = null;
    this.balancer!.done(peer, this.tryMs);
  }

  onFault(fault: UpstreamFault): void {
    this.conn = null;
    const headSeen = this.tryMs !== -1;
    // A failed try reports -1 even when its head had arrived (the response did not complete).
    this.tryMs = -1;
    this.#stopTimers();
    const ctx = this.ctx;
    const alive = !ctx.socket.destroyed && !ctx.res.destroyed;
    // A keep-alive connection the upstream closed while we picked it: once more on a new
    // connection to the same peer, which stays this request's (and its in-flight count with it).
    if (fault.reused && !fault.answered && !this.bodyStarted && !this.retriedFresh && IDEMPOTENT.has(ctx.req.method) && alive && !this.done && !ctx.exited) {
      this.retriedFresh = true;
      this.targets.connector.counters.keepaliveRetries++;
      failTry(ctx, 502);
      return send(this, true);
    }
    // Passive checks count a failed try before any response head; a failure mid-body (after the
    // status was counted) is not counted twice.
    if (this.peer !== null && !headSeen) this.balancer!.passive?.failed(this.peer, fault.code === 'SLUICE_ERR_UPSTREAM_CONNECT_TIMEOUT');
    this.endTry();
    if (this.done || ctx.exited) return;
    // Kong retries a failed connect on the next target, up to the service's `retries`, as long as
    // the request body has not started to flow (it cannot be replayed).
    if (fault.phase === 'connect' && NOT_CONNECTED.has(fault.code) && !this.bodyStarted && this.tries <= this.service.retries && alive) {
      failTry(ctx, fault.code === 'SLUICE_ERR_UPSTREAM_CONNECT_TIMEOUT' ? 504 : 502);
      return send(this, false);
    }
    if (fault.phase === 'connect' && !NOT_CONNECTED.has(fault.code) && fault.code !== 'ECONNRESET') {
      // A TLS handshake the target failed (certificate not trusted, wrong name): say why.
      this.targets.log.error({ code: fault.code, reason: fault.message, target: this.target?.pool.origin, service: this.service.name ?? this.service.id }, 'upstream TLS handshake failed');
      if (!this.bodyStarted && this.tries <= this.service.retries && alive) {
        failTry(ctx, 502);
        return send(this, false);
      }
    }
    stopBody(this);
    if (fault.code === 'SLUICE_ERR_UPSTREAM_BAD_RESPONSE' || fault.code === 'SLUICE_ERR_UPSTREAM_TRUNCATED') {
      this.targets.log.warn({ code: fault.code, reason: fault.message, target: this.target?.pool.origin, service: this.service.name ?? this.service.id }, 'upstream sent an invalid response');
    }
    this.#giveUp(fault.code === 'SLUICE_ERR_UPSTREAM_CONNECT_TIMEOUT' ? 'SLUICE_ERR_UPSTREAM_TIMEOUT' : 'SLUICE_ERR_UPSTREAM_UNAVAILABLE');
  }

  #giveUp(code: ErrorCode): void {
    if (this.done) return;
    this.done = true;
    const ctx = this.ctx;
    if (ctx.exited) return;
    const res = ctx.res;
    if (res.headersSent || res.destroyed) {
      // Mid-body failure: the status is gone; cut the client connection so it sees a short response.
      res.destroy();
      return;
    }
    this.head = null;
    failTry(ctx, ErrorCodes[code].status);
    answerError(ctx, code);
  }
}

/** Marks the request's current try failed with the status it stands for (Kong's state/code), once. */
function failTry(ctx: RequestContext, code: number): void {
  const tries = ctx.tries;
  if (tries === null) return;
  const last = tries[tries.length - 1];
  if (last === undefined || last.state !== undefined) return;
  last.state = 'failed';
  last.code = code;
}

export function forward(ctx: RequestContext, state: WorkerState, service: Service, runner: PluginRunner | null, targets: Targets, listener: ListenerInfo): void {
  // Kong hands these to grpc_pass, whichever route matched: HTTP/2 to the target.
  if (service.protocol === 'grpc' || service.protocol === 'grpcs') return forwardGrpc(ctx, state, service, runner, targets, listener);
  const exchange = new Exchange(ctx, state, service, runner, targets, listener);
  ctx.exchange = exchange;
  if (runner !== null && runner.logs) ctx.tries = [];
  send(exchange, false);
}

/** Picks a target (or, with `fresh`, keeps it and opens a new connection) and sends the request head. */
function send(exchange: Exchange, fresh: boolean): void {
  const { ctx, service, state } = exchange;
  if (ctx.res.destroyed) return;
  const tries = ctx.tries;
  const pickedFrom = tries === null ? 0 : performance.now();
  let target = exchange.target;
  if (!fresh || target === null) {
    const balancer = state.balancers.byName.get(service.host);
    if (balancer !== undefined) {
      const picks = exchange.picks;
      const peer = balancer.pick(ctx, picks);
      if (peer === null) return answerError(ctx, 'SLUICE_ERR_NO_HEALTHY_TARGET');
      (picks.tried ??= []).push(peer);
      exchange.balancer = balancer;
      exchange.peer = peer;
      target = exchange.targets.peer(service, balancer, peer, state.tls);
    } else {
      const direct = exchange.targets.direct(service, state.serviceHosts, state.tls);
      if (direct === null) return answerError(ctx, 'SLUICE_ERR_NAME_RESOLUTION_FAILED');
      target = direct;
    }
    exchange.target = target;
  }
  if (tries !== null) {
    const now = performance.now();
    const address = target.pool.address;
    tries.push({ balancer_start: Math.round(performance.timeOrigin + pickedFrom), ip: address.host, port: address.port, balancer_latency: Math.round(now - pickedFrom) });
  }
  const req = ctx.req;
  let body: 'none' | 'length' | 'chunked' = 'none';
  // A body a plugin read whole (and maybe replaced) goes with its exact length.
  const buffered = ctx.bufferedBody;
  if (buffered !== null) body = buffered.length > 0 || ctx.hasBody ? 'length' : 'none';
  else if (ctx.hasBody) body = req.headers['content-length'] !== undefined ? 'length' : 'chunked';
  let head: string;
  try {
    head = requestHead(exchange, target, body === 'chunked');
  } catch {
    exchange.endTry();
    return answerError(ctx, 'SLUICE_ERR_PLUGIN_FAILED');
  }
  exchange.tryMs = -1;
  exchange.tries++;
  exchange.sentAt = performance.now();
  const pool = target.pool;
  let conn = fresh ? null : pool.take();
  const reused = conn !== null;
  conn ??= exchange.targets.connector.connect(pool, service.connect_timeout);
  exchange.conn = conn;
  conn.request(exchange, ctx.upstreamMethod ?? req.method, head, body, req.upgrade);
  if (reused) exchange.onConnected();
}

/** The request line and headers, one string: written with one socket write. */
function requestHead(exchange: Exchange, target: Target, chunked: boolean): string {
  const ctx = exchange.ctx;
  const req = ctx.req;
  const route = ctx.route!;
  const match = ctx.match!;
  const clientHost = req.headers.host ?? '';
  const url = req.url;
  const q = url.indexOf('?');
  let query = ctx.upstreamQuery ?? (q === -1 ? '' : url.slice(q));
  if (ctx.upstreamQueryRemove !== null && query !== '') query = dropQueryArgs(query, ctx.upstreamQueryRemove);
  const overrides = ctx.upstreamHeaders;
  let host = route.preserve_host && clientHost !== '' ? clientHost : target.hostHeader;
  if (overrides !== null) {
    for (const name in overrides) {
      const value = overrides[name];
      if (!safeHeaderText(name) || (value !== null && value !== undefined && (typeof value === 'string' ? !safeHeaderText(value) : !value.every(safeHeaderText)))) {
        throw new TypeError(`invalid character in header "${name}"`);
      }
    }
    // A plugin-set Host (request-transformer's replace.headers) is the one Host line.
    const h = overrides['host'];
    if (typeof h === 'string') host = h;
  }
  const buffered = ctx.bufferedBody;
  const headers = upstreamRequestHeaders(req.rawHeaders, req.headers.connection, {
    host,
    clientIp: ctx.clientIp,
    forwardedHost: stripPort(clientHost),
    forwardedPort: exchange.listener.port,
    forwardedProto: exchange.listener.proto,
    forwardedPath: q === -1 ? url : url.slice(0, q),
    forwardedPrefix: match.prefix,
    overrides,
    bodyLength: buffered === null ? -1 : buffered.length,
    requestId: upstreamRequestId(ctx),
  });
  let head = `${ctx.upstreamMethod ?? req.method} ${ctx.upstreamPath ?? match.upstreamPath}${query} HTTP/1.1\r\n`;
  for (let i = 0; i < headers.length; i += 2) head += `${headers[i]!}: ${headers[i + 1]!}\r\n`;
  if (chunked) head += 'transfer-encoding: chunked\r\n';
  // The client's Connection and Upgrade are hop-by-hop (dropped above); a handshake gets its own.
  if (req.upgrade) head += 'connection: upgrade\r\nupgrade: websocket\r\n';
  return `${head}\r\n`;
}

/**
 * The 101 relayed to the client: the upstream's fields as they came (Upgrade, Connection and
 * Sec-WebSocket-* are the handshake; framing fields mean nothing on a 101 and are dropped), the
 * headers access-phase plugins added (rate-limit counters, correlation id) and Via.
 */
function upgradeHead(raw: readonly string[], extra: Record<string, string> | null, gateway: string): string {
  let head = 'HTTP/1.1 101 Switching Protocols\r\n';
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const lower = name.toLowerCase();
    if (lower === 'content-length' || lower === 'transfer-encoding' || lower === 'keep-alive') continue;
    head += `${name}: ${raw[i + 1]!}\r\n`;
  }
  if (extra !== null) for (const name in extra) head += `${name}: ${extra[name]!}\r\n`;
  return `${head}${gateway}\r\n`;
}

/** A header object back to [name, value, ...]; a list becomes repeated lines, removed names are left out. */
function flatHeaders(headers: Record<string, string | string[] | undefined>): string[] {
  const flat: string[] = [];
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined) continue;
    if (typeof value === 'string') flat.push(name, value);
    else for (const item of value) flat.push(name, item);
  }
  return flat;
}

/** The upstream's headers by lower-case name; a repeated name becomes a list (set-cookie, link...). */
function responseHeaderObject(raw: readonly string[]): Record<string, string | string[]> {
  // No prototype: a header named `__proto__` or `constructor` is just a header.
  const headers = Object.create(null) as Record<string, string | string[]>;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    const value = raw[i + 1]!;
    const seen = headers[name];
    if (seen === undefined) headers[name] = value;
    else if (typeof seen === 'string') headers[name] = [seen, value];
    else seen.push(value);
  }
  return headers;
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
