// The headers the gateway itself adds (worker thread), as Kong's header_filter does under its
// `headers` / `headers_upstream` settings (runtime/protocol/gateway-headers.ts): on a proxied
// response Via, Server (when the upstream sent none), X-Kong-Upstream-Latency, X-Kong-Proxy-Latency
// and X-Kong-Upstream-Status; on the gateway's own answers Server and X-Kong-Response-Latency; on
// both X-Kong-Request-Id, and the same id on the upstream request. The settings are the worker's,
// set once at its start.
import { randomFillSync } from 'node:crypto';
import { KONG_GATEWAY_HEADERS, type GatewayHeaderSettings } from '../../runtime/protocol/gateway-headers.ts';
import type { RequestContext } from './context.ts';

export const VIA = '1.1 sluice';
let on: GatewayHeaderSettings = KONG_GATEWAY_HEADERS;

export function configureGatewayHeaders(settings: GatewayHeaderSettings): void {
  on = settings;
}

/** Random bytes for request ids, drawn 4 KiB at a time (one syscall per 256 ids). */
const idPool = Buffer.allocUnsafe(4096);
let idAt = idPool.length;

/** The request's id (Kong's $kong_request_id, nginx's $request_id: 16 random bytes as hex), made once. */
export function requestId(ctx: RequestContext): string {
  if (ctx.requestId !== '') return ctx.requestId;
  if (idAt === idPool.length) {
    randomFillSync(idPool);
    idAt = 0;
  }
  const id = idPool.toString('hex', idAt, idAt + 16);
  idAt += 16;
  return (ctx.requestId = id);
}

/** The id for the upstream request's X-Kong-Request-Id, or null when headers_upstream leaves it out. */
export function upstreamRequestId(ctx: RequestContext): string | null {
  return on.upstreamRequestId ? requestId(ctx) : null;
}

/**
 * Appends the gateway's headers to a proxied response head (`flat`: [name, value, ...] with the
 * upstream's, lower-case). `sentAt`: when the answering try was sent (performance.now()).
 */
export function pushProxiedHeaders(flat: string[], ctx: RequestContext, sentAt: number): void {
  if (on.via) flat.push('via', VIA);
  if (on.server && !hasServer(flat)) flat.push('server', on.serverToken);
  if (on.upstreamLatency) flat.push('x-kong-upstream-latency', String(Math.round(ctx.upstreamLatencyMs)));
  if (on.proxyLatency) flat.push('x-kong-proxy-latency', String(Math.max(0, Math.round(sentAt - ctx.startedAt))));
  if (on.upstreamStatus) flat.push('x-kong-upstream-status', String(ctx.upstreamStatus));
  if (on.requestId) flat.push('x-kong-request-id', requestId(ctx));
}

/** The same for a response head written as text (a WebSocket 101). */
export function proxiedHeaderLines(ctx: RequestContext, sentAt: number): string {
  const flat: string[] = [];
  pushProxiedHeaders(flat, ctx, sentAt);
  let text = '';
  for (let i = 0; i < flat.length; i += 2) text += `${flat[i]!}: ${flat[i + 1]!}\r\n`;
  return text;
}

/** The gateway's headers on its own answer (a plugin's exit, an error), set on the response. */
export function setAnswerHeaders(ctx: RequestContext, res: { setHeader(name: string, value: string): unknown }): void {
  if (on.server) res.setHeader('server', on.serverToken);
  if (on.responseLatency) res.setHeader('x-kong-response-latency', String(Math.round(performance.now() - ctx.startedAt)));
  if (on.requestId) res.setHeader('x-kong-request-id', requestId(ctx));
}

function hasServer(flat: readonly string[]): boolean {
  for (let i = 0; i < flat.length; i += 2) if (flat[i] === 'server') return true;
  return false;
}
