// One client connection of the proxy listener (worker thread): feeds the socket to llhttp, hands
// each request head to the handler, streams request bodies, and keeps pipelined requests in order
// (the parser pauses at the end of a request whose response is not finished, and resumes after).
// Malformed input gets 400 and the connection is closed, as node:http does; a head this proxy
// refuses gets 431 (over 16 KiB), 505 (not HTTP/1.x), 405 (CONNECT) or 417 (an unknown Expect).
import type { Socket } from 'node:net';
import { Readable } from 'node:stream';
import { methodName, OK, PAUSED, PAUSED_UPGRADE, RequestParser, USER, type ParserEvents } from './llhttp.ts';
import { Http1Request } from './request.ts';
import { Http1Response, type ResponseOwner } from './response.ts';

/** node:http's default --max-http-header-size: request line and headers together. */
const MAX_HEAD_BYTES = 16 * 1024;

export type RequestHandler = (req: Http1Request, res: Http1Response) => void;

/** What the listener needs from its owner: the request handler and where its own faults go. */
export interface ConnectionHooks {
  handler: RequestHandler;
  /** A fault that cost a connection (a handler that threw); the listener keeps serving. */
  failed(error: unknown): void;
}

function errorHead(status: number, reason: string): string {
  return `HTTP/1.1 ${status} ${reason}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`;
}
const BAD_REQUEST = errorHead(400, 'Bad Request');
const ERROR_HEADS: Record<number, string> = {
  400: BAD_REQUEST,
  405: errorHead(405, 'Method Not Allowed'),
  417: errorHead(417, 'Expectation Failed'),
  431: errorHead(431, 'Request Header Fields Too Large'),
  505: errorHead(505, 'HTTP Version Not Supported'),
};
const CONTINUE = 'HTTP/1.1 100 Continue\r\n\r\n';

function ignore(): void {}

function clientAborted(): Error {
  return Object.assign(new Error('aborted'), { code: 'ECONNRESET' });
}

export class Http1Connection implements ParserEvents, ResponseOwner {
  readonly socket: Socket;
  readonly #parser: RequestParser;
  readonly #hooks: ConnectionHooks;
  // The request head being parsed.
  #url = '';
  #raw: string[] = [];
  #field = '';
  #value = '';
  #inValue = false;
  #headBytes = 0;
  /** Status to answer a head the parser accepted but this server refuses (USER error). */
  #refuse = 400;
  /** The request whose body is being parsed, until its last byte. */
  #reading: Http1Request | null = null;
  /** The response in progress; at most one (pipelined requests wait in the socket). */
  response: Http1Response | null = null;
  /** The parser stopped at the end of a request; `#rest` holds what followed it. */
  #paused = false;
  #rest: Buffer | null = null;
  /** No more requests on this connection (closing, or upgraded). */
  #closing = false;
  /** The client shut its side; close ours after the response in progress. */
  #clientEnded = false;
  /** Lame duck (the server drains): every response from now on says `Connection: close`. */
  #lameDuck = false;
  /** Close as soon as no request is in progress (the drain's idle grace is over). */
  #closeWhenIdle = false;

  constructor(socket: Socket, hooks: ConnectionHooks) {
    this.socket = socket;
    this.#hooks = hooks;
    this.#parser = new RequestParser(this);
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('end', () => this.#onEnd());
    socket.on('drain', () => this.response?.drainWaiter?.onDrain());
    socket.on('close', () => this.#onClose());
    // Every socket error is followed by 'close', which does the cleanup.
    socket.on('error', () => {});
  }

  /** No request in progress: an idle keep-alive connection. */
  idle(): boolean {
    return this.response === null && this.#reading === null && this.#url === '';
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
      // Data already read when the parser paused: keep it for when the response is done.
      this.#rest = this.#rest === null ? chunk : Buffer.concat([this.#rest, chunk]);
      return;
    }
    this.#execute(chunk);
  }

  #execute(chunk: Buffer): void {
    let code: number;
    try {
      code = this.#parser.execute(chunk);
    } catch (error) {
      // Something a parser callback called threw (a body consumer, say): the parser's state is
      // unknown now, so this connection ends; the worker goes on.
      this.#closing = true;
      this.socket.destroy();
      this.#hooks.failed(error);
      return;
    }
    if (code === OK) return;
    if (code === PAUSED) {
      this.#paused = true;
      const consumed = this.#parser.consumed();
      if (consumed < chunk.length) this.#rest = chunk.subarray(consumed);
      this.socket.pause();
      return;
    }
    if (code === PAUSED_UPGRADE) {
      // The bytes after an Upgrade request belong to another protocol: this proxy answers the
      // request itself over HTTP/1.1 and closes the connection after the response.
      this.#closing = true;
      return;
    }
    this.#parseError(code === USER ? this.#refuse : 400);
  }

  #parseError(status: number): void {
    this.#closing = true;
    this.#reading?.body?.destroy(clientAborted());
    this.#reading = null;
    const res = this.response;
    if (res === null || !res.headersSent) {
      this.socket.end(ERROR_HEADS[status] ?? BAD_REQUEST, 'latin1');
    } else {
      this.socket.destroy();
    }
    res?.aborted();
  }

  #onEnd(): void {
    this.#clientEnded = true;
    // A request cut in the middle of its head or body can never complete.
    if (this.#reading !== null || this.#url !== '' || this.#raw.length > 0) return void this.socket.destroy();
    const res = this.response;
    if (res === null) this.socket.end();
    // Its response will be the last: say so in its head.
    else if (!res.headersSent) res.keepAlive = false;
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
    this.#url = '';
    this.#field = '';
    this.#value = '';
    this.#inValue = false;
    this.#headBytes = 0;
    return 0;
  }

  #count(length: number): number {
    this.#headBytes += length;
    if (this.#headBytes <= MAX_HEAD_BYTES) return 0;
    this.#refuse = 431;
    return USER;
  }

  onUrl(url: string): number {
    this.#url += url;
    return this.#count(url.length);
  }

  onHeaderField(name: string): number {
    if (this.#inValue) {
      this.#pushHeader();
      this.#field = name;
    } else {
      this.#field += name;
    }
    return this.#count(name.length);
  }

  onHeaderValue(value: string): number {
    this.#inValue = true;
    this.#value += value;
    return this.#count(value.length);
  }

  #pushHeader(): void {
    const value = this.#value;
    // llhttp drops the whitespace before a value, not after it; node:http trims both.
    const last = value.charCodeAt(value.length - 1);
    this.#raw.push(this.#field, last === 0x20 || last === 0x09 ? value.trimEnd() : value);
    this.#value = '';
    this.#inValue = false;
  }

  onHeadersComplete(method: number, major: number, minor: number, upgrade: boolean, keepAlive: boolean): number {
    if (this.#inValue || this.#field !== '') this.#pushHeader();
    const url = this.#url;
    this.#url = '';
    if (major !== 1) return this.#refuseWith(505);
    const name = methodName(method);
    // A forward proxy's CONNECT has no place on a reverse proxy.
    if (name === 'CONNECT') return this.#refuseWith(405);
    const req = new Http1Request(name, url, minor === 1 ? '1.1' : '1.0', this.#raw, this.socket);
    // Empty again: a head in progress is what #onEnd and idle() look for.
    this.#raw = [];
    const headers = req.headers;
    if (minor === 1 && headers.host === undefined) return this.#refuseWith(400);
    // Content-Length above 0 or any Transfer-Encoding: a body follows the head.
    if (headers['transfer-encoding'] !== undefined || (headers['content-length'] !== undefined && headers['content-length'] !== '0')) {
      const expect = headers.expect;
      if (expect !== undefined) {
        if (expect.toLowerCase() !== '100-continue') return this.#refuseWith(417);
        if (minor === 1) this.socket.write(CONTINUE, 'latin1');
      }
      const body = new Readable({ read: () => this.socket.resume() });
      // A body destroyed by a client that left must not throw when nobody reads it yet (as node:http).
      body.on('error', ignore);
      req.body = body;
      this.#reading = req;
    }
    const res = new Http1Response(this, req, keepAlive && !upgrade && !this.#clientEnded && !this.#lameDuck);
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

  #refuseWith(status: number): number {
    this.#refuse = status;
    return USER;
  }

  onBody(chunk: Buffer): number {
    const req = this.#reading;
    // A body nobody reads any more (the response already ended) is read and dropped.
    if (req === null || req.body === null || this.response?.req !== req) return 0;
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
    // The next request waits until this one's response is done.
    return this.response !== null ? PAUSED : 0;
  }

  // ResponseOwner

  finished(res: Http1Response): void {
    if (this.response !== res) return;
    this.response = null;
    const reading = this.#reading;
    if (reading !== null && reading === res.req) {
      // Answered before its body arrived (an early 401): the rest is read and dropped.
      reading.body?.destroy();
      this.socket.resume();
    }
    if (!res.keepAlive || this.#clientEnded || this.#closeWhenIdle) {
      this.#closing = true;
      this.socket.end();
    }
    process.nextTick(afterResponse, this, res);
  }

  /** Resumes a parser paused at the end of a pipelined request (never inside another execute). */
  resumeParsing(): void {
    if (!this.#paused || this.#closing || this.response !== null) return;
    this.#paused = false;
    this.#parser.resume();
    this.socket.resume();
    const rest = this.#rest;
    this.#rest = null;
    if (rest !== null) this.#execute(rest);
  }
}

function afterResponse(connection: Http1Connection, res: Http1Response): void {
  res.onClose?.(res);
  connection.resumeParsing();
}
