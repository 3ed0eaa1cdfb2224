// What the proxy (worker thread) needs of a client's request and of the response it writes,
// whichever protocol carried them: HTTP/1.x (workers/http1: Http1Request, Http1Response) or an
// HTTP/2 stream (workers/http2: H2Request, H2Response). Routing, plugins and the upstream
// exchange see only these shapes.
import type { IncomingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';

export interface ClientRequest {
  readonly method: string;
  /** The origin-form target (path and query). */
  readonly url: string;
  /** "1.0", "1.1" or "2.0". */
  readonly httpVersion: string;
  /** [name, value, ...] as forwarded: no HTTP/2 pseudo-headers (`:authority` is the Host field). */
  readonly rawHeaders: string[];
  readonly headers: IncomingHttpHeaders;
  /**
   * The client's connection (for an HTTP/2 stream, the session's socket, shared by its streams):
   * its address, byte counters and timers. Only HTTP/1.x code may write to it.
   */
  readonly socket: Socket;
  /** The body stream, or null when the request has none. */
  body: Readable | null;
  /** Every byte of the request has arrived. */
  complete: boolean;
  /** A WebSocket handshake the connection can hand over on a 101 (HTTP/1.1 only). */
  upgrade: boolean;
  /** Body bytes received so far (counted as they arrive, read or not). */
  bodyReceived: number;
  /**
   * Each body chunk is this request's alone once read (HTTP/1.x: a view of the connection's own
   * socket read), so whoever consumed it may free its memory (body-memory.ts). HTTP/2 chunks come
   * from node:http2, which may still hold them.
   */
  readonly ownsBodyChunks: boolean;
  /**
   * A limit a plugin set on this body (request-size-limiting): once `bodyReceived` passes it, the
   * listener answers `bodyLimitAnswer` (an HTTP/1.1 response; HTTP/2 sends its status) and stops
   * reading the body. Infinity: no limit beyond the listener's.
   */
  bodyLimit: number;
  bodyLimitAnswer: string;
  /** Every value the client sent for `name` (lower-case), repeats kept apart. */
  headerValues(name: string): string[];
}

/** Called when the client can take more after a write returned false. */
export interface DrainWaiter {
  onDrain(): void;
}

export interface ClientResponse {
  readonly req: ClientRequest;
  statusCode: number;
  /** The head was built (writeHead ran): status and headers can no longer change. */
  headersSent: boolean;
  /** end() ran: every byte is handed to the transport. */
  writableFinished: boolean;
  /** destroy() ran, or the client went away before end(). */
  destroyed: boolean;
  /** The connection may take another request after this response (HTTP/1.x; no effect on HTTP/2). */
  keepAlive: boolean;
  /** Runs once, when the response ended or was cut. */
  onClose: ((res: ClientResponse) => void) | null;
  drainWaiter: DrainWaiter | null;
  setHeader(name: string, value: string | number | readonly string[]): this;
  hasHeader(name: string): boolean;
  /** The headers of the head as sent, by lower-case name (logging plugins). */
  sentHeaders(): Record<string, string | string[]>;
  /** Builds the head from the headers set so far plus `flat` ([name, value, ...]). */
  writeHead(statusCode: number, flat?: readonly string[]): this;
  /**
   * Writes a body chunk; false when the client's side is full (see drainWaiter). `finished` runs
   * once the transport no longer reads `chunk`'s memory, so its owner may free it; a transport that
   * cannot tell (HTTP/2) never calls it, and the GC frees the chunk.
   */
  write(chunk: Buffer | string, finished?: () => void): boolean;
  end(chunk?: Buffer | string): void;
  /** Cuts the response: the client sees it stop short. */
  destroy(): void;
  /** Answers a WebSocket handshake with a 101 and hands the socket over (Http1Response); null when not possible. */
  switchProtocols(head: string): Buffer | null;
  /** The tunnel that took the socket over has ended. */
  tunnelEnded(): void;
}
