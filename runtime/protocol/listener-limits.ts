// Limits of the proxy listener on the wire (workers/http1), set by CLI options on the primary and
// passed to every worker in its boot data. Both threads import this file; defaults are nginx's
// (docs/edge.md lists each limit with its status code and its nginx / Envoy counterpart).

/** What happens to a request header whose name holds an underscore (nginx ignore_invalid_headers). */
export type UnderscoreHeaders = 'drop' | 'reject' | 'allow';

export interface ListenerLimits {
  /** Request line in bytes (method, target, version): above it 414 (nginx large_client_header_buffers 8k). */
  maxRequestLineBytes: number;
  /** Whole request head in bytes as received, whitespace included: above it 431. */
  maxHeadBytes: number;
  /** Header fields in one request head: above it 431 (Envoy max_headers_count is 100). */
  maxHeaderFields: number;
  /** Requests served on one connection; the last says `Connection: close` (nginx keepalive_requests). */
  keepaliveRequests: number;
  /** Request body in bytes, 0 = unlimited (nginx client_max_body_size; Kong sets 0): above it 413. */
  maxBodyBytes: number;
  /** Open client connections per worker, 0 = unlimited (nginx worker_connections). */
  maxConnections: number;
  underscoreHeaders: UnderscoreHeaders;
}

export const DEFAULT_LISTENER_LIMITS: Readonly<ListenerLimits> = Object.freeze({
  maxRequestLineBytes: 8 * 1024,
  maxHeadBytes: 16 * 1024,
  maxHeaderFields: 100,
  keepaliveRequests: 1000,
  maxBodyBytes: 0,
  maxConnections: 0,
  underscoreHeaders: 'drop',
});
