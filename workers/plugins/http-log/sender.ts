// Runs on a worker thread: how http-log sends one batch to its log server, with undici (the
// gateway's own outbound HTTP client; the proxied data path has its own connector).
//
// One undici Pool per log server per worker, owned by the queue that feeds it (queue.ts): the
// worker that produced the entries sends them, so an entry never crosses a thread (a MessagePort
// hop to the primary would clone every entry and make the primary's event loop, which also
// serves the Admin API and config reloads, carry the whole node's log traffic). Each worker keeps
// its own keep-alive connection(s) to the log server: with concurrency_limit 1 one batch is in
// flight per queue, so one connection; with -1 up to CONCURRENT_CONNECTIONS.
//
// As Kong's handler: Content-Type is content_type; user info in the URL becomes
// `Authorization: Basic base64(userinfo)`; config.headers never override Host, Content-Type,
// Content-Length or that Authorization; the URL's query string is not sent (Kong builds the request
// URL from scheme, host, port and path only); TLS certificates are not verified (Kong:
// ssl_verify = false); a status of 300 or more is a failure (retried by the queue).
import { Pool } from 'undici';

/** Connections per log server per worker when concurrency_limit is -1. */
const CONCURRENT_CONNECTIONS = 16;
/** Of a failed answer's body, this much goes into the error message. */
const ERROR_BODY_BYTES = 1024;

export interface Endpoint {
  origin: string;
  /** Path only, as Kong sends it. */
  path: string;
  /** `Basic <base64(userinfo)>`, or null. */
  authorization: string | null;
  hostPort: string;
}

export function parseEndpoint(httpEndpoint: string): Endpoint {
  const url = new URL(httpEndpoint);
  const userinfo = url.username === '' && url.password === '' ? null : url.password === '' ? url.username : `${url.username}:${url.password}`;
  return {
    origin: url.origin,
    path: url.pathname === '' ? '/' : url.pathname,
    authorization: userinfo === null ? null : `Basic ${Buffer.from(userinfo).toString('base64')}`,
    hostPort: url.host,
  };
}

/** One log server's connections on this worker. */
export class LogServer {
  readonly endpoint: Endpoint;
  readonly #pool: Pool;

  constructor(endpoint: Endpoint, timeoutMs: number, keepaliveMs: number, concurrent: boolean) {
    this.endpoint = endpoint;
    const timeout = Math.max(1, Math.round(timeoutMs));
    const keepalive = Math.max(1, Math.round(keepaliveMs));
    this.#pool = new Pool(endpoint.origin, {
      connections: concurrent ? CONCURRENT_CONNECTIONS : 1,
      keepAliveTimeout: keepalive,
      keepAliveMaxTimeout: keepalive,
      headersTimeout: timeout,
      bodyTimeout: timeout,
      connect: { timeout, rejectUnauthorized: false },
    });
  }

  /** Sends one payload; rejects unless the server answered below 300. */
  async send(method: string, headers: Record<string, string>, payload: string): Promise<void> {
    const endpoint = this.endpoint;
    const { statusCode, body } = await this.#pool.request({ origin: endpoint.origin, path: endpoint.path, method: method as 'POST', headers, body: payload });
    if (statusCode < 300) {
      // Always read the answer, so the connection can carry the next batch.
      await body.dump();
      return;
    }
    let text = '';
    for await (const chunk of body) {
      if (text.length < ERROR_BODY_BYTES) text += (chunk as Buffer).toString('utf8', 0, ERROR_BODY_BYTES - text.length);
    }
    throw new Error(`request to ${endpoint.hostPort} returned status code ${statusCode} and body ${text}`);
  }

  close(): void {
    this.#pool.close().catch(() => {});
  }
}
