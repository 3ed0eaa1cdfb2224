// Its own process, started by the bench (see floor.ts). A MEASURING STICK, NOT A PROXY: it shows
// how many requests per second one Node.js process can move through a socket-to-socket relay on
// this machine when it does almost no HTTP work, so the bench can say where the floor for any
// Node proxy lies. It must never be used for real traffic. What it does, and all it does:
// - finds the end of a request head (\r\n\r\n); only GET and HEAD without a body are served,
//   anything else (a body, or another method) gets 501 and the connection is closed;
// - forwards the head bytes unchanged (no header is added, removed or rewritten, not even Host
//   or Connection) over a pool of raw keep-alive net sockets to the upstream;
// - relays the upstream's response bytes unchanged, framed by its Content-Length only: a
//   response without one gets 502 (no chunked decoding, no close-delimited bodies).
// No undici, no llhttp, no header parsing beyond three regular expressions, no timeouts, no
// HTTP/1.0 keep-alive rules, no pipelining beyond queueing the bytes of the next request.
// Usage: node bench/harness/targets/floor-raw.ts --port P --upstream http://127.0.0.1:U
// Prints {"ready":true,...} once listening.
import { connect, createServer, type Socket } from 'node:net';
import { parseArgs } from 'node:util';
import { exitWithParent } from '../proc.ts';

const { values } = parseArgs({ options: { port: { type: 'string' }, upstream: { type: 'string' } } });
const port = Number(values.port);
let upstreamHost = '';
let upstreamPort = 0;
try {
  const url = new URL(values.upstream ?? '');
  upstreamHost = url.hostname;
  upstreamPort = Number(url.port || 80);
} catch {
  // Reported with the usage line below.
}
if (!Number.isInteger(port) || port <= 0 || upstreamHost === '' || !Number.isInteger(upstreamPort) || upstreamPort <= 0) {
  process.stderr.write('usage: floor-raw.ts --port P --upstream http://HOST:PORT\n');
  process.exit(2);
}

/** node:http's default limit for a request head; past it the client is cut off. */
const MAX_HEAD = 16 * 1024;
/** As many upstream connections as the undici Pool of the llhttp floor may open. */
const MAX_UPSTREAM = 128;
const HEAD_END = Buffer.from('\r\n\r\n');

const NOT_IMPLEMENTED = 'HTTP/1.1 501 Not Implemented\r\ncontent-length: 0\r\nconnection: close\r\n\r\n';
const BAD_GATEWAY = 'HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\nconnection: close\r\n\r\n';

// A request carries a body when it names a non-zero Content-Length or any Transfer-Encoding.
const REQUEST_BODY = /\r\n(?:transfer-encoding:|content-length:[ \t]*0*[1-9])/i;
const CONNECTION_CLOSE = /\r\nconnection:[^\r\n]*\bclose\b/i;
const CONTENT_LENGTH = /\r\ncontent-length:[ \t]*(\d+)/i;

/** One client connection; at most one request in flight, later bytes wait in `pending`. */
class Client {
  readonly socket: Socket;
  pending: Buffer | null = null;
  /** The request in flight (queued for an upstream socket or being answered). */
  current: Exchange | null = null;
  /** Close after the response in flight (the client asked for it, or its head was refused). */
  closing = false;

  constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.pending = this.pending === null ? chunk : Buffer.concat([this.pending, chunk]);
      if (this.current === null) this.next();
    });
    socket.on('close', () => {
      this.closing = true;
      const exchange = this.current;
      this.current = null;
      if (exchange !== null) exchange.cancel();
    });
    // Every socket error is followed by 'close'.
    socket.on('error', () => {});
  }

  /** Starts the next complete request head in `pending`, if any. */
  next(): void {
    const buf = this.pending;
    if (buf === null || this.closing) return;
    const end = buf.indexOf(HEAD_END);
    if (end === -1) {
      if (buf.length > MAX_HEAD) this.socket.destroy();
      return;
    }
    const headLength = end + 4;
    const head = headLength === buf.length ? buf : buf.subarray(0, headLength);
    this.pending = headLength === buf.length ? null : buf.subarray(headLength);
    const text = head.toString('latin1');
    const isHead = text.startsWith('HEAD ');
    if ((!isHead && !text.startsWith('GET ')) || REQUEST_BODY.test(text)) {
      // The body's framing is unknown to this relay: nothing after this head can be trusted.
      this.closing = true;
      this.socket.end(NOT_IMPLEMENTED, 'latin1');
      return;
    }
    if (CONNECTION_CLOSE.test(text)) this.closing = true;
    const exchange = new Exchange(this, head, isHead);
    this.current = exchange;
    pool.acquire(exchange);
  }

  /** The response in flight has been handed to the socket whole. */
  done(): void {
    this.current = null;
    if (this.closing) this.socket.end();
    else if (this.pending !== null) this.next();
  }
}

/** One request and its response, relayed by an upstream connection. */
class Exchange {
  readonly client: Client;
  readonly head: Buffer;
  readonly isHead: boolean;
  /** Set when the client went away; the pool skips it, an upstream relaying it is dropped. */
  cancelled = false;
  upstream: Upstream | null = null;

  constructor(client: Client, head: Buffer, isHead: boolean) {
    this.client = client;
    this.head = head;
    this.isHead = isHead;
  }

  cancel(): void {
    this.cancelled = true;
    // Its response would arrive with nobody to take it, and the socket's framing would be lost.
    this.upstream?.socket.destroy();
  }
}

/** One keep-alive connection to the upstream. */
class Upstream {
  readonly socket: Socket;
  exchange: Exchange | null = null;
  /** Response bytes gathered until the head is complete; null once it was. */
  headBuf: Buffer | null = null;
  /** Body bytes still to come, or -1 before the response head is complete. */
  remaining = -1;
  /** Some bytes of the response already reached the client (a failure can no longer be a 502). */
  sent = false;
  /** The upstream said Connection: close; do not reuse this socket. */
  lastOnSocket = false;

  constructor() {
    this.socket = connect({ host: upstreamHost, port: upstreamPort, noDelay: true });
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.socket.on('close', () => this.onClose());
    this.socket.on('error', () => {});
  }

  send(exchange: Exchange): void {
    this.exchange = exchange;
    exchange.upstream = this;
    this.headBuf = null;
    this.remaining = -1;
    this.sent = false;
    // Written before 'connect' on a new socket: net queues it until the connection is up.
    this.socket.write(exchange.head);
  }

  onData(chunk: Buffer): void {
    const exchange = this.exchange;
    // Bytes nobody asked for: the socket's framing is lost.
    if (exchange === null) return void this.socket.destroy();
    let out = chunk;
    if (this.remaining === -1) {
      const buf = this.headBuf === null ? chunk : Buffer.concat([this.headBuf, chunk]);
      const end = buf.indexOf(HEAD_END);
      if (end === -1) {
        if (buf.length > MAX_HEAD) this.fail();
        else this.headBuf = buf;
        return;
      }
      this.headBuf = null;
      const text = buf.toString('latin1', 0, end + 2);
      const status = Number(text.slice(9, 12));
      const length = CONTENT_LENGTH.exec(text)?.[1];
      let bodyLength: number;
      if (exchange.isHead || status === 204 || status === 304) bodyLength = 0;
      else if (length === undefined) return this.fail();
      else bodyLength = Number(length);
      this.lastOnSocket = CONNECTION_CLOSE.test(text);
      this.remaining = bodyLength - (buf.length - end - 4);
      out = buf;
    } else {
      this.remaining -= chunk.length;
    }
    // More than the Content-Length (a stray byte or a pipelining bug): the framing is lost.
    if (this.remaining < 0) return this.fail();
    const client = exchange.client;
    this.sent = true;
    if (!client.socket.write(out) && this.remaining > 0) {
      // Backpressure: stop reading the upstream until the client's socket drains.
      this.socket.pause();
      client.socket.once('drain', () => this.socket.resume());
    }
    if (this.remaining === 0) {
      this.exchange = null;
      exchange.upstream = null;
      if (this.lastOnSocket) this.socket.destroy();
      else pool.release(this);
      client.done();
    }
  }

  /** The response cannot be relayed: 502 if the client has seen nothing yet, else cut it off. */
  fail(): void {
    const exchange = this.exchange;
    this.exchange = null;
    this.socket.destroy();
    if (exchange === null || exchange.cancelled) return;
    exchange.upstream = null;
    const client = exchange.client;
    client.current = null;
    client.closing = true;
    if (this.sent) client.socket.destroy();
    else client.socket.end(BAD_GATEWAY, 'latin1');
  }

  onClose(): void {
    pool.closed(this);
    if (this.exchange !== null) this.fail();
  }
}

/** Idle upstream sockets, reused last-in first-out, and requests waiting for one. */
class Pool {
  readonly idle: Upstream[] = [];
  readonly waiting: Exchange[] = [];
  open = 0;

  acquire(exchange: Exchange): void {
    const idle = this.idle.pop();
    if (idle !== undefined) return idle.send(exchange);
    if (this.open < MAX_UPSTREAM) {
      this.open += 1;
      return new Upstream().send(exchange);
    }
    this.waiting.push(exchange);
  }

  release(upstream: Upstream): void {
    let next = this.waiting.shift();
    while (next !== undefined && next.cancelled) next = this.waiting.shift();
    if (next !== undefined) upstream.send(next);
    else this.idle.push(upstream);
  }

  closed(upstream: Upstream): void {
    this.open -= 1;
    const at = this.idle.indexOf(upstream);
    if (at !== -1) this.idle.splice(at, 1);
    // A waiting request gets the connection slot that just freed up.
    let next = this.waiting.shift();
    while (next !== undefined && next.cancelled) next = this.waiting.shift();
    if (next !== undefined) this.acquire(next);
  }
}

const pool = new Pool();

const server = createServer({ noDelay: true }, (socket) => new Client(socket));
server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ ready: true, port, upstream: `${upstreamHost}:${upstreamPort}` })}\n`);
});
process.on('SIGTERM', () => process.exit(0));
exitWithParent();
