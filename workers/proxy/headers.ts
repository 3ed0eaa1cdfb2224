// Header rules of the proxy (worker thread): hop-by-hop headers never cross the gateway, in either
// direction (RFC 9110 §7.6.1), and the X-Forwarded-* family is written as Kong writes it.

/**
 * Always hop-by-hop; `Connection` may name more. Lower-case. `expect` is not hop-by-hop in RFC 9110,
 * but the gateway answers `100-continue` itself (http1/connection.ts) and undici refuses to send it.
 */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'expect']);

/** Headers the proxy writes itself on the upstream request; a client's copy is replaced. */
const REWRITTEN = new Set(['host', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'x-forwarded-port', 'x-forwarded-path', 'x-forwarded-prefix', 'x-real-ip']);

/**
 * Lower-case form of a header name a plugin set (a handful of constant strings per config, e.g.
 * `X-RateLimit-Remaining-Minute`), cached so the request path does not lower-case them again.
 */
const lowered = new Map<string, string>();
const LOWERED_MAX = 1024;

function lowerName(name: string): string {
  let lower = lowered.get(name);
  if (lower === undefined) {
    lower = name.toLowerCase();
    if (lowered.size >= LOWERED_MAX) lowered.clear();
    lowered.set(name, lower);
  }
  return lower;
}

/** Extra hop-by-hop names listed in a Connection header, or null (the common case: no allocation). */
function connectionTokens(value: string | string[] | undefined): Set<string> | null {
  if (value === undefined) return null;
  const joined = typeof value === 'string' ? value : value.join(',');
  let tokens: Set<string> | null = null;
  for (const part of joined.split(',')) {
    const token = part.trim().toLowerCase();
    if (token !== '' && token !== 'close' && token !== 'keep-alive') (tokens ??= new Set()).add(token);
  }
  return tokens;
}

export interface ForwardInfo {
  /** Host header for the upstream: the client's when preserve_host, else the upstream's. */
  host: string;
  clientIp: string;
  /** Original Host header, without port, for X-Forwarded-Host. */
  forwardedHost: string;
  forwardedPort: string;
  forwardedProto: string;
  /** Request path as the client sent it (X-Forwarded-Path). */
  forwardedPath: string;
  /** The part strip_path removed, when it removed one (X-Forwarded-Prefix). */
  forwardedPrefix: string | null;
  /** Plugin edits: set (string, or a list of lines) or remove (null). Lower-case names. */
  overrides: Record<string, string | readonly string[] | null> | null;
  /**
   * The length of a body a plugin read whole (ctx.bufferedBody), which goes with this
   * Content-Length instead of the client's framing; -1 when the client's body streams through.
   */
  bodyLength?: number;
  /** X-Kong-Request-Id for the upstream (Kong's headers_upstream), replacing a client's; null: none added. */
  requestId?: string | null;
}

/** Framing headers: only the proxy writes them (a plugin's copy would desync the body). */
const FRAMING = new Set(['content-length', 'transfer-encoding', 'host']);

/**
 * Builds the upstream request's headers as a flat [name, value, ...] list (undici's cheapest form)
 * from the client's raw headers.
 */
export function upstreamRequestHeaders(rawHeaders: string[], connection: string | string[] | undefined, info: ForwardInfo): string[] {
  const extraHop = connectionTokens(connection);
  const overrides = info.overrides;
  const requestId = info.requestId ?? null;
  const out: string[] = [];
  let forwardedFor = '';
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || (extraHop !== null && extraHop.has(lower))) continue;
    if (REWRITTEN.has(lower)) {
      if (lower === 'x-forwarded-for') forwardedFor = forwardedFor === '' ? rawHeaders[i + 1]! : `${forwardedFor}, ${rawHeaders[i + 1]!}`;
      continue;
    }
    if (overrides !== null && lower in overrides) continue;
    if (requestId !== null && lower === 'x-kong-request-id') continue;
    if (lower === 'content-length' && info.bodyLength !== undefined && info.bodyLength !== -1) continue;
    out.push(name, rawHeaders[i + 1]!);
  }
  out.push(
    'host', info.host,
    'x-forwarded-for', forwardedFor === '' ? info.clientIp : `${forwardedFor}, ${info.clientIp}`,
    'x-forwarded-proto', info.forwardedProto,
    'x-forwarded-host', info.forwardedHost,
    'x-forwarded-port', info.forwardedPort,
    'x-forwarded-path', info.forwardedPath,
    'x-real-ip', info.clientIp,
  );
  if (info.forwardedPrefix !== null) out.push('x-forwarded-prefix', info.forwardedPrefix);
  if (requestId !== null) out.push('x-kong-request-id', requestId);
  if (overrides !== null) {
    for (const name in overrides) {
      const value = overrides[name];
      if (value === null || value === undefined || FRAMING.has(name) || HOP_BY_HOP.has(name)) continue;
      if (typeof value === 'string') out.push(name, value);
      else for (const line of value) out.push(name, line);
    }
  }
  if (info.bodyLength !== undefined && info.bodyLength !== -1) out.push('content-length', String(info.bodyLength));
  return out;
}

/**
 * The upstream's response headers minus hop-by-hop ones and minus those the gateway sets itself
 * (`replaced`, e.g. rate-limit headers: Kong's set_header replaces), as a flat list for `writeHead`.
 */
export function downstreamResponseHeaders(headers: Record<string, string | string[] | undefined>, replaced: Record<string, string> | null): string[] {
  const extraHop = connectionTokens(headers.connection);
  // Usually the upstream sends none of the replaced names: then no per-request Set is made.
  let skip: Set<string> | null = null;
  if (replaced !== null) {
    for (const name in replaced) {
      if (headers[lowerName(name)] === undefined) continue;
      skip = new Set();
      for (const other in replaced) skip.add(lowerName(other));
      break;
    }
  }
  const out: string[] = [];
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || HOP_BY_HOP.has(name) || (extraHop !== null && extraHop.has(name)) || (skip !== null && skip.has(name))) continue;
    if (typeof value === 'string') out.push(name, value);
    else for (const item of value) out.push(name, item);
  }
  return out;
}

/**
 * The upstream's raw response headers ([name, value, ...]) minus hop-by-hop ones, as a flat list
 * for `writeHead`: the path of a request no response-phase plugin looks at, which needs no
 * header object (one allocation and a dictionary-mode object less per response).
 */
export function relayedResponseHeaders(raw: readonly string[]): string[] {
  let extraHop: Set<string> | null = null;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (name.length === 10 && name.toLowerCase() === 'connection') {
      const tokens = connectionTokens(raw[i + 1]!);
      if (tokens !== null) for (const token of tokens) (extraHop ??= new Set()).add(token);
    }
  }
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || (extraHop !== null && extraHop.has(lower))) continue;
    out.push(lower, raw[i + 1]!);
  }
  return out;
}
