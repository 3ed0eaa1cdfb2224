// One response on the proxy listener (worker thread), written straight to the client socket. The
// head is built as one latin1 string and held until the first body bytes, so a small response
// leaves in a single write; node:http's ServerResponse (a Writable per request, header objects,
// several events per response) is what this replaces on the hot path.
// Framing follows RFC 9112: Content-Length when known, else chunked (HTTP/1.1) or close-delimited
// (HTTP/1.0); no body after HEAD, 1xx, 204 and 304.
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { ClientResponse, DrainWaiter } from '../proxy/client.ts';
import { safeHeaderText } from '../proxy/header-safety.ts';
import type { Http1Request } from './request.ts';

export type { DrainWaiter };

/** Below this a body chunk is appended to the pending head as latin1 (lossless for bytes). */
const INLINE_MAX = 4096;

/** What the connection does when a response is done with the socket. */
export interface ResponseOwner {
  finished(res: Http1Response): void;
  /** A write left the socket's output above its high-water mark. */
  blocked(): void;
  /**
   * The response is a 101 to a WebSocket handshake: the socket leaves HTTP. Returns the bytes the
   * client sent after the request (they belong to the new protocol; empty if none), or null when
   * the connection cannot be handed over (the request is not complete yet, or the socket is going).
   */
  upgraded(res: Http1Response): Buffer | null;
}


let dateSecond = 0;
let dateValue = '';

/** The Date header value, formatted once per second. */
function httpDate(): string {
  const now = Date.now();
  const second = Math.floor(now / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateValue = new Date(now).toUTCString();
  }
  return dateValue;
}

/**
 * Refuses a header that would end its line early (response splitting). Checked where values enter
 * (setHeader, RequestContext.addResponseHeader); headers relayed from the upstream were already
 * parsed by undici's strict llhttp and are written as they are.
 */
export function assertHeader(name: string, value: string): void {
  // CR, LF or NUL would end the header line early (response splitting).
  if (!safeHeaderText(value) || !safeHeaderText(name)) throw new TypeError(`invalid character in header "${name}"`);
}

// Header names that matter to framing, as bits; compared by length first, lower-cased only then.
const CONTENT_LENGTH = 1;
const DATE = 2;
const TRANSFER_ENCODING = 4;
const CONNECTION_CLOSE = 8;

function framing(name: string, value: string): number {
  switch (name.length) {
    case 14:
      return name.toLowerCase() === 'content-length' ? CONTENT_LENGTH : 0;
    case 4:
      return name.toLowerCase() === 'date' ? DATE : 0;
    case 17:
      return name.toLowerCase() === 'transfer-encoding' ? TRANSFER_ENCODING : 0;
    case 10:
      return name.toLowerCase() === 'connection' && /\bclose\b/i.test(value) ? CONNECTION_CLOSE : 0;
    default:
      return 0;
  }
}

export class Http1Response implements ClientResponse {
  readonly req: Http1Request;
  readonly socket: Socket;
  readonly #owner: ResponseOwner;
  statusCode = 200;
  /** The head was built (writeHead ran): status and headers can no longer change. */
  headersSent = false;
  /** end() ran: every byte is handed to the socket. */
  writableFinished = false;
  /** destroy() ran, or the socket went away before end(). */
  destroyed = false;
  /** onClose ran. */
  #closed = false;
  /** The connection may take another request after this response. */
  keepAlive: boolean;
  /** Runs once, when the response ended or was cut (node's 'close'). */
  onClose: ((res: ClientResponse) => void) | null = null;
  drainWaiter: DrainWaiter | null = null;
  /** Headers set before writeHead, by lower-case name. */
  #headers: Map<string, [string, string | string[]]> | null = null;
  /** The head, built but not yet written. */
  #head: string | null = null;
  /** writeHead's `flat` list, kept by reference for `sentHeaders` (logging plugins). */
  #flat: readonly string[] | null = null;
  #chunked = false;
  #bodyAllowed = true;

  constructor(owner: ResponseOwner, req: Http1Request, keepAlive: boolean) {
    this.#owner = owner;
    this.req = req;
    this.socket = req.socket;
    this.keepAlive = keepAlive;
  }

  setHeader(name: string, value: string | number | readonly string[]): this {
    if (this.headersSent) throw new Error(`cannot set header "${name}" after the head was sent`);
    const stored = typeof value === 'number' ? String(value) : typeof value === 'string' ? value : [...value];
    for (const item of typeof stored === 'string' ? [stored] : stored) assertHeader(name, item);
    (this.#headers ??= new Map()).set(name.toLowerCase(), [name, stored]);
    return this;
  }

  hasHeader(name: string): boolean {
    return this.#headers?.has(name.toLowerCase()) ?? false;
  }

  /**
   * The response headers as Kong's `ngx.resp.get_headers()` gives them to a log plugin: lower-case
   * names, a repeated name as an array. Built only when asked (the log serializer), not per request.
   */
  sentHeaders(): Record<string, string | string[]> {
    const out: Record<string, string | string[]> = {};
    const add = (name: string, value: string): void => {
      const key = name.toLowerCase();
      const seen = out[key];
      out[key] = seen === undefined ? value : Array.isArray(seen) ? [...seen, value] : [seen, value];
    };
    if (this.#headers !== null) for (const [name, value] of this.#headers.values()) for (const item of typeof value === 'string' ? [value] : value) add(name, item);
    const flat = this.#flat;
    if (flat !== null) for (let i = 0; i < flat.length; i += 2) add(flat[i]!, flat[i + 1]!);
    return out;
  }

  /** Builds the head from the headers set so far plus `flat` ([name, value, ...]). */
  writeHead(statusCode: number, flat?: readonly string[]): this {
    if (this.headersSent) throw new Error('writeHead called twice');
    this.headersSent = true;
    this.statusCode = statusCode;
    this.#flat = flat ?? null;
    let head = `HTTP/1.1 ${statusCode} ${STATUS_CODES[statusCode] ?? 'Unknown'}\r\n`;
    let seen = 0;
    if (this.#headers !== null) {
      for (const [name, value] of this.#headers.values()) {
        for (const item of typeof value === 'string' ? [value] : value) {
          head += `${name}: ${item}\r\n`;
          seen |= framing(name, item);
        }
      }
    }
    if (flat !== undefined) {
      for (let i = 0; i < flat.length; i += 2) {
        const name = flat[i]!;
        const value = flat[i + 1]!;
        head += `${name}: ${value}\r\n`;
        seen |= framing(name, value);
      }
    }
    const req = this.req;
    this.#bodyAllowed = req.method !== 'HEAD' && statusCode !== 204 && statusCode !== 304 && statusCode >= 200;
    if (this.#bodyAllowed && (seen & (CONTENT_LENGTH | TRANSFER_ENCODING)) === 0) {
      if (req.httpVersion === '1.1') {
        this.#chunked = true;
        head += 'transfer-encoding: chunked\r\n';
      } else {
        // An HTTP/1.0 client learns where the body ends only from the connection closing.
        this.keepAlive = false;
      }
    }
    if ((seen & CONNECTION_CLOSE) !== 0) this.keepAlive = false;
    else head += this.keepAlive ? 'connection: keep-alive\r\n' : 'connection: close\r\n';
    if ((seen & DATE) === 0) head += `date: ${httpDate()}\r\n`;
    this.#head = `${head}\r\n`;
    return this;
  }

  /** Writes a body chunk; false when the socket is full (see drainWaiter). `finished`: see ClientResponse. */
  write(chunk: Buffer | string, finished?: () => void): boolean {
    if (this.writableFinished || this.destroyed) return false;
    if (!this.headersSent) this.writeHead(this.statusCode);
    if (this.#send(chunk, false, finished)) return true;
    this.#owner.blocked();
    return false;
  }

  end(chunk?: Buffer | string): void {
    if (this.writableFinished || this.destroyed) return;
    if (!this.headersSent) this.writeHead(this.statusCode);
    if (!this.#send(chunk ?? '', true)) this.#owner.blocked();
    this.writableFinished = true;
    this.#owner.finished(this);
  }

  /**
   * Answers a WebSocket handshake with the upstream's `head` (a complete 101 head, written as it
   * is: its Upgrade and Connection fields are the point) and hands the socket over. From here the
   * caller owns the socket and calls `tunnelEnded` once it is done with it. Null: no hand-over
   * (see ResponseOwner.upgraded); nothing was written and the caller should destroy().
   */
  switchProtocols(head: string): Buffer | null {
    if (this.headersSent || this.destroyed || !this.req.upgrade) return null;
    const rest = this.#owner.upgraded(this);
    if (rest === null) return null;
    this.headersSent = true;
    this.statusCode = 101;
    // Finished as far as HTTP goes: the request's close (log phase) waits for tunnelEnded.
    this.writableFinished = true;
    this.keepAlive = false;
    this.socket.write(head, 'latin1');
    return rest;
  }

  /** The tunnel that took the socket over has ended (both sides closed): the request's close runs. */
  tunnelEnded(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.onClose?.(this);
  }

  /** Cuts the connection: the client sees a response that stopped short. */
  destroy(): void {
    if (this.destroyed || this.writableFinished) return;
    this.destroyed = true;
    this.socket.destroy();
  }

  /** The socket closed before end() (called by the connection). */
  aborted(): void {
    if (this.#closed || this.writableFinished) return;
    this.#closed = true;
    this.destroyed = true;
    this.onClose?.(this);
  }

  #send(chunk: Buffer | string, last: boolean, finished?: () => void): boolean {
    const socket = this.socket;
    let head = this.#head;
    this.#head = null;
    const size = this.#bodyAllowed ? (typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length) : 0;
    if (this.#chunked) {
      if (size > 0) head = `${head ?? ''}${size.toString(16)}\r\n`;
    }
    const tail = this.#chunked ? (size > 0 ? (last ? '\r\n0\r\n\r\n' : '\r\n') : last ? '0\r\n\r\n' : '') : '';
    if (size === 0) {
      const text = `${head ?? ''}${tail}`;
      return text === '' ? true : socket.write(text, 'latin1');
    }
    // Small bodies ride in the head's string: one write, one syscall. latin1 maps bytes 1:1; a
    // string body is inlined only when it is plain ASCII (its UTF-8 bytes are its characters).
    if (head !== null && size <= INLINE_MAX && (typeof chunk !== 'string' || size === chunk.length)) {
      const body = typeof chunk === 'string' ? chunk : chunk.toString('latin1');
      return socket.write(`${head}${body}${tail}`, 'latin1');
    }
    socket.cork();
    if (head !== null) socket.write(head, 'latin1');
    let ok = typeof chunk === 'string' ? socket.write(chunk, 'utf8') : socket.write(chunk, finished);
    if (tail !== '') ok = socket.write(tail, 'latin1');
    socket.uncork();
    return ok;
  }
}
