// The proxy listener of a worker thread: a net.Server whose connections speak HTTP/1.1 through
// llhttp (connection.ts). Each worker listens on the shared port itself (reusePort).
import { createServer, type ListenOptions, type Server, type Socket } from 'node:net';
import { Http1Connection, type ConnectionHooks } from './connection.ts';

export class Http1Server {
  readonly net: Server;
  readonly #connections = new Set<Http1Connection>();

  /** `onConnection` runs first for every accepted socket (counters, idle timers). */
  constructor(hooks: ConnectionHooks, onConnection: (socket: Socket) => void) {
    // allowHalfOpen: a client that shuts its side after a request still gets the response.
    this.net = createServer({ allowHalfOpen: true, noDelay: true }, (socket) => {
      onConnection(socket);
      const connection = new Http1Connection(socket, hooks);
      this.#connections.add(connection);
      socket.once('close', () => this.#connections.delete(connection));
    });
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
