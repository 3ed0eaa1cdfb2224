// Kong's `headers` and `headers_upstream` settings (kong.conf): which headers the gateway adds to
// its answers and to upstream requests. Parsed on the primary from --headers / --headers-upstream,
// read by every worker (workers/proxy/gateway-headers.ts). Plain data; any thread.

export interface GatewayHeaderSettings {
  /** `Via: 1.1 sluice` on proxied responses (appended to the upstream's Via). */
  via: boolean;
  /** `Server: sluice/<version>` on the gateway's own answers (and on proxied ones without a Server). */
  server: boolean;
  /** `X-Kong-Proxy-Latency`: ms from the request's start to the answering try's send. */
  proxyLatency: boolean;
  /** `X-Kong-Upstream-Latency`: ms from that send to the upstream's response head. */
  upstreamLatency: boolean;
  /** `X-Kong-Response-Latency`: ms from the request's start to a gateway answer. */
  responseLatency: boolean;
  /** `X-Kong-Upstream-Status`: the upstream's status, on proxied responses. */
  upstreamStatus: boolean;
  /** `X-Kong-Request-Id` on responses (the log serializer's request.id). */
  requestId: boolean;
  /** `X-Kong-Request-Id` on upstream requests (headers_upstream). */
  upstreamRequestId: boolean;
  /** The Server header's value (Kong: kong/<version>); the primary sets sluice/<version>. */
  serverToken: string;
}

/** Names as Kong writes them (case-insensitive) and what each turns on. */
const RESPONSE_NAMES: Record<string, readonly Exclude<keyof GatewayHeaderSettings, 'serverToken'>[]> = {
  server_tokens: ['via', 'server'],
  latency_tokens: ['proxyLatency', 'upstreamLatency', 'responseLatency'],
  via: ['via'],
  server: ['server'],
  'x-kong-proxy-latency': ['proxyLatency'],
  'x-kong-upstream-latency': ['upstreamLatency'],
  'x-kong-response-latency': ['responseLatency'],
  'x-kong-upstream-status': ['upstreamStatus'],
  'x-kong-request-id': ['requestId'],
};

/** Kong's defaults: `headers = server_tokens, latency_tokens, X-Kong-Request-Id`, `headers_upstream = X-Kong-Request-Id`. */
export const DEFAULT_HEADERS = 'server_tokens, latency_tokens, X-Kong-Request-Id';
export const DEFAULT_HEADERS_UPSTREAM = 'X-Kong-Request-Id';

export const KONG_GATEWAY_HEADERS: GatewayHeaderSettings = parseGatewayHeaders(DEFAULT_HEADERS, DEFAULT_HEADERS_UPSTREAM);

/** Both lists as Kong reads them (comma-separated, `off` for none); throws naming the source and the bad entry. */
export function parseGatewayHeaders(headers: string, upstream: string, headersSource = '--headers', upstreamSource = '--headers-upstream'): GatewayHeaderSettings {
  const on: GatewayHeaderSettings = { via: false, server: false, proxyLatency: false, upstreamLatency: false, responseLatency: false, upstreamStatus: false, requestId: false, upstreamRequestId: false, serverToken: 'sluice' };
  for (const name of names(headers, headersSource)) {
    const keys = RESPONSE_NAMES[name];
    if (keys === undefined) throw new Error(`${headersSource}: unknown or unsupported header '${name}' (one of: off, ${Object.keys(RESPONSE_NAMES).join(', ')})`);
    for (const key of keys) on[key] = true;
  }
  for (const name of names(upstream, upstreamSource)) {
    if (name !== 'x-kong-request-id') throw new Error(`${upstreamSource}: unknown or unsupported header '${name}' (off or X-Kong-Request-Id)`);
    on.upstreamRequestId = true;
  }
  return on;
}

function names(list: string, source: string): string[] {
  const out = list.split(',').map((name) => name.trim().toLowerCase()).filter((name) => name !== '');
  if (out.includes('off')) {
    if (out.length > 1) throw new Error(`${source}: 'off' cannot be combined with other headers: ${list}`);
    return [];
  }
  return out;
}
