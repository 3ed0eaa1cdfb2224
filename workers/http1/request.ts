// One client request on the proxy listener (worker thread), as the parser saw it. Plain fields,
// no stream unless the request has a body: most proxied requests have none, and node:http's
// IncomingMessage (a Readable per request) is much of what this listener exists to avoid.
import type { IncomingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import type { ClientRequest } from '../proxy/client.ts';

/** Names node:http keeps the first copy of when a client repeats them (the rest are joined). */
const SINGLE = new Set([
  'age', 'authorization', 'content-length', 'content-type', 'etag', 'expires', 'from', 'host', 'if-modified-since',
  'if-unmodified-since', 'last-modified', 'location', 'max-forwards', 'proxy-authorization', 'referer', 'retry-after',
  'server', 'user-agent',
]);

/** `headers` as node:http builds it from the raw list: lower-case names, duplicates merged. */
export function headerObject(raw: readonly string[]): IncomingHttpHeaders {
  // No prototype: a header named `constructor` or `__proto__` is just a header.
  const headers: Record<string, string | string[]> = Object.create(null) as Record<string, string | string[]>;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    const value = raw[i + 1]!;
    const seen = headers[name];
    if (seen === undefined) headers[name] = name === 'set-cookie' ? [value] : value;
    else if (name === 'set-cookie') (seen as string[]).push(value);
    else if (!SINGLE.has(name)) headers[name] = `${seen as string}${name === 'cookie' ? '; ' : ', '}${value}`;
  }
  return headers as IncomingHttpHeaders;
}

export class Http1Request implements ClientRequest {
  readonly method: string;
  readonly url: string;
  /** "1.1" or "1.0". */
  readonly httpVersion: string;
  /** [name, value, ...] as the client sent them. */
  readonly rawHeaders: string[];
  readonly headers: IncomingHttpHeaders;
  readonly socket: Socket;
  /** The body stream, or null when the request has none (set by the connection). */
  body: Readable | null = null;
  /** Every byte of the request (head and body) has arrived. */
  complete = false;
  /**
   * A WebSocket handshake (`Upgrade: websocket` with `Connection: upgrade`): the proxy may hand the
   * connection over to a tunnel once the upstream answers 101 (Http1Response.switchProtocols).
   */
  upgrade = false;
  /** Body bytes received so far (counted by the connection as they arrive, read or not). */
  bodyReceived = 0;
  /**
   * A limit a plugin set on this body (request-size-limiting): once `bodyReceived` passes it, the
   * connection sends `bodyLimitAnswer` (a whole response, head and body) and closes, since the rest
   * of the stream is never read. Infinity: no limit beyond the listener's.
   */
  bodyLimit = Infinity;
  bodyLimitAnswer = '';
  readonly ownsBodyChunks = true;

  constructor(method: string, url: string, httpVersion: string, rawHeaders: string[], socket: Socket) {
    this.method = method;
    this.url = url;
    this.httpVersion = httpVersion;
    this.rawHeaders = rawHeaders;
    this.headers = headerObject(rawHeaders);
    this.socket = socket;
  }

  /** Every value the client sent for `name` (lower-case), repeats kept apart. */
  headerValues(name: string): string[] {
    const raw = this.rawHeaders;
    const values: string[] = [];
    for (let i = 0; i < raw.length; i += 2) if (raw[i]!.length === name.length && raw[i]!.toLowerCase() === name) values.push(raw[i + 1]!);
    return values;
  }
}
