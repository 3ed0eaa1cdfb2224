// One keep-alive connection to an upstream target (worker thread): a net or tls socket, its
// llhttp response parser and the exchange it serves now. Its socket listeners are added once per
// connection, never per request; they route to whichever handler holds the connection.
//
// Strict framing, checked here so no caller can pass a bad response on as good:
// - llhttp (strict) refuses Content-Length with Transfer-Encoding, a repeated Content-Length,
//   bad chunk framing and malformed heads;
// - a Transfer-Encoding other than `chunked` is refused (nginx: "unknown Transfer-Encoding");
// - a head over MAX_HEAD_BYTES (whitespace included) is refused (nginx "too big header");
// - bytes after a complete response, or on an idle connection, end the connection: requests
//   are never pipelined, so such bytes can only be a framing disagreement;
// - a body that ends before its framing says (Content-Length short, chunked without its last
//   chunk) is a fault, never an end; only a close-delimited body ends with the peer's FIN.
// Body bytes of one socket read are handed over only after llhttp got through the whole read: a
// response that is complete but followed by stray bytes is refused before any of it is relayed.
import type { Socket } from 'node:net';
import { OK, PAUSED, PAUSED_UPGRADE, ResponseParser, SKIP_BODY, SKIP_UPGRADE, type ResponseEvents } from './llhttp-response.ts';
import type { TargetPool } from './pool.ts';

/** Response head limit: status line and headers as received (nginx answers 502 past proxy_buffer_size). */
export const MAX_HEAD_BYTES = 64 * 1024;

/** Where a request stood when its connection failed; decides retries and the status. */
export type FaultPhase = 'connect' | 'request' | 'response';

/** A failure of the connection while serving a request. `code` is a Node or SLUICE code. */
export class UpstreamFault extends Error {
  readonly code: string;
  readonly phase: FaultPhase;
  /** The connection had served a request before this one. */
  readonly reused: boolean;
  /** Some byte of the response had arrived. */
  readonly answered: boolean;

  constructor(code: string, message: string, phase: FaultPhase, reused: boolean, answered: boolean) {
    super(message);
    this.name = 'UpstreamFault';
    this.code = code;
    this.phase = phase;
    this.reused = reused;
    this.answered = answered;
  }
}

/** What a connection tells the exchange it serves. Nothing is called after onResponseEnd or onFault. */
export interface UpstreamHandler {
  /** Connected (TLS handshake done): a request body may be streamed now. */
  onConnected(): void;
  /** A 1xx other than 100 and 101, to relay as it is. */
  onInformational(status: number, rawHeaders: string[]): void;
  /** The final head. Called while llhttp runs: no body byte of it is relayed yet. */
  onResponseHead(status: number, rawHeaders: string[]): void;
  onResponseData(chunk: Buffer): void;
  /** The response is complete; `last` is its final body chunk, if it came in the last read. */
  onResponseEnd(last: Buffer | null): void;
  /** A 101 to a request that asked for it: the socket now belongs to the handler. */
  onUpgrade(status: number, rawHeaders: string[], socket: Socket, head: Buffer): void;
  onFault(fault: UpstreamFault): void;
  /** The socket took what was queued: the request body may go on. */
  onRequestDrain(): void;
}

const IDLE = 0;
const CONNECTING = 1;
const BUSY = 2;
const CLOSED = 3;

const CHUNK_END = '\r\n';
const LAST_CHUNK = '0\r\n\r\n';

function connectTimedOut(connection: UpstreamConnection): void {
  connection.connectTimer = 0;
  connection.fail('SLUICE_ERR_UPSTREAM_CONNECT_TIMEOUT', 'connect timed out');
}

function idleTimedOut(connection: UpstreamConnection): void {
  connection.idleTimer = 0;
  if (connection.state === IDLE) connection.close();
}

export class UpstreamConnection implements ResponseEvents {
  readonly socket: Socket;
  readonly pool: TargetPool;
  readonly #parser: ResponseParser;
  state = CONNECTING;
  handler: UpstreamHandler | null = null;
  /** Requests this connection has carried (the one in progress included). */
  requests = 0;
  connectTimer = 0;
  idleTimer = 0;
  // The request in progress.
  #method = '';
  #chunkedBody = false;
  /** The request (head and body) is written whole. */
  #sent = false;
  #upgradeAsked = false;
  // The response in progress.
  #answered = false;
  #status = 0;
  #raw: string[] = [];
  #field = '';
  #value = '';
  #inValue = false;
  #headBytes = 0;
  /** Bytes read while the final head was incomplete. */
  #headRead = 0;
  #headDone = false;
  #complete = false;
  #keepAlive = false;
  #fault = '';
  /** Body slices of the read being parsed, handed over once llhttp got through it. */
  readonly #slices: Buffer[] = [];

  constructor(socket: Socket, pool: TargetPool) {
    this.socket = socket;
    this.pool = pool;
    this.#parser = new ResponseParser(this);
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('end', () => this.#onEnd());
    socket.on('drain', () => this.handler?.onRequestDrain());
    socket.on('error', (error: NodeJS.ErrnoException) => this.#onError(error));
    socket.on('close', () => this.#onClose());
  }

  /** The connection was used before the request in progress. */
  get reused(): boolean {
    return this.requests > 1;
  }

  /** Called by the pool once the socket is connected (and, for TLS, verified). */
  connected(): void {
    if (this.state !== CONNECTING) return;
    this.pool.connector.wheel.cancel(this.connectTimer);
    this.connectTimer = 0;
    this.state = BUSY;
    this.handler?.onConnected();
  }

  /**
   * Sends a request head (one string, one write). `body`: 'none', 'length' (the head carries
   * Content-Length) or 'chunked' (this connection frames each write()).
   */
  request(handler: UpstreamHandler, method: string, head: string, body: 'none' | 'length' | 'chunked', upgrade: boolean): void {
    this.handler = handler;
    this.requests++;
    this.#method = method;
    this.#chunkedBody = body === 'chunked';
    this.#sent = body === 'none';
    this.#upgradeAsked = upgrade;
    this.#answered = false;
    this.#status = 0;
    this.#headDone = false;
    this.#headRead = 0;
    this.#complete = false;
    this.#fault = '';
    this.socket.write(head, 'latin1');
    if (this.state === IDLE) this.state = BUSY;
  }

  /**
   * A piece of the request body; false when the socket is full (onRequestDrain follows).
   * `finished` runs once the socket no longer needs `chunk`'s memory (written, failed, or never
   * sent), so its owner may free it.
   */
  write(chunk: Buffer, finished?: () => void): boolean {
    if (this.state === CLOSED) {
      finished?.();
      return true;
    }
    if (!this.#chunkedBody) return this.socket.write(chunk, finished);
    if (chunk.length === 0) {
      finished?.();
      return true;
    }
    const socket = this.socket;
    socket.cork();
    socket.write(`${chunk.length.toString(16)}\r\n`, 'latin1');
    socket.write(chunk, finished);
    const ok = socket.write(CHUNK_END, 'latin1');
    socket.uncork();
    return ok;
  }

  /** The request body is all written. */
  endRequest(): void {
    if (this.state === CLOSED) return;
    this.#sent = true;
    if (this.#chunkedBody) this.socket.write(LAST_CHUNK, 'latin1');
  }

  /** Stops reading the response (the client's socket is full) / reads on. */
  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  /** The exchange gives up (client gone, timeout): the connection can never be reused. */
  abort(): void {
    this.handler = null;
    this.close();
  }

  close(): void {
    if (this.state === CLOSED) return;
    if (this.state === IDLE) this.pool.unidle(this);
    this.state = CLOSED;
    this.socket.destroy();
  }

  /** Fails the request in progress (if any) and closes. */
  fail(code: string, message: string): void {
    const handler = this.handler;
    this.handler = null;
    const phase: FaultPhase = this.state === CONNECTING ? 'connect' : this.#answered ? 'response' : 'request';
    const reused = this.reused;
    this.close();
    handler?.onFault(new UpstreamFault(code, message, phase, reused, this.#answered));
  }

  #onData(chunk: Buffer): void {
    const handler = this.handler;
    if (this.state !== BUSY || handler === null) {
      // Bytes nobody asked for (an idle keep-alive connection): framing can't be trusted.
      this.close();
      return;
    }
    this.#answered = true;
    const inHead = !this.#headDone;
    let code: number;
    try {
      code = this.#parser.execute(chunk);
    } catch (error) {
      // A handler threw from inside a parser callback: the parser's state is unknown now.
      this.#slices.length = 0;
      this.fail('SLUICE_ERR_UPSTREAM_INTERNAL', `response handling failed: ${String(error)}`);
      return;
    }
    // The exchange gave up while the head was being handled (a response phase answered itself).
    if (this.handler !== handler) {
      this.#slices.length = 0;
      return this.close();
    }
    if (inHead && !this.#headDone && code === OK) {
      // Counted as received, whitespace and line ends included.
      this.#headRead += chunk.length;
      if (this.#headRead > MAX_HEAD_BYTES) {
        this.#fault = `response head over ${MAX_HEAD_BYTES} bytes`;
        code = -1;
      }
    }
    if (code === OK) return this.#deliver(false);
    if (code === PAUSED) {
      // Paused only at the end of a final response.
      if (this.#parser.consumed() < chunk.length) {
        this.#slices.length = 0;
        return this.fail('SLUICE_ERR_UPSTREAM_BAD_RESPONSE', 'bytes after the end of the response');
      }
      return this.#deliver(true);
    }
    if (code === PAUSED_UPGRADE) return this.#upgrade(chunk.subarray(this.#parser.consumed()));
    this.#slices.length = 0;
    this.fail('SLUICE_ERR_UPSTREAM_BAD_RESPONSE', this.#fault !== '' ? this.#fault : `invalid response (${this.#parser.reason()})`);
  }

  /** Hands the slices of the read over; when `complete`, the last one goes with the end. */
  #deliver(complete: boolean): void {
    const slices = this.#slices;
    const count = slices.length;
    const handler = this.handler!;
    const last = complete && count > 0 ? slices[count - 1]! : null;
    const through = last === null ? count : count - 1;
    for (let i = 0; i < through; i++) {
      handler.onResponseData(slices[i]!);
      if (this.handler !== handler) break;
    }
    slices.length = 0;
    if (!complete || this.handler !== handler) return;
    this.handler = null;
    this.#release();
    handler.onResponseEnd(last);
  }

  /** After a complete response: back to the pool, or closed. */
  #release(): void {
    const reusable = this.#keepAlive && this.#sent && this.state === BUSY;
    if (!reusable) return this.close();
    this.#parser.resume();
    this.state = IDLE;
    this.pool.release(this);
  }

  #upgrade(head: Buffer): void {
    const handler = this.handler!;
    this.handler = null;
    this.state = CLOSED;
    this.#parser.free();
    const socket = this.socket;
    socket.removeAllListeners('data');
    socket.removeAllListeners('end');
    socket.removeAllListeners('drain');
    socket.removeAllListeners('error');
    socket.removeAllListeners('close');
    this.pool.detached(this);
    handler.onUpgrade(this.#status, this.#raw, socket, head);
  }

  #onEnd(): void {
    if (this.state !== BUSY || this.handler === null) return this.close();
    if (this.#headDone) {
      // A close-delimited body ends here; any other unfinished body fails in finish().
      const code = this.#parser.finish();
      if ((code === OK || code === PAUSED) && this.#complete) {
        this.#keepAlive = false;
        return this.#deliver(true);
      }
      this.#slices.length = 0;
      return this.fail('SLUICE_ERR_UPSTREAM_TRUNCATED', 'the upstream closed the connection before the response was complete');
    }
    this.fail('ECONNRESET', this.#answered ? 'the upstream closed the connection inside the response head' : 'the upstream closed the connection before answering');
  }

  #onError(error: NodeJS.ErrnoException): void {
    if (this.handler === null) return this.close();
    this.fail(error.code ?? 'ECONNRESET', error.message);
  }

  #onClose(): void {
    const timers = this.pool.connector.wheel;
    if (this.connectTimer !== 0) timers.cancel(this.connectTimer);
    if (this.idleTimer !== 0) timers.cancel(this.idleTimer);
    this.connectTimer = 0;
    this.idleTimer = 0;
    if (this.handler !== null) this.fail('ECONNRESET', 'the upstream connection closed');
    this.close();
    this.#parser.free();
    this.pool.closed();
  }

  /** Arms (or moves) this connection's idle timer; called when it goes back to the pool. */
  armIdle(ms: number): void {
    const wheel = this.pool.connector.wheel;
    if (this.idleTimer === 0 || !wheel.reschedule(this.idleTimer, ms)) {
      this.idleTimer = wheel.schedule('upstream-keepalive-idle', ms, idleTimedOut, this);
    }
  }

  /** Arms the connect timer of a new connection. */
  armConnect(ms: number): void {
    this.connectTimer = this.pool.connector.wheel.schedule('upstream-connect-timeout', ms, connectTimedOut, this);
  }

  // ResponseEvents: called from inside llhttp_execute.

  onMessageBegin(): number {
    this.#raw = [];
    this.#field = '';
    this.#value = '';
    this.#inValue = false;
    this.#headBytes = 0;
    this.#status = 0;
    return 0;
  }

  #count(length: number): number {
    this.#headBytes += length;
    if (this.#headBytes <= MAX_HEAD_BYTES) return 0;
    this.#fault = `response head over ${MAX_HEAD_BYTES} bytes`;
    return -1;
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
    const last = value.charCodeAt(value.length - 1);
    this.#raw.push(this.#field, last === 0x20 || last === 0x09 ? value.trimEnd() : value);
    this.#value = '';
    this.#field = '';
    this.#inValue = false;
  }

  onHeadersComplete(status: number, major: number, _minor: number, upgrade: boolean): number {
    if (this.#inValue || this.#field !== '') this.#pushHeader();
    this.#status = status;
    if (major !== 1) {
      this.#fault = `HTTP/${major} response`;
      return -1;
    }
    const handler = this.handler;
    if (handler === null) return -1;
    if (status < 200) {
      if (status === 101) {
        if (!this.#upgradeAsked || !upgrade) {
          this.#fault = '101 to a request that asked for no upgrade';
          return -1;
        }
        return SKIP_UPGRADE;
      }
      if (status !== 100) handler.onInformational(status, this.#raw);
      return SKIP_BODY;
    }
    const raw = this.#raw;
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i]!;
      if (name.length === 17 && name.toLowerCase() === 'transfer-encoding' && raw[i + 1]!.trim().toLowerCase() !== 'chunked') {
        this.#fault = `unsupported Transfer-Encoding "${raw[i + 1]!}"`;
        return -1;
      }
    }
    this.#headDone = true;
    handler.onResponseHead(status, raw);
    // The head handler may have given up on the exchange (a response phase failed).
    if (this.handler === null) return -1;
    return this.#method === 'HEAD' ? SKIP_BODY : 0;
  }

  onBody(chunk: Buffer): number {
    this.#slices.push(chunk);
    return 0;
  }

  onMessageComplete(): number {
    // An interim (1xx) response: the final one follows on the same connection.
    if (this.#status < 200 && this.#status !== 101) return 0;
    this.#complete = true;
    this.#keepAlive = this.#parser.keepAlive();
    return this.#status === 101 ? 0 : PAUSED;
  }
}
