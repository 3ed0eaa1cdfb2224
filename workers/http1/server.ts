// The proxy listener of a worker thread: a net.Server whose connections speak HTTP/1.1 through
// llhttp (connection.ts). Each worker listens on the shared port itself (reusePort). The TLS
// listener (workers/tls/listener.ts) hands its sockets, once their handshake is done, to `adopt`,
// so plain and TLS connections are one set for drain and shutdown. With --h2c a connection that
// opens with the HTTP/2 preface is handed to the worker's HTTP/2 sessions instead.
import { createServer, type ListenOptions, type Server, type Socket } from 'node:net';
import { DEFAULT_LISTENER_LIMITS, type ListenerLimits } from '../../runtime/protocol/listener-limits.ts';
import { sniffPreface } from '../http2/preface.ts';
import { Http1Connection, type ConnectionHooks } from './connection.ts';

export class Http1Server {
  readonly net: Server;
  readonly #connections = new Set<Http1Connection>();
  readonly #onConnection: (socket: Socket) => void;
  readonly #limits: ListenerLimits;
  /** Set by drain(): called once the last connection has closed. */
  #onDrained: (() => void) | null = null;
  /** With --h2c: takes the connections that open with the HTTP/2 preface (workers/http2). */
  #h2c: ((socket: Socket) => void) | null = null;

  /** `onConnection` runs first for every accepted socket (counters, idle timers). */
  constructor(hooks: ConnectionHooks, onConnection: (socket: Socket) => void, limits: ListenerLimits = DEFAULT_LISTENER_LIMITS) {
    // allowHalfOpen: a client that shuts its side after a request still gets the response.
    this.#onConnection = onConnection;
    this.#limits = limits;
    this.net = createServer({ allowHalfOpen: true, noDelay: true }, (socket) => {
      const h2c = this.#h2c;
      if (h2c === null) return void this.adopt(socket, hooks);
      // Counted and timed (idle timeout) from the start, whichever protocol it turns out to speak.
      onConnection(socket);
      sniffPreface(socket, (h2) => {
        if (h2) return h2c(socket);
        this.#serve(socket, hooks);
        socket.resume();
      });
    });
    // nginx's worker_connections: beyond it a new connection is closed at once, unanswered (the
    // client sees the close; every worker has its own count).
    if (limits.maxConnections > 0) this.net.maxConnections = limits.maxConnections;
  }

  /**
   * Serves HTTP/1.1 on `socket` (a plain socket from this listener, or a TLS socket whose handshake
   * is done) with `hooks` (the TLS listener's handler knows the request came over TLS).
   */
  adopt(socket: Socket, hooks: ConnectionHooks): Http1Connection {
    this.#onConnection(socket);
    return this.#serve(socket, hooks);
  }

  /** h2c with prior knowledge: a connection opening with the HTTP/2 preface goes to `adopt`. */
  speakH2c(adopt: (socket: Socket) => void): void {
    this.#h2c = adopt;
  }

  #serve(socket: Socket, hooks: ConnectionHooks): Http1Connection {
    const connection = new Http1Connection(socket, hooks, this.#limits);
    this.#connections.add(connection);
    // Accepted in the same turn as drain() closed the listener: it is a lame duck from birth.
    if (this.#onDrained !== null) connection.lameDuck();
    socket.once('close', () => {
      this.#connections.delete(connection);
      if (this.#connections.size === 0 && this.#onDrained !== null) this.#onDrained();
    });
    return connection;
  }

  listen(options: ListenOptions, ready: () => void): void {
    this.net.listen(options, ready);
  }

  /** Stops accepting; open connections are left to finish (see closeIdleConnections). */
  close(): void {
    if (this.net.listening) this.net.close();
  }

  /**
   * Lame duck: stops accepting, and every response from now on says `Connection: close` and ends
   * its connection. Idle keep-alive connections stay open until closeIdleConnections (the owner
   * calls it after a short grace), since a client may have sent its next request on one already.
   * `onDrained` runs once, when no connection is left (at once if there is none).
   */
  drain(onDrained: () => void): void {
    if (this.#onDrained !== null) return;
    let called = false;
    this.#onDrained = () => {
      if (called) return;
      called = true;
      onDrained();
    };
    this.close();
    for (const connection of this.#connections) connection.lameDuck();
    if (this.#connections.size === 0) this.#onDrained();
  }

  get connectionCount(): number {
    return this.#connections.size;
  }

  /** Closes every connection with no request in progress; the others close after their response. */
  closeIdleConnections(): void {
    for (const connection of this.#connections) connection.closeIfIdle();
  }

  /** Closes every connection, busy or not (shutdown, tests). */
  closeAllConnections(): void {
    for (const connection of this.#connections) connection.socket.destroy();
  }
}
