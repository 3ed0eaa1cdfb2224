// One HTTP/2 stream's response (worker thread), in the shape the proxy writes (proxy/client.ts).
// The head is held until the first body bytes or the end, so a response without a body leaves
// as one HEADERS frame with END_STREAM. Connection-specific fields (RFC 9113 §8.2.2: Connection,
// Keep-Alive, Proxy-Connection, Transfer-Encoding, Upgrade) are dropped, whoever set them; names
// go lower-case; no body after HEAD, 1xx, 204 and 304.
// Flow control is nghttp2's: a write beyond the client's window waits in the stream, write()
// returns false and the proxy pauses the upstream until 'drain'. A stream whose client takes
// nothing of it for `sendMs` is reset (nginx send_timeout, per stream here), which aborts its
// upstream request.
import type { ServerHttp2Stream, OutgoingHttpHeaders } from 'node:http2';
import { constants } from 'node:http2';
import { assertHeader } from '../http1/response.ts';
import type { ClientResponse, DrainWaiter } from '../proxy/client.ts';
import type { TimerHandle, TimerWheel } from '../timers/wheel.ts';
import type { H2Request } from './request.ts';

/** Dropped from every response head (RFC 9113 §8.2.2); `te` carries no meaning in a response. */
const CONNECTION_SPECIFIC = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te']);
/** Fields Node's http2 allows once (ERR_HTTP2_HEADER_SINGLE_VALUE): a repeat keeps the first, as node:http does. */
const SINGLE_VALUE = new Set([
  'access-control-allow-credentials', 'access-control-max-age', 'access-control-request-method', 'age', 'authorization',
  'content-encoding', 'content-language', 'content-length', 'content-location', 'content-md5', 'content-range',
  'content-type', 'date', 'dnt', 'etag', 'expires', 'from', 'host', 'if-match', 'if-modified-since', 'if-none-match',
  'if-range', 'if-unmodified-since', 'last-modified', 'location', 'max-forwards', 'proxy-authorization', 'range',
  'referer', 'retry-after', 'tk', 'upgrade-insecure-requests', 'user-agent', 'x-content-type-options',
]);

/** What a response needs from its session. */
export interface H2ResponseEnv {
  readonly wheel: TimerWheel;
  readonly sendMs: number;
}

function sendTimedOut(res: H2Response): void {
  res.sendTimer = 0;
  res.destroy();
}

export class H2Response implements ClientResponse {
  readonly req: H2Request;
  readonly stream: ServerHttp2Stream;
  readonly #env: H2ResponseEnv;
  statusCode = 200;
  headersSent = false;
  writableFinished = false;
  destroyed = false;
  /** HTTP/2 has no per-response connection close: kept for the shape, never read. */
  keepAlive = true;
  onClose: ((res: ClientResponse) => void) | null = null;
  drainWaiter: DrainWaiter | null = null;
  /** The gateway reset this stream itself (not the client): not counted as a client reset. */
  resetByUs = false;
  sendTimer: TimerHandle = 0;
  #closed = false;
  #headers: Record<string, string | string[]> | null = null;
  /** The head, built and not yet handed to nghttp2. */
  #head: OutgoingHttpHeaders | null = null;
  /** The head as built by writeHead (sentHeaders). */
  #sent: OutgoingHttpHeaders | null = null;
  #bodyAllowed = true;
  /**
   * A gRPC response (workers/grpc/exchange.ts): trailers may follow the body, so the head is sent
   * with waitForTrailers and the stream ends with a trailing HEADERS frame (empty when none came).
   */
  expectTrailers = false;
  #trailers: OutgoingHttpHeaders | null = null;

  constructor(stream: ServerHttp2Stream, req: H2Request, env: H2ResponseEnv) {
    this.stream = stream;
    this.req = req;
    this.#env = env;
  }

  setHeader(name: string, value: string | number | readonly string[]): this {
    if (this.headersSent) throw new Error(`cannot set header "${name}" after the head was sent`);
    const lower = name.toLowerCase();
    if (CONNECTION_SPECIFIC.has(lower)) return this;
    const stored = typeof value === 'number' ? String(value) : typeof value === 'string' ? value : [...value];
    for (const item of typeof stored === 'string' ? [stored] : stored) assertHeader(name, item);
    (this.#headers ??= Object.create(null) as Record<string, string | string[]>)[lower] = stored;
    return this;
  }

  sentHeaders(): Record<string, string | string[]> {
    const out: Record<string, string | string[]> = {};
    const head = this.#sent;
    if (head === null) return out;
    for (const name in head) {
      const value = head[name];
      if (name.charCodeAt(0) === 0x3a || value === undefined) continue;
      out[name] = Array.isArray(value) ? value.map(String) : String(value);
    }
    return out;
  }

  hasHeader(name: string): boolean {
    return this.#headers !== null && this.#headers[name.toLowerCase()] !== undefined;
  }

  writeHead(statusCode: number, flat?: readonly string[]): this {
    if (this.headersSent) throw new Error('writeHead called twice');
    this.headersSent = true;
    this.statusCode = statusCode;
    const head: OutgoingHttpHeaders = Object.create(null) as OutgoingHttpHeaders;
    const set = this.#headers;
    if (set !== null) for (const name in set) head[name] = set[name];
    if (flat !== undefined) {
      for (let i = 0; i < flat.length; i += 2) {
        const name = flat[i]!.toLowerCase();
        if (CONNECTION_SPECIFIC.has(name) || name.charCodeAt(0) === 0x3a) continue;
        const value = flat[i + 1]!;
        const seen = head[name];
        if (seen === undefined) head[name] = value;
        else if (SINGLE_VALUE.has(name)) continue;
        else if (Array.isArray(seen)) seen.push(value);
        else head[name] = [String(seen), value];
      }
    }
    head[':status'] = statusCode;
    this.#bodyAllowed = this.req.method !== 'HEAD' && statusCode !== 204 && statusCode !== 304 && statusCode >= 200;
    // RFC 9110 §8.6: no Content-Length on a 204 (a HEAD or 304 answer may carry the length it would have).
    if (statusCode === 204) delete head['content-length'];
    this.#head = head;
    this.#sent = head;
    return this;
  }

  /** Hands the held head to nghttp2; `last`: no body follows (END_STREAM on the HEADERS frame). */
  #respond(last: boolean): boolean {
    const head = this.#head;
    if (head === null) return true;
    this.#head = null;
    const stream = this.stream;
    if (stream.destroyed || stream.closed) return false;
    if (this.expectTrailers && !last) {
      stream.respond(head, { endStream: false, waitForTrailers: true });
      stream.once('wantTrailers', () => {
        if (!stream.destroyed && !stream.closed) stream.sendTrailers(this.#trailers ?? {});
      });
      return true;
    }
    stream.respond(head, { endStream: last });
    return true;
  }

  write(chunk: Buffer | string): boolean {
    if (this.writableFinished || this.destroyed) return false;
    if (!this.headersSent) this.writeHead(this.statusCode);
    if (!this.#respond(false)) return false;
    if (!this.#bodyAllowed) return true;
    const size = typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
    if (size === 0) return true;
    if (this.stream.write(chunk)) return true;
    this.#blocked();
    return false;
  }

  end(chunk?: Buffer | string): void {
    if (this.writableFinished || this.destroyed) return;
    if (!this.headersSent) this.writeHead(this.statusCode);
    this.writableFinished = true;
    const body = this.#bodyAllowed && chunk !== undefined && (typeof chunk === 'string' ? chunk.length > 0 : chunk.length > 0);
    const held = this.#head !== null;
    if (!this.#respond(!body)) return;
    // With END_STREAM on the head the stream's writable side is done already.
    if (held && !body) return;
    if (body) this.stream.end(chunk);
    else this.stream.end();
  }

  /** Ends the response with `trailers` after the body (a gRPC status), or as trailers-only when nothing was written. */
  endWithTrailers(trailers: OutgoingHttpHeaders | null): void {
    if (this.writableFinished || this.destroyed) return;
    this.#trailers = trailers;
    if (this.#head !== null && trailers !== null && this.#bodyAllowed) {
      // No DATA came: the response head, then its trailers with END_STREAM.
      this.writableFinished = true;
      if (this.#respond(false)) this.stream.end();
      return;
    }
    this.end();
  }

  destroy(): void {
    if (this.destroyed || this.writableFinished) return;
    this.destroyed = true;
    this.resetByUs = true;
    const stream = this.stream;
    if (!stream.destroyed && !stream.closed) stream.close(constants.NGHTTP2_INTERNAL_ERROR);
  }

  /**
   * Answers `status` at once, ahead of the proxy (a body past the size limit): later writes are
   * dropped, and the stream is closed so the client stops sending (RFC 9113 §8.1). Once the
   * response has started there is no status left to send: the stream is reset.
   */
  refuseNow(status: number): void {
    if (this.headersSent || this.destroyed || this.writableFinished) return this.destroy();
    this.destroyed = true;
    this.resetByUs = true;
    const stream = this.stream;
    if (stream.destroyed || stream.closed) return;
    stream.respond({ ':status': status, 'content-length': '0' }, { endStream: true });
    stream.close(constants.NGHTTP2_NO_ERROR);
  }

  /** No WebSocket over HTTP/2 here (RFC 8441 is not supported): never handed over. */
  switchProtocols(): Buffer | null {
    return null;
  }

  tunnelEnded(): void {}

  /** The stream's output is above its high-water mark: the client has `sendMs` to take some. */
  #blocked(): void {
    if (this.sendTimer !== 0) return;
    this.sendTimer = this.#env.wheel.schedule('h2-send-timeout', this.#env.sendMs, sendTimedOut, this);
  }

  /** The stream took what was queued (its 'drain'). */
  drained(): void {
    if (this.sendTimer !== 0) {
      this.#env.wheel.cancel(this.sendTimer);
      this.sendTimer = 0;
    }
    this.drainWaiter?.onDrain();
  }

  /** The stream closed, whichever way: the response's close runs once. */
  closed(): void {
    if (this.sendTimer !== 0) {
      this.#env.wheel.cancel(this.sendTimer);
      this.sendTimer = 0;
    }
    if (this.#closed) return;
    this.#closed = true;
    if (!this.writableFinished) this.destroyed = true;
    this.onClose?.(this);
  }
}
