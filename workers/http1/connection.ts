// One client connection of the proxy listener (worker thread): feeds the socket to llhttp, hands
// each request head to the handler, streams request bodies, and keeps pipelined requests in order
// (the parser pauses at the end of a request whose response is not finished, and resumes after).
// It also stops reading while the socket's unsent output is above its high-water mark, whatever
// produced it, and resumes on 'drain': a client that never reads cannot make the worker queue
// answers to its pipelined requests (the send timeout then closes it, proxy/client-timeouts.ts).
//
// Every refusal is a bare answer with `Connection: close`, and the connection is closed after it
// (nothing more is read from it): the rest of the stream cannot be trusted. Limits are the
// worker's ListenerLimits (runtime/protocol/listener-limits.ts; docs/edge.md):
//   400  malformed input (llhttp, strict mode: bare CR or LF, obs-fold, NUL, bad chunk framing,
//        Content-Length with Transfer-Encoding, repeated Content-Length, ...); HTTP/0.9 (answered
//        as soon as its request line ends); an HTTP/1.1 request without Host; two Host fields; a
//        Host that is no `host[:port]` (host.ts); a target that is no origin-, absolute- or
//        asterisk-form; Transfer-Encoding on HTTP/1.0; a Content-Length or chunk size above
//        2^53 - 1; a header name with "_" under `--underscore-headers reject`
//   405  CONNECT (a forward proxy's method)
//   413  a body above `maxBodyBytes`: before reading when Content-Length says so (and without a
//        100 Continue), or once a chunked body passes it; likewise past a request's own
//        `bodyLimit` (request-size-limiting), answered with the plugin's answer
//   414  a request line above `maxRequestLineBytes`
//   417  an Expect other than 100-continue
//   431  a head above `maxHeadBytes` as received, whitespace included; more header fields than
//        `maxHeaderFields`
//   501  a Transfer-Encoding other than "chunked" (gzip, chunked)
//   505  HTTP/2.0 and above on this HTTP/1.x port (an HTTP/2 preface included; with --h2c the
//        listener hands a connection opening with the preface to HTTP/2 before it gets here)
// Header names with "_" are dropped under `--underscore-headers drop` (the default); names that
// fold to content-length or transfer-encoding are dropped even under `allow`.
// After `keepaliveRequests` requests the last response says `Connection: close`. A client's FIN
// ends the connection only once every complete request received before it is answered.
// A WebSocket handshake (`Upgrade: websocket` + `Connection: upgrade`) is handed to the handler
// like any request; nothing after it is parsed: the bytes that follow belong to the tunnel, are
// kept (at most one socket read: the socket is paused) and given to it if the upstream answers
// 101 (upgraded()); any other answer ends the connection. Any other Upgrade is answered over
// HTTP/1.1 and the connection closed after the response.
import type { Socket } from 'node:net';
import { Readable } from 'node:stream';
import { DEFAULT_LISTENER_LIMITS, type ListenerLimits } from '../../runtime/protocol/listener-limits.ts';
import { absoluteForm, validHost } from './host.ts';
import { INVALID_VERSION, methodName, OK, PAUSED, PAUSED_H2_UPGRADE, PAUSED_UPGRADE, RequestParser, USER, type ParserEvents } from './llhttp.ts';
import { Http1Request } from './request.ts';
import { Http1Response, type ResponseOwner } from './response.ts';

/** The bytes after the target on a request line: " HTTP/1.1\r\n". */
const VERSION_BYTES = 11;
const CRLF = Buffer.from('\r\n');
const EMPTY = Buffer.alloc(0);
/** Bytes read past a request whose response is not done yet, before the socket stops reading (net's own read buffer size). */
const PIPELINED_MAX = 64 * 1024;
/** An Upgrade field that asks for WebSocket (RFC 6455 §4.1: the token is case-insensitive). */
const WEBSOCKET = /(?:^|,)\s*websocket\s*(?:,|$)/i;
/** Header names with "_" that a CGI-style upstream would read as a framing header. */
const FRAMING_ALIAS = /^(?:content[-_]length|transfer[-_]encoding)$/i;

export type RequestHandler = (req: Http1Request, res: Http1Response) => void;

/** What the listener needs from its owner: the request handler and where its own faults go. */
export interface ConnectionHooks {
  handler: RequestHandler;
  /** A fault that cost a connection (a handler that threw); the listener keeps serving. */
  failed(error: unknown): void;
  /** A write found the socket's output above its high-water mark (the send timeout starts). */
  blocked?(socket: Socket): void;
  /** The socket's output went back under its high-water mark. */
  drained?(socket: Socket): void;
}

function errorHead(status: number, reason: string): string {
  return `HTTP/1.1 ${status} ${reason}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`;
}
const BAD_REQUEST = errorHead(400, 'Bad Request');
const ERROR_HEADS: Record<number, string> = {
  400: BAD_REQUEST,
  405: errorHead(405, 'Method Not Allowed'),
  413: errorHead(413, 'Content Too Large'),
  414: errorHead(414, 'URI Too Long'),
  417: errorHead(417, 'Expectation Failed'),
  501: errorHead(501, 'Not Implemented'),
  431: errorHead(431, 'Request Header Fields Too Large'),
  505: errorHead(505, 'HTTP Version Not Supported'),
};
const CONTINUE = 'HTTP/1.1 100 Continue\r\n\r\n';

function ignore(): void {}

function clientAborted(): Error {
  return Object.assign(new Error('aborted'), { code: 'ECONNRESET' });
}

/** 505 when llhttp's INVALID_VERSION is about a major version above 1 (HTTP/3.0), else 400. */
function versionStatus(chunk: Buffer, at: number): number {
  const version = chunk.lastIndexOf('HTTP/', at, 'latin1');
  const major = version === -1 ? -1 : (chunk[version + 5] ?? 0) - 0x30;
  return major >= 2 && major <= 9 ? 505 : 400;
}

export class Http1Connection implements ParserEvents, ResponseOwner {
  readonly socket: Socket;
  readonly #parser: RequestParser;
  readonly #hooks: ConnectionHooks;
  readonly #limits: ListenerLimits;
  // The request head being parsed (between message begin and headers complete: #inHead).
  #inHead = false;
  #url = '';
  #raw: string[] = [];
  #field = '';
  #value = '';
  #inValue = false;
  #fields = 0;
  #inTrailers = false;
  #hosts = 0;
  /** Index in #raw of the Host value. */
  #hostAt = -1;
  // Byte positions in the stream this connection has received, for the limits "as received".
  /** Where the chunk being executed starts. */
  #pos = 0;
  /** Where the last span llhttp reported ended (a message starts right after the previous one's). */
  #mark = 0;
  /** Where the head being parsed started (the previous message's end, so leading CRLFs count). */
  #headStart = 0;
  /** Requests seen on this connection (keepaliveRequests). */
  #requests = 0;
  /** Body bytes of the request being read (maxBodyBytes). */
  #bodyBytes = 0;
  /** Status to answer a head or body the parser accepted but this server refuses; 0 if none. */
  #refuse = 0;
  /** The whole answer to send for #refuse instead of the bare one (a plugin's body limit). */
  #answer = '';
  /** The request whose body is being parsed, until its last byte. */
  #reading: Http1Request | null = null;
  /** The response in progress; at most one (pipelined requests wait in the socket). */
  response: Http1Response | null = null;
  /** The parser stopped at the end of a request; `#rest` holds what followed it. */
  #paused = false;
  #rest: Buffer | null = null;
  /** Inside parser.execute: bytes after the current request may be in the chunk. */
  #executing = false;
  /** The chunk being executed. */
  #chunk: Buffer | null = null;
  /** No more requests on this connection (closing, or upgraded). */
  #closing = false;
  /** The client shut its side; close ours once everything it sent before is answered. */
  #clientEnded = false;
  /** Lame duck (the server drains): every response from now on says `Connection: close`. */
  #lameDuck = false;
  /** Close as soon as no request is in progress (the drain's idle grace is over). */
  #closeWhenIdle = false;
  /** The WebSocket handshake in progress, from its head until its response or hand-over. */
  #upgrading: Http1Request | null = null;
  /** The parser reached the end of the handshake: what followed it is in #tunnelBytes. */
  #upgradeParsed = false;
  #tunnelBytes: Buffer | null = null;
  /** The socket was handed over to a tunnel: this connection no longer reads it. */
  #tunnelled = false;
  readonly #onDataListener = (chunk: Buffer): void => this.#onData(chunk);

  constructor(socket: Socket, hooks: ConnectionHooks, limits: ListenerLimits = DEFAULT_LISTENER_LIMITS) {
    this.socket = socket;
    this.#hooks = hooks;
    this.#limits = limits;
    this.#parser = new RequestParser(this);
    socket.on('data', this.#onDataListener);
    socket.on('end', () => this.#onEnd());
    socket.on('drain', () => this.#onDrain());
    socket.on('close', () => this.#onClose());
    // Every socket error is followed by 'close', which does the cleanup.
    socket.on('error', () => {});
  }

  /** No request in progress: an idle keep-alive connection. */
  idle(): boolean {
    return this.response === null && this.#reading === null && !this.#inHead && !this.#tunnelled;
  }

  /**
   * The server is draining: a response whose head is not out yet, and every later one, carries
   * `Connection: close`, and the connection ends right after it. An idle connection stays open
   * (closeIfIdle, after a grace): a client may already have sent its next request on it.
   */
  lameDuck(): void {
    this.#lameDuck = true;
    const res = this.response;
    if (res !== null && !res.headersSent) res.keepAlive = false;
  }

  /** Ends the connection now if it is idle, else right after the response in progress. */
  closeIfIdle(): void {
    this.#closeWhenIdle = true;
    if (this.idle() && !this.#paused) this.socket.destroy();
  }

  #onData(chunk: Buffer): void {
    if (this.#closing) return;
    if (this.#paused) {
      // Data read while the parser waits for a response (a pipelining client): kept for when the
      // response is done; past PIPELINED_MAX the socket stops reading until then.
      const rest = this.#rest === null ? chunk : Buffer.concat([this.#rest, chunk]);
      this.#rest = rest;
      if (rest.length >= PIPELINED_MAX) this.socket.pause();
      return;
    }
    this.#execute(chunk);
  }

  #execute(chunk: Buffer): void {
    let code: number;
    this.#executing = true;
    this.#chunk = chunk;
    try {
      code = this.#parser.execute(chunk);
    } catch (error) {
      // Something a parser callback called threw (a body consumer, say): the parser's state is
      // unknown now, so this connection ends; the worker goes on.
      this.#closing = true;
      this.socket.destroy();
      this.#hooks.failed(error);
      return;
    } finally {
      this.#executing = false;
      this.#chunk = null;
    }
    if (this.#closing) return;
    if (code === OK) {
      this.#pos += chunk.length;
      if (this.#inHead) this.#checkHead(chunk);
      else if (this.#reading !== null) this.#checkBody();
      if (this.#clientEnded && !this.#closing) this.#afterInput();
      return;
    }
    if (code === PAUSED) {
      this.#paused = true;
      const consumed = this.#parser.consumed();
      this.#pos += consumed;
      if (consumed < chunk.length) {
        // A pipelined request follows: nothing more is read until this one is answered.
        this.#rest = chunk.subarray(consumed);
        this.socket.pause();
      } else if (this.#clientEnded) {
        this.#lastResponse();
      }
      // Otherwise the socket keeps reading: pausing and resuming it per request costs a tick and
      // the stream's bookkeeping, and a client that sends nothing more costs nothing.
      return;
    }
    if (code === PAUSED_UPGRADE) {
      // The bytes after an Upgrade request belong to another protocol: nothing more is parsed.
      // A WebSocket handshake keeps them for the tunnel and reads no more until it exists (or the
      // response closes the connection); any other is answered over HTTP/1.1, then closed.
      this.#closing = true;
      if (this.#upgrading !== null) {
        const consumed = this.#parser.consumed();
        this.#upgradeParsed = true;
        this.#tunnelBytes = consumed < chunk.length ? chunk.subarray(consumed) : EMPTY;
        this.socket.pause();
      }
      return;
    }
    if (this.#refuse !== 0) return this.#parseError(this.#refuse);
    if (code === PAUSED_H2_UPGRADE) return this.#parseError(505);
    this.#parseError(code === INVALID_VERSION ? versionStatus(chunk, this.#parser.consumed()) : 400);
  }

  /** `chunk`, just parsed, ended inside a request head: limits on what has arrived so far. */
  #checkHead(chunk: Buffer): void {
    const bytes = this.#pos - this.#headStart;
    if (this.#fields === 0 && this.#field === '') {
      // Still on the request line, or just past it. A line that ends right after its target is
      // HTTP/0.9 (llhttp says so only once the next line starts): refused now, not then.
      const after = this.#url === '' ? -1 : (chunk[this.#mark - (this.#pos - chunk.length)] ?? -1);
      if (after === 0x0d || after === 0x0a || (this.#url !== '' && this.#parser.http09())) return this.#parseError(400);
      if (bytes > this.#limits.maxRequestLineBytes) return this.#parseError(414);
    }
    if (bytes > this.#limits.maxHeadBytes) this.#parseError(431);
  }

  /** A chunk ended inside a body: a chunk size no body can honour, or one past the size limit. */
  #checkBody(): void {
    const left = this.#parser.remaining();
    if (left === Infinity) return this.#parseError(400);
    const max = this.#limits.maxBodyBytes;
    if (max > 0 && this.#bodyBytes + left > max) this.#parseError(413);
  }

  #parseError(status: number): void {
    this.#closing = true;
    this.#reading?.body?.destroy(clientAborted());
    this.#reading = null;
    const res = this.response;
    if (res === null || !res.headersSent) {
      this.socket.end(this.#answer !== '' ? this.#answer : (ERROR_HEADS[status] ?? BAD_REQUEST), this.#answer !== '' ? 'utf8' : 'latin1');
      if (this.socket.writableNeedDrain) this.#hooks.blocked?.(this.socket);
    } else {
      this.socket.destroy();
    }
    res?.aborted();
  }

  #onEnd(): void {
    this.#clientEnded = true;
    if (this.#closing) return;
    // Requests read before the FIN and not parsed yet are answered first.
    if (this.#paused) {
      if (this.#rest === null) this.#lastResponse();
      return;
    }
    this.#afterInput();
  }

  /** The client has ended and every byte it sent is parsed. */
  #afterInput(): void {
    // A request cut in the middle of its head or body can never complete.
    if (this.#inHead || this.#reading !== null) return void this.socket.destroy();
    if (this.response === null) {
      this.#closing = true;
      this.socket.end();
      return;
    }
    this.#lastResponse();
  }

  /** The response in progress is the connection's last: say so in its head. */
  #lastResponse(): void {
    const res = this.response;
    if (res !== null && !res.headersSent) res.keepAlive = false;
  }

  #onDrain(): void {
    this.#hooks.drained?.(this.socket);
    this.response?.drainWaiter?.onDrain();
    // Paused on output alone: the next pipelined request may go on.
    if (this.#paused && this.response === null) this.resumeParsing();
  }

  #onClose(): void {
    this.#closing = true;
    this.#parser.free();
    const reading = this.#reading;
    this.#reading = null;
    if (reading !== null && !reading.complete) reading.body?.destroy(clientAborted());
    this.response?.aborted();
  }

  // ParserEvents: called from inside llhttp_execute.

  onMessageBegin(): number {
    this.#inHead = true;
    this.#inTrailers = false;
    this.#url = '';
    this.#field = '';
    this.#value = '';
    this.#inValue = false;
    this.#fields = 0;
    this.#hosts = 0;
    this.#hostAt = -1;
    this.#headStart = this.#mark;
    return 0;
  }

  onUrl(url: string, end: number): number {
    this.#url += url;
    const at = this.#pos + end;
    this.#mark = at;
    return at - this.#headStart + VERSION_BYTES > this.#limits.maxRequestLineBytes ? this.#refuseWith(414) : 0;
  }

  onHeaderField(name: string, end: number): number {
    const at = this.#pos + end;
    // Trailer fields (after a chunked body) are read and dropped; they are never forwarded.
    if (!this.#inHead) return this.#trailer(at);
    // The first field starts right after the request line's CRLF: the line's length as received.
    if (this.#fields === 0 && this.#field === '' && !this.#inValue && at - name.length - this.#headStart > this.#limits.maxRequestLineBytes) return this.#refuseWith(414);
    this.#mark = at;
    if (this.#inValue) {
      const refused = this.#pushHeader();
      if (refused !== 0) return refused;
      this.#field = name;
    } else {
      this.#field += name;
    }
    return at - this.#headStart > this.#limits.maxHeadBytes ? this.#refuseWith(431) : 0;
  }

  onHeaderValue(value: string, end: number): number {
    const at = this.#pos + end;
    if (!this.#inHead) return this.#trailer(at);
    this.#mark = at;
    this.#inValue = true;
    this.#value += value;
    return at - this.#headStart > this.#limits.maxHeadBytes ? this.#refuseWith(431) : 0;
  }

  /** A trailer span: the trailer section counts against the head limit, from the body's end. */
  #trailer(at: number): number {
    if (!this.#inTrailers) {
      this.#inTrailers = true;
      this.#headStart = this.#mark;
    }
    this.#mark = at;
    return at - this.#headStart > this.#limits.maxHeadBytes ? this.#refuseWith(431) : 0;
  }

  #pushHeader(): number {
    const field = this.#field;
    const value = this.#value;
    this.#field = '';
    this.#value = '';
    this.#inValue = false;
    if (++this.#fields > this.#limits.maxHeaderFields) return this.#refuseWith(431);
    if (field.length === 4 && field.toLowerCase() === 'host') {
      this.#hosts++;
      this.#hostAt = this.#raw.length + 1;
    } else if (field.includes('_')) {
      const policy = this.#limits.underscoreHeaders;
      if (policy === 'reject') return this.#refuseWith(400);
      // Dropped before routing and forwarding: behind an upstream that reads `_` as `-` (CGI,
      // WSGI), `X_Forwarded_For` would override what the proxy writes, `Content_Length` reframe.
      if (policy === 'drop' || FRAMING_ALIAS.test(field)) return 0;
    }
    // llhttp drops the whitespace before a value, not after it; node:http trims both.
    const last = value.charCodeAt(value.length - 1);
    this.#raw.push(field, last === 0x20 || last === 0x09 ? value.trimEnd() : value);
    return 0;
  }

  onHeadersComplete(method: number, major: number, minor: number, upgrade: boolean, keepAlive: boolean): number {
    if (this.#inValue || this.#field !== '') {
      const refused = this.#pushHeader();
      if (refused !== 0) return refused;
    }
    this.#inHead = false;
    // No field to measure the request line by: find its end in the chunk (HTTP/1.0 only).
    if (this.#fields === 0 && this.#lineTooLong()) return this.#refuseWith(414);
    const raw = this.#raw;
    // Empty again: the next head starts from nothing.
    this.#raw = [];
    let url = this.#url;
    this.#url = '';
    if (major !== 1) return this.#refuseWith(major === 0 ? 400 : 505);
    const name = methodName(method);
    // A forward proxy's CONNECT has no place on a reverse proxy.
    if (name === 'CONNECT') return this.#refuseWith(405);
    // RFC 9112 §3.2: exactly one Host, a valid one; required on HTTP/1.1.
    if (this.#hosts > 1 || (this.#hosts === 1 ? !validHost(raw[this.#hostAt]!) : minor === 1)) return this.#refuseWith(400);
    if (url.charCodeAt(0) !== 0x2f /* / */ && !(url === '*' && name === 'OPTIONS')) {
      // Absolute form: its authority is the request's Host (RFC 9112 §3.2.2), its path the target.
      const absolute = absoluteForm(url);
      if (absolute === null) return this.#refuseWith(400);
      url = absolute.path;
      if (this.#hostAt !== -1) raw[this.#hostAt] = absolute.authority;
      else raw.push('Host', absolute.authority);
    }
    const req = new Http1Request(name, url, minor === 1 ? '1.1' : '1.0', raw, this.socket);
    const headers = req.headers;
    // llhttp's flag: Connection names upgrade and an Upgrade field is present (GET or not).
    if (upgrade && minor === 1 && headers.upgrade !== undefined && WEBSOCKET.test(headers.upgrade)) {
      req.upgrade = true;
      this.#upgrading = req;
    }
    const te = headers['transfer-encoding'];
    if (te !== undefined) {
      // HTTP/1.0 has no chunked coding: a Transfer-Encoding there is a framing mismatch waiting to happen.
      if (minor === 0) return this.#refuseWith(400);
      // A coding besides chunked (gzip, chunked) would reach the upstream re-chunked, its name
      // lost with the hop-by-hop header: refused as nginx does.
      if (te.length !== 7 || te.toLowerCase() !== 'chunked') return this.#refuseWith(501);
    }
    const cl = headers['content-length'];
    const length = cl === undefined ? 0 : Number(cl);
    if (!(length <= Number.MAX_SAFE_INTEGER)) return this.#refuseWith(400);
    const expect = headers.expect;
    if (expect !== undefined && expect.toLowerCase() !== '100-continue') return this.#refuseWith(417);
    // Content-Length above 0 or any Transfer-Encoding: a body follows the head.
    if (te !== undefined || length > 0) {
      const max = this.#limits.maxBodyBytes;
      if (max > 0 && length > max) return this.#refuseWith(413);
      if (expect !== undefined && minor === 1) this.socket.write(CONTINUE, 'latin1');
      const body = new Readable({ read: () => this.socket.resume() });
      // A body destroyed by a client that left must not throw when nobody reads it yet (as node:http).
      body.on('error', ignore);
      req.body = body;
      this.#reading = req;
      this.#bodyBytes = 0;
    }
    const last = ++this.#requests >= this.#limits.keepaliveRequests;
    const res = new Http1Response(this, req, keepAlive && !upgrade && !last && !this.#lameDuck);
    this.response = res;
    try {
      this.#hooks.handler(req, res);
    } catch (error) {
      // The handler answers its own failures; one that escapes must not leave llhttp mid-call.
      this.#closing = true;
      this.socket.destroy();
      this.#hooks.failed(error);
      return USER;
    }
    return 0;
  }

  /** For a head without fields: the request line ends at the first CRLF after the target. */
  #lineTooLong(): boolean {
    const chunk = this.#chunk!;
    const start = this.#pos;
    const end = chunk.indexOf(CRLF, Math.max(0, this.#mark - start));
    return end !== -1 && start + end + 2 - this.#headStart > this.#limits.maxRequestLineBytes;
  }

  #refuseWith(status: number): number {
    this.#refuse = status;
    return USER;
  }

  onBody(chunk: Buffer, end: number): number {
    this.#mark = this.#pos + end;
    const req = this.#reading;
    if (req === null) return 0;
    const max = this.#limits.maxBodyBytes;
    if (max > 0 && (this.#bodyBytes += chunk.length) > max) return this.#refuseWith(413);
    // A plugin's limit on this body (request-size-limiting), counted as the bytes arrive; not on a
    // body being dropped after its request was answered (maxBodyBytes still bounds that).
    if ((req.bodyReceived += chunk.length) > req.bodyLimit && this.response?.req === req) {
      this.#answer = req.bodyLimitAnswer;
      return this.#refuseWith(413);
    }
    // A body nobody reads any more (the response already ended) is read and dropped.
    if (req.body === null || this.response?.req !== req) return 0;
    if (!req.body.push(chunk)) this.socket.pause();
    return 0;
  }

  onMessageComplete(): number {
    const req = this.#reading;
    this.#reading = null;
    if (req !== null) {
      req.complete = true;
      req.body?.push(null);
    }
    // The end of a WebSocket handshake: llhttp stops with PAUSED_UPGRADE right after this.
    if (this.#upgrading !== null) {
      this.#upgrading.complete = true;
      return 0;
    }
    // The next request waits until this one's response is done, and until the client has taken
    // enough of what was written to it.
    return this.response !== null || this.socket.writableNeedDrain ? PAUSED : 0;
  }

  // ResponseOwner

  upgraded(res: Http1Response): Buffer | null {
    const req = this.#upgrading;
    if (this.response !== res || req === null || res.req !== req || !this.#upgradeParsed || this.socket.destroyed) return null;
    this.response = null;
    this.#upgrading = null;
    this.#tunnelled = true;
    const rest = this.#tunnelBytes ?? EMPTY;
    this.#tunnelBytes = null;
    // The tunnel reads the socket from now on; this connection's other listeners see #closing.
    this.socket.removeListener('data', this.#onDataListener);
    return rest;
  }

  finished(res: Http1Response): void {
    if (this.response !== res) return;
    this.response = null;
    if (this.#upgrading === res.req) {
      // A handshake answered without 101: the bytes after it were never HTTP; the connection ends.
      this.#upgrading = null;
      this.#tunnelBytes = null;
    }
    const reading = this.#reading;
    if (reading !== null && reading === res.req) {
      // Answered before its body arrived (an early 401): the rest is read and dropped.
      reading.body?.destroy();
      this.socket.resume();
    }
    if (!res.keepAlive || this.#closeWhenIdle || (this.#clientEnded && !this.#executing && this.#rest === null && !this.#inHead && this.#reading === null)) {
      this.#closing = true;
      this.socket.end();
    }
    process.nextTick(afterResponse, this, res);
  }

  blocked(): void {
    this.#hooks.blocked?.(this.socket);
  }

  /** Resumes a parser paused at the end of a pipelined request (never inside another execute). */
  resumeParsing(): void {
    if (!this.#paused || this.#closing || this.response !== null || this.socket.writableNeedDrain) return;
    this.#paused = false;
    this.#parser.resume();
    this.socket.resume();
    const rest = this.#rest;
    this.#rest = null;
    if (rest !== null) this.#execute(rest);
    else if (this.#clientEnded) this.#afterInput();
  }
}

function afterResponse(connection: Http1Connection, res: Http1Response): void {
  res.onClose?.(res);
  connection.resumeParsing();
}
