// The proxy listener of a worker thread: a net.Server whose connections speak HTTP/1.1 through
// llhttp (connection.ts). Each worker listens on the shared port itself (reusePort).
import { createServer, type ListenOptions, type Server, type Socket } from 'node:net';
import { DEFAULT_LISTENER_LIMITS, type ListenerLimits } from '../../runtime/protocol/listener-limits.ts';
import { Http1Connection, type ConnectionHooks } from './connection.ts';

export class Http1Server {
  readonly net: Server;
  readonly #connections = new Set<Http1Connection>();

  /** `onConnection` runs first for every accepted socket (counters, idle timers). */
  constructor(hooks: ConnectionHooks, onConnection: (socket: Socket) => void, limits: ListenerLimits = DEFAULT_LISTENER_LIMITS) {
    // allowHalfOpen: a client that shuts its side after a request still gets the response.
    this.net = createServer({ allowHalfOpen: true, noDelay: true }, (socket) => {
      onConnection(socket);
      const connection = new Http1Connection(socket, hooks, limits);
      this.#connections.add(connection);
      socket.once('close', () => this.#connections.delete(connection));
    });
    // nginx's worker_connections: beyond it a new connection is closed at once, unanswered (the
    // client sees the close; every worker has its own count).
    if (limits.maxConnections > 0) this.net.maxConnections = limits.maxConnections;
  }

  listen(options: ListenOptions, ready: () => void): void {
    this.net.listen(options, ready);
  }

  /** Stops accepting; open connections are left to finish (see closeIdleConnections). */
  close(): void {
    this.net.close();
  }

  /** Closes every connection with no request in progress. */
  closeIdleConnections(): void {
    for (const connection of this.#connections) if (connection.idle()) connection.socket.destroy();
  }

  /** Closes every connection, busy or not (shutdown, tests). */
  closeAllConnections(): void {
    for (const connection of this.#connections) connection.socket.destroy();
  }
}
