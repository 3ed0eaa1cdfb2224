// HTTP/2 client connections of a worker (worker thread): h2c with prior knowledge from the plain
// port (preface.ts sniffs it) and `h2` chosen by ALPN on the TLS port. One node:http2 server that
// never listens turns each adopted socket into a session (nghttp2: framing, HPACK, flow control,
// SETTINGS); every stream becomes an H2Request / H2Response pair handed to the same handler as
// HTTP/1.1 requests (router, plugins, the HTTP/1.1 upstream connector).
//
// Limits:
// - SETTINGS_MAX_CONCURRENT_STREAMS = `maxConcurrentStreams`: a client that opens more at once
//   has the extra streams reset by nghttp2 (RFC 9113 §5.1.2); well-behaved clients queue them.
// - Header list: `maxHeadBytes` (SETTINGS_MAX_HEADER_LIST_SIZE) and `maxHeaderFields` pairs, as
//   on HTTP/1.1; past them the stream is refused.
// - Rapid reset (CVE-2023-44487): streams the client resets before their response ended are
//   counted per connection over RESET_WINDOW_MS; past `maxResets` the connection gets GOAWAY
//   ENHANCE_YOUR_CALM and is closed. Counted in `rapidResetClosed`.
// - Idle: the session's socket is a client connection like any other (client-timeouts.ts): with
//   no stream in progress for `--client-idle-timeout` it gets GOAWAY, then is closed (at the
//   latest GOAWAY_GRACE_MS later, should the client not read it).
// - Requests per connection: after `keepaliveRequests` streams (nginx's keepalive_requests, which
//   applies to HTTP/2 too) the session gets GOAWAY; its open streams finish, the client goes on
//   with a new connection.
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { constants, createServer, type Http2Server, type ServerHttp2Session, type ServerHttp2Stream } from 'node:http2';
import { RESET_WINDOW_MS, type Http2Settings } from '../../runtime/protocol/http2-settings.ts';
import type { Logger } from '../../runtime/protocol/log.ts';
import type { ListenerLimits } from '../../runtime/protocol/listener-limits.ts';
import type { ClientRequest, ClientResponse } from '../proxy/client.ts';
import { kCloseIdle } from '../proxy/client-timeouts.ts';
import type { TimerWheel } from '../timers/wheel.ts';
import { H2Body } from './body.ts';
import { H2Request } from './request.ts';
import { H2Response, type H2ResponseEnv } from './response.ts';

/** Where a session's requests came in (X-Forwarded-Proto / -Port), as the listener says. */
export type H2Handler<L> = (req: ClientRequest, res: ClientResponse, listener: L) => void;

/** This worker's HTTP/2 figures, read by its metrics. */
export class H2Stats {
  sessions = 0;
  active = 0;
  streams = 0;
  /** Streams the client reset before their response ended. */
  clientResets = 0;
  /** Connections closed by the rapid-reset defence. */
  rapidResetClosed = 0;
}

interface SessionState<L> {
  readonly socket: Socket;
  readonly listener: L;
  resets: number;
  windowStart: number;
  /** Streams opened on this session (`keepaliveRequests`). */
  streams: number;
}

/** How long an idle session's GOAWAY may take to leave before the socket is cut. */
export const GOAWAY_GRACE_MS = 1000;


export class H2Sessions<L> {
  readonly stats = new H2Stats();
  readonly #server: Http2Server;
  readonly #handler: H2Handler<L>;
  readonly #limits: ListenerLimits;
  readonly #settings: Http2Settings;
  readonly #env: H2ResponseEnv;
  readonly #log: Logger;
  readonly #sessions = new Set<ServerHttp2Session>();
  /** The socket being adopted while node:http2 creates its session (synchronously). */
  #adopting: SessionState<L> | null = null;
  #draining = false;
  #onDrained: (() => void) | null = null;

  constructor(handler: H2Handler<L>, limits: ListenerLimits, settings: Http2Settings, wheel: TimerWheel, sendMs: number, log: Logger) {
    this.#handler = handler;
    this.#limits = limits;
    this.#settings = settings;
    this.#env = { wheel, sendMs };
    this.#log = log;
    this.#server = createServer({
      settings: { maxConcurrentStreams: settings.maxConcurrentStreams, maxHeaderListSize: limits.maxHeadBytes, enablePush: false },
      // Pseudo-headers count too; past this nghttp2 refuses the stream (Node's default is 128).
      maxHeaderListPairs: limits.maxHeaderFields + 4,
      // Node's own backstops (streams refused or frames invalid before the session is destroyed)
      // stay; the rapid-reset count below is the defence this gateway states and tests.
    });
    this.#server.on('session', (session: ServerHttp2Session) => this.#onSession(session));
  }

  /**
   * Speaks HTTP/2 on `socket` (its preface may already be in its read buffer), over `transport`
   * when the bytes must go through another stream (a TLS socket: tls-bridge.ts).
   */
  adopt(socket: Socket, listener: L, transport: Socket | Duplex = socket): void {
    this.#adopting = { socket, listener, resets: 0, windowStart: 0, streams: 0 };
    try {
      this.#server.emit('connection', transport);
    } finally {
      this.#adopting = null;
    }
  }

  get size(): number {
    return this.#sessions.size;
  }

  #onSession(session: ServerHttp2Session): void {
    const state = this.#adopting;
    if (state === null) return void session.destroy();
    this.#sessions.add(session);
    this.stats.sessions++;
    this.stats.active++;
    session.on('error', () => {});
    // Per session, not the server's 'stream': a stream the client reset in the same read as its
    // HEADERS is already closed here, and a closed stream no longer names its session.
    session.on('stream', (stream: ServerHttp2Stream, _headers: unknown, _flags: number, raw: string[]) => this.#onStream(session, state, stream, raw));
    session.once('close', () => {
      this.#sessions.delete(session);
      this.stats.active--;
      this.#checkDrained();
    });
    const wheel = this.#env.wheel;
    (state.socket as Socket & { [kCloseIdle]?: () => void })[kCloseIdle] = () => {
      session.close();
      wheel.schedule('h2-goaway-grace', GOAWAY_GRACE_MS, destroySocket, state.socket);
    };
    if (this.#draining) session.close();
  }

  #onStream(session: ServerHttp2Session, state: SessionState<L>, stream: ServerHttp2Stream, raw: string[]): void {
    this.stats.streams++;
    if (++state.streams === this.#limits.keepaliveRequests) session.close();
    stream.on('error', () => {});
    if (stream.closed || stream.destroyed) {
      // Reset by the client before it could be handled (HEADERS and RST_STREAM in one read).
      if (stream.rstCode !== constants.NGHTTP2_NO_ERROR) this.#clientReset(session, state);
      return;
    }
    const req = new H2Request(raw, state.socket, this.#limits);
    const res = new H2Response(stream, req, this.#env);
    stream.on('drain', () => res.drained());
    stream.once('close', () => {
      // A stream the client reset before its response ended (RST_STREAM, or the connection gone).
      if (!res.writableFinished && !res.resetByUs && stream.rstCode !== constants.NGHTTP2_NO_ERROR) this.#clientReset(session, state);
      res.closed();
    });
    if (req.refuse !== 0) {
      refuse(res, req.refuse);
      // A body may be on its way: RST_STREAM NO_ERROR after the answer asks the client to stop
      // sending it (RFC 9113 §8.1); Node sends it once the answer is out.
      if (!stream.endAfterHeaders && !stream.closed) stream.close(constants.NGHTTP2_NO_ERROR);
      return;
    }
    if (stream.endAfterHeaders) {
      req.complete = true;
    } else {
      req.body = new H2Body(stream, req, this.#limits.maxBodyBytes, res);
      if (req.headers.expect?.toLowerCase() === '100-continue') stream.additionalHeaders({ ':status': 100 });
    }
    this.#handler(req, res, state.listener);
  }

  #clientReset(session: ServerHttp2Session, state: SessionState<L>): void {
    this.stats.clientResets++;
    const now = performance.now();
    if (now - state.windowStart > RESET_WINDOW_MS) {
      state.windowStart = now;
      state.resets = 0;
    }
    if (++state.resets <= this.#settings.maxResets || session.destroyed) return;
    this.stats.rapidResetClosed++;
    this.#log.warn({ client: state.socket.remoteAddress, resets: state.resets, window_ms: RESET_WINDOW_MS }, 'HTTP/2 client reset too many streams; connection closed (GOAWAY ENHANCE_YOUR_CALM)');
    // With an error, not without: Node sends the code given in the GOAWAY only then (else NO_ERROR).
    session.destroy(new Error('HTTP/2 rapid reset'), constants.NGHTTP2_ENHANCE_YOUR_CALM);
  }

  /**
   * Lame duck: every session gets GOAWAY (new ones too) and closes once its open streams are done;
   * `onDrained` runs once, when none is left (at once if there is none).
   */
  drain(onDrained: () => void): void {
    this.#draining = true;
    this.#onDrained = onDrained;
    for (const session of this.#sessions) session.close();
    this.#checkDrained();
  }

  #checkDrained(): void {
    const onDrained = this.#onDrained;
    if (onDrained === null || this.#sessions.size !== 0) return;
    this.#onDrained = null;
    onDrained();
  }

  /** Closes every session now (shutdown, drain deadline). */
  closeAll(): void {
    for (const session of this.#sessions) session.destroy();
  }
}

function destroySocket(socket: Socket): void {
  socket.destroy();
}

/** A refusal before routing: a bare status, as the HTTP/1.1 listener answers (connection.ts). */
function refuse(res: H2Response, status: number): void {
  res.setHeader('content-length', 0);
  res.writeHead(status);
  res.end();
}
