// Per-request state on a worker thread. One object per request with every field set in the
// constructor, so V8 keeps one hidden class on the hot path (see STYLE.md, "Hot paths").
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import type { Consumer, Credential, Route, Service } from '../../config/types.ts';
import type { RoutePlugins } from '../plugins/route-plugins.ts';
import type { PluginRun } from '../plugins/runner.ts';
import type { BufferedResponse } from '../plugins/types.ts';
import { grpcExitHeaders } from '../grpc/grpc-only.ts';
import { assertHeader } from '../http1/response.ts';
import { releaseBytes } from './body-memory.ts';
import type { ClientRequest, ClientResponse } from './client.ts';
import { setAnswerHeaders } from './gateway-headers.ts';
import type { Match } from '../router/types.ts';

/** One try at the upstream, as Kong's log serializer has it in `tries`. */
export interface UpstreamTry {
  /** Epoch ms when the target was picked for this try. */
  balancer_start: number;
  /** The address connected to and its port. */
  ip: string;
  port: number;
  /** ms spent picking the target (Kong: balancer phase start to the peer being set). */
  balancer_latency: number;
  /** Set when this try failed: Kong's "failed" and the status it stands for (502 refused/reset, 504 timed out). */
  state?: 'failed';
  code?: number;
}

export class RequestContext {
  readonly req: ClientRequest;
  readonly res: ClientResponse;
  /** The client connection. */
  readonly socket: Socket;
  /** performance.now() when the request arrived. */
  readonly startedAt: number;
  readonly clientIp: string;
  /** The request has a body (Content-Length above 0 or Transfer-Encoding): req.body streams it. */
  readonly hasBody: boolean;
  route: Route | null = null;
  service: Service | null = null;
  match: Match | null = null;
  consumer: Consumer | null = null;
  credential: Credential | null = null;
  /** Headers to set (string, or a list sent as repeated lines) or remove (null) on the upstream request; filled by plugins. */
  upstreamHeaders: Record<string, string | readonly string[] | null> | null = null;
  /** The method sent upstream when a plugin changed it (request-transformer), else null: the client's. */
  upstreamMethod: string | null = null;
  /** The upstream path (no query) when a plugin replaced it (request-transformer), else null: the route's. */
  upstreamPath: string | null = null;
  /** The upstream query ('' or '?a=b') when a plugin rewrote it (request-transformer), else null: the client's. */
  upstreamQuery: string | null = null;
  /** Query arguments to drop before forwarding (key-auth `hide_credentials`). */
  upstreamQueryRemove: string[] | null = null;
  /** Headers added to the response the client sees (rate-limit headers, correlation id). */
  responseHeaders: Record<string, string> | null = null;
  /**
   * The request body, read whole by a plugin (`readBody`); forwarded instead of the stream. It is
   * this request's own buffer: its memory is freed once the response has closed and every upstream
   * write of it has finished (holdBody / dropBody).
   */
  bufferedBody: Buffer | null = null;
  /** Holds on bufferedBody's memory: the request's own until its response closes, and one per unfinished upstream write. */
  #bodyHolds = 1;
  /** Plugin-to-plugin data for this request (Kong's `kong.ctx.shared`). */
  readonly shared: Record<string, unknown> = {};
  /** The plugins resolved for this request and the instances it holds (owned by workers/plugins/iterator.ts). */
  plugins: PluginRun | null = null;
  /** Set once the response was produced by the gateway (plugin exit, error). */
  exited = false;
  upstreamStatus = 0;
  /** ms from the upstream request being sent to its response head (Kong's upstream latency). */
  upstreamLatencyMs = -1;
  /** performance.now() when the upstream's response head arrived, or 0 (the log entry's `latencies.receive`). */
  upstreamHeadAt = 0;
  /**
   * Each try at the upstream (Kong's balancer_data.tries), or null: recorded only when the route
   * runs a plugin with a log phase (forward.ts), so requests nobody logs pay nothing for it.
   */
  tries: UpstreamTry[] | null = null;
  /** Kong's request id ($kong_request_id), made on first use by the log serializer, else ''. */
  requestId = '';
  bytesIn = 0;
  bytesOut = 0;
  /** The upstream exchange in progress (proxy/forward.ts), aborted if the client leaves first. */
  exchange: { abort(): void } | null = null;
  /** The client-body-timeout wheel timer while the body is still arriving, else 0 (client-timeouts.ts). */
  bodyTimer = 0;
  /** The client socket's bytesRead when the body timer was last armed. */
  bodyBytesSeen = 0;

  constructor(req: ClientRequest, res: ClientResponse, startedAt: number) {
    this.req = req;
    this.res = res;
    this.startedAt = startedAt;
    this.socket = req.socket;
    this.clientIp = req.socket.remoteAddress ?? '';
    this.hasBody = req.body !== null;
  }

  /**
   * The whole request body (empty when there is none), read once and kept for the upstream; null
   * when it is longer than `limit` bytes (as Kong's get_raw_body answers nil for a body past the
   * client body buffer) — the rest is then left unread, so the caller must answer the request itself.
   */
  readBody(limit: number): Buffer | null | Promise<Buffer | null> {
    if (this.bufferedBody !== null) return this.bufferedBody.length > limit ? null : this.bufferedBody;
    const body = this.req.body;
    // No body: nothing to keep (the upstream request stays body-less).
    if (body === null) return EMPTY_BODY;
    return readWhole(this, body, limit);
  }

  /** Something will read bufferedBody later (an upstream write in flight): its memory stays until dropBody. */
  holdBody(): void {
    this.#bodyHolds++;
  }

  /** One hold on bufferedBody ended; after the last, its memory is freed at once (body-memory.ts). */
  dropBody(): void {
    if (--this.#bodyHolds === 0 && this.bufferedBody !== null) releaseBytes(this.bufferedBody);
  }

  setUpstreamHeader(name: string, value: string | readonly string[] | null): void {
    (this.upstreamHeaders ??= {})[name.toLowerCase()] = value;
  }

  addResponseHeader(name: string, value: string): void {
    assertHeader(name, value);
    (this.responseHeaders ??= {})[name] = value;
  }

  /**
   * End the request from the gateway, as Kong's `kong.response.exit`: later phases see `exited`.
   * As in Kong, the answer still goes through the route's header_filter and body_filter plugins
   * (cors headers on a key-auth 401, response-transformer on a cached answer) before it is sent.
   * `filtered: false` skips them: the 500 that follows a failing filter plugin.
   */
  exit(status: number, body: unknown, headers?: Record<string, string | readonly string[]>, filtered = true): void {
    if (this.exited) return;
    this.exited = true;
    const res = this.res;
    if (res.headersSent) {
      res.destroy();
      return;
    }
    // A gRPC client gets its answer as grpc-status / grpc-message, without a body (as Kong).
    const grpc = grpcExitHeaders(this, status, body, headers);
    if (grpc !== null) {
      headers = grpc;
      body = null;
    }
    const payload = body === undefined || body === null ? EMPTY_BODY : Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
    const plugins = this.plugins?.plugins;
    if (filtered && plugins !== undefined && (plugins.headerFilterAt.length > 0 || plugins.filtersBody)) return this.#exitThroughFilters(plugins, status, body, payload, headers);
    res.statusCode = status;
    setAnswerHeaders(this, res);
    if (this.responseHeaders !== null) for (const name in this.responseHeaders) res.setHeader(name, this.responseHeaders[name]!);
    if (headers !== undefined) for (const name in headers) res.setHeader(name, headers[name]!);
    if (payload.length > 0 && !res.hasHeader('content-type')) res.setHeader('content-type', defaultType(body));
    this.#send(payload);
  }

  #exitThroughFilters(plugins: RoutePlugins, status: number, body: unknown, payload: Buffer, headers: Record<string, string | readonly string[]> | undefined): void {
    const answer: BufferedResponse = { statusCode: status, headers: {}, body: payload };
    if (headers !== undefined) for (const name in headers) answer.headers[name.toLowerCase()] = headers[name] as string | string[];
    if (payload.length > 0 && answer.headers['content-type'] === undefined) answer.headers['content-type'] = defaultType(body);
    const pending = plugins.buffersResponse ? plugins.exitResponse(this, answer) : undefined;
    if (pending === undefined) return this.#sendFiltered(plugins, answer);
    void pending.then(() => this.#sendFiltered(plugins, answer));
  }

  #sendFiltered(plugins: RoutePlugins, answer: BufferedResponse): void {
    const res = this.res;
    // The client left while a response plugin worked on the answer.
    if (res.destroyed) return;
    plugins.headerFilter(this, answer);
    const sent = plugins.filtersBody ? plugins.bodyFilter(this, answer.body, true) : answer.body;
    res.statusCode = answer.statusCode;
    setAnswerHeaders(this, res);
    const extra = this.responseHeaders;
    // The exit's own headers win over the ones plugins added earlier (rate-limit headers), as below.
    if (extra !== null) for (const name in extra) if (answer.headers[name.toLowerCase()] === undefined) res.setHeader(name, extra[name]!);
    for (const name in answer.headers) {
      const value = answer.headers[name];
      if (value !== undefined && name !== 'content-length' && name !== 'transfer-encoding') res.setHeader(name, value);
    }
    this.#send(sent);
  }

  #send(payload: Buffer): void {
    this.res.setHeader('content-length', payload.length);
    this.res.end(payload.length === 0 ? undefined : payload);
    this.bytesOut += payload.length;
  }
}

function defaultType(body: unknown): string {
  return typeof body === 'string' || Buffer.isBuffer(body) ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8';
}

const EMPTY_BODY = Buffer.alloc(0);

async function readWhole(ctx: RequestContext, body: Readable, limit: number): Promise<Buffer | null> {
  const declared = declaredLength(ctx.req.headers['content-length']);
  if (declared > limit) return null;
  if (declared >= 0) return readDeclared(ctx, body, declared);
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of body.iterator({ destroyOnReturn: false })) {
    length += (chunk as Buffer).length;
    if (length > limit) return null;
    chunks.push(chunk as Buffer);
  }
  ctx.bufferedBody = Buffer.concat(chunks, length);
  if (ctx.req.ownsBodyChunks) for (const chunk of chunks) releaseBytes(chunk);
  return ctx.bufferedBody;
}

/**
 * A body of known length is copied chunk by chunk, as it arrives, into one buffer of that size
 * made for it: no copy of the whole body in one go at the end (a 5 MB Buffer.concat holds the
 * event loop for milliseconds), and the buffer is the body's alone, so a JSON edit can hand its
 * memory to the pool thread instead of copying it again (json-pool.ts).
 * A declaration alone does not buy a large buffer: past UPFRONT_BYTES, the buffer is made once that
 * many bytes have come (the ones before are copied into it, a small copy), so a client that
 * declares 16 MiB and sends nothing holds what it sent, not 16 MiB of the worker's memory.
 */
async function readDeclared(ctx: RequestContext, body: Readable, declared: number): Promise<Buffer> {
  // Not zero-filled (every byte is written before it is read; a short body is cut to what came),
  // and not from Node's slab.
  let whole = declared <= UPFRONT_BYTES ? Buffer.allocUnsafeSlow(declared) : null;
  const owned = ctx.req.ownsBodyChunks;
  const early: Buffer[] = [];
  let length = 0;
  for await (const chunk of body.iterator({ destroyOnReturn: false })) {
    const bytes = chunk as Buffer;
    // The parser delivers exactly Content-Length bytes; this guards the copy all the same.
    if (length + bytes.length > declared) throw new RangeError('request body longer than its Content-Length');
    if (whole === null) {
      early.push(bytes);
      length += bytes.length;
      if (length < UPFRONT_BYTES) continue;
      whole = Buffer.allocUnsafeSlow(declared);
      let at = 0;
      for (const piece of early) {
        at += piece.copy(whole, at);
        if (owned) releaseBytes(piece);
      }
      early.length = 0;
      continue;
    }
    whole.set(bytes, length);
    length += bytes.length;
    // Copied: the socket read it came in is freed now, not at the worker's next full GC.
    if (owned) releaseBytes(bytes);
  }
  if (whole === null) return (ctx.bufferedBody = Buffer.concat(early, length));
  return (ctx.bufferedBody = length === declared ? whole : whole.subarray(0, length));
}

/** Bodies declared up to this size get their buffer at once; larger ones once this much has come. */
const UPFRONT_BYTES = 1 << 20;

/** Content-Length as a number; -1 when absent (a chunked body). The parser has already checked it. */
function declaredLength(value: string | undefined): number {
  if (value === undefined) return -1;
  const n = Number(value);
  return Number.isSafeInteger(n) && n >= 0 ? n : -1;
}
