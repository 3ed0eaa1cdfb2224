// Runs on a worker thread: one request as Kong's basic log serializer (kong.log.serialize, Kong 3.x
// kong/pdk/log.lua) describes it — the entry every logging plugin (http-log, file-log, tcp-log,
// udp-log, syslog) sends. One module, so the five agree on the shape.
//
// Fields as Kong's: request {id, uri, url, querystring, method, headers, size}, upstream_uri,
// upstream_status, response {status, headers, size}, latencies {kong, proxy, request, receive},
// tries, authenticated_entity, route, service, consumer, client_ip, started_at, source, workspace,
// workspace_name. `authorization` and `proxy-authorization` request headers are "REDACTED" as Kong
// does. Kong's `request.tls` appears with TLS listeners (none yet), `trace_id`/`correlation_id`
// with the tracing plugins.
//
// Latencies as Kong's: proxy is the upstream's time to its response head (KONG_WAITING_TIME);
// receive is from that head to the end of the response (KONG_RECEIVE_TIME: the body relayed);
// kong is the rest of the request (plugins, routing, balancing, and the failed tries before the
// one that answered). `tries` is each try at the upstream as the proxy recorded it (ctx.tries:
// address, port, balancer latency, and Kong's state "failed" with its status for a failed one);
// [] for a routed request that never reached the balancer (a plugin answered), absent without a
// route, as Kong's balancer_data. `request.id` is Kong's $kong_request_id: 32 random hex digits
// per request (nginx's $request_id), made on first use (proxy/gateway-headers.ts).
import { performance } from 'node:perf_hooks';
import type { RequestContext, UpstreamTry } from '../proxy/context.ts';
import { requestId } from '../proxy/gateway-headers.ts';

/** Sluice has one workspace, as Kong OSS in DB-less mode; a fixed id for it (Kong's is random per node). */
export const DEFAULT_WORKSPACE_ID = '00000000-0000-4000-8000-000000000000';

/** nginx's 499: the client left before its response head was sent. */
const CLIENT_CLOSED = 499;

export interface LogEntry {
  request: {
    id: string;
    uri: string;
    url: string;
    querystring: Record<string, string | boolean | (string | boolean)[]>;
    method: string;
    headers: Record<string, string | string[]>;
    size: number;
  };
  upstream_uri: string;
  upstream_status: string;
  response: { status: number; headers: Record<string, string | string[]>; size: number };
  latencies: { kong: number; proxy: number; request: number; receive: number };
  tries: UpstreamTry[] | undefined;
  authenticated_entity: { id: string; consumer_id: string } | undefined;
  route: unknown;
  service: unknown;
  consumer: unknown;
  client_ip: string;
  started_at: number;
  source: 'service' | 'kong' | 'exit';
  workspace: string;
  workspace_name: string;
}

/** Kong's `kong.log.serialize()` for `ctx`, at the time of its log phase. */
export function serialize(ctx: RequestContext, now = performance.now()): LogEntry {
  const req = ctx.req;
  const res = ctx.res;
  const url = req.url;
  const q = url.indexOf('?');
  const requestMs = Math.round(now - ctx.startedAt);
  const upstreamMs = ctx.upstreamLatencyMs;
  const proxied = upstreamMs >= 0;
  const proxyMs = proxied ? Math.round(upstreamMs) : -1;
  const receiveMs = proxied && ctx.upstreamHeadAt > 0 ? Math.max(0, Math.round(now - ctx.upstreamHeadAt)) : 0;
  const credential = ctx.credential;
  const consumer = ctx.consumer;
  return {
    request: {
      id: requestId(ctx),
      uri: url,
      url: `http://${hostName(req.headers.host)}:${localPort(ctx)}${url}`,
      querystring: q === -1 ? {} : parseQuery(url.slice(q + 1)),
      method: req.method,
      headers: requestHeaders(req.rawHeaders),
      size: ctx.bytesIn,
    },
    upstream_uri: upstreamUri(ctx, q === -1 ? '' : url.slice(q)),
    upstream_status: ctx.upstreamStatus === 0 ? '' : String(ctx.upstreamStatus),
    response: {
      status: res.headersSent ? res.statusCode : CLIENT_CLOSED,
      headers: res.headersSent ? res.sentHeaders() : {},
      size: ctx.bytesOut,
    },
    latencies: {
      kong: proxied ? Math.max(0, requestMs - proxyMs - receiveMs) : requestMs,
      proxy: proxyMs,
      request: requestMs,
      receive: receiveMs,
    },
    tries: ctx.tries ?? (ctx.route !== null && ctx.service !== null ? [] : undefined),
    authenticated_entity: credential === null ? undefined : { id: credential.id, consumer_id: credential.consumer.id ?? consumer?.id ?? '' },
    route: ctx.route ?? undefined,
    service: ctx.service ?? undefined,
    consumer: consumer ?? undefined,
    client_ip: ctx.clientIp,
    started_at: Math.round(performance.timeOrigin + ctx.startedAt),
    source: ctx.exited ? (ctx.upstreamStatus === 0 ? 'exit' : 'kong') : proxied ? 'service' : 'kong',
    workspace: DEFAULT_WORKSPACE_ID,
    workspace_name: 'default',
  };
}

/** The entry as the JSON text the plugins send (Kong: cjson.encode of the serializer's table). */
export function serializeJson(ctx: RequestContext): string {
  return JSON.stringify(serialize(ctx));
}

/** Kong's `kong.request.get_headers()`: lower-case names, repeats as arrays; credentials redacted. */
function requestHeaders(raw: readonly string[]): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    const value = raw[i + 1]!;
    const seen = out[name];
    out[name] = seen === undefined ? value : Array.isArray(seen) ? [...seen, value] : [seen, value];
  }
  if (out['authorization'] !== undefined) out['authorization'] = 'REDACTED';
  if (out['proxy-authorization'] !== undefined) out['proxy-authorization'] = 'REDACTED';
  return out;
}

/** Kong's `kong.request.get_query()`: `a` alone is true, `a=` is "", repeats are arrays. */
export function parseQuery(query: string): Record<string, string | boolean | (string | boolean)[]> {
  const out: Record<string, string | boolean | (string | boolean)[]> = {};
  if (query === '') return out;
  for (const part of query.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = decode(eq === -1 ? part : part.slice(0, eq));
    if (name === '') continue;
    const value: string | boolean = eq === -1 ? true : decode(part.slice(eq + 1));
    const seen = out[name];
    out[name] = seen === undefined ? value : Array.isArray(seen) ? [...seen, value] : [seen, value];
  }
  return out;
}

function decode(text: string): string {
  const plus = text.includes('+') ? text.replaceAll('+', ' ') : text;
  try {
    return decodeURIComponent(plus);
  } catch {
    return plus;
  }
}

/** nginx's $host: the Host header's name, lower-case, without its port. */
function hostName(host: string | undefined): string {
  if (host === undefined || host === '') return '';
  const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.split(':', 1)[0]!;
  return name.toLowerCase();
}

function localPort(ctx: RequestContext): number {
  return ctx.socket.localPort ?? 0;
}

/** The path and query sent upstream (Kong's $upstream_uri plus the arguments), "" when none was. */
function upstreamUri(ctx: RequestContext, query: string): string {
  const match = ctx.match;
  if (match === null || ctx.upstreamStatus === 0 && ctx.upstreamLatencyMs < 0 && ctx.exited) return '';
  const remove = ctx.upstreamQueryRemove;
  if (remove !== null && query !== '') {
    const params = new URLSearchParams(query.slice(1));
    for (const name of remove) params.delete(name);
    const rest = params.toString();
    query = rest === '' ? '' : `?${rest}`;
  }
  return match.upstreamPath + query;
}
