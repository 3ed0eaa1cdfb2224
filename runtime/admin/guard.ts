// The Admin API's front door (primary thread): every Admin request passes `AdminGuard.admit` before
// any route sees it (main.ts wraps the whole handler), so routes added anywhere under runtime/admin/
// are covered without opting in. Three checks, in this order:
//   Host   — against DNS rebinding: a web page on evil.example whose name is re-pointed at 127.0.0.1
//            reaches the Admin API with `Host: evil.example`. Only the listen address, `localhost`,
//            loopback literals and `--admin-allow-host` names pass; with a wildcard listen address
//            (0.0.0.0, ::) any IP literal passes too (a literal cannot be rebound). Else 421.
//   Origin — browsers send it on every cross-origin request (and on same-origin POSTs): a page the
//            operator visits must not `POST /config` (a text/plain body needs no CORS preflight).
//            Only `--admin-allow-origin` values pass; those get CORS headers. Else 403.
//   Token  — with `--admin-token` (or SLUICE_ADMIN_TOKEN) set, `Authorization: Bearer T` or
//            `Kong-Admin-Token: T`, compared in constant time. Else 401.
// The status listener (`--status-listen`) runs only the Origin check (`admitStatus`): Prometheus and
// Kubernetes probes send no Origin, they reach it by a pod IP or a service name that no list here
// would know, and it serves only /metrics and readiness, nothing that changes or reveals config.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import { sendJson } from './http.ts';

export interface AdminGuardOptions {
  /** The `--admin-listen` host as given, and the address actually bound. */
  listenHosts: readonly string[];
  /** `--admin-allow-host` names (host names or IP literals, no port). */
  allowHosts: readonly string[];
  /** `--admin-allow-origin` values, as browsers send them: `scheme://host[:port]`. */
  allowOrigins: readonly string[];
  /** `--admin-token` / SLUICE_ADMIN_TOKEN, or null for none. */
  token: string | null;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** Request headers a browser may send on an allowed cross-origin Admin request. */
const CORS_ALLOW_HEADERS = 'Authorization, Kong-Admin-Token, Content-Type';
const CORS_ALLOW_METHODS = 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS';
const CORS_MAX_AGE = '600';

export class AdminGuard {
  readonly #hosts: Set<string>;
  #anyIpLiteral: boolean;
  readonly #origins: ReadonlySet<string>;
  /** SHA-256 of the token: digests have one length, so timingSafeEqual compares any two in constant time. */
  readonly #tokenDigest: Buffer | null;

  constructor(options: AdminGuardOptions) {
    const hosts = new Set(['localhost', '127.0.0.1', '::1']);
    for (const host of [...options.listenHosts, ...options.allowHosts]) hosts.add(normalizeHostName(host));
    this.#hosts = hosts;
    this.#anyIpLiteral = options.listenHosts.some((host) => host === '0.0.0.0' || host === '::' || host === '[::]');
    this.#origins = new Set(options.allowOrigins.map((origin) => origin.toLowerCase()));
    this.#tokenDigest = options.token === null ? null : digest(options.token);
  }

  /** The address the Admin listener actually bound (known once it listens). */
  allowListenAddress(address: string): void {
    const host = normalizeHostName(address);
    this.#hosts.add(host);
    if (host === '0.0.0.0' || host === '::') this.#anyIpLiteral = true;
  }

  /** Wraps the Admin API handler: every request goes through `admit` first. */
  wrap(handler: Handler): Handler {
    return (req, res) => {
      if (this.admit(req, res)) handler(req, res);
    };
  }

  /** Wraps the status listener's handler: the Origin check only (see the header comment). */
  wrapStatus(handler: Handler): Handler {
    return (req, res) => {
      const origin = singleHeader(req.headers.origin);
      if (origin !== undefined && !this.#origins.has(origin.toLowerCase())) return refuse(res, 403, 'origin not allowed');
      handler(req, res);
    };
  }

  /**
   * True when the request may proceed; else it has been answered. Allowed cross-origin requests get
   * their CORS headers here, and their preflights (OPTIONS with Access-Control-Request-Method) are
   * answered here, before the token check: a browser never sends credentials on a preflight.
   */
  admit(req: IncomingMessage, res: ServerResponse): boolean {
    // 421 Misdirected Request rather than 403: the request names an authority this server does not
    // answer for (RFC 9110 §15.5.20), which is what a rebound name is; it is not a refused identity.
    if (!this.hostAllowed(req.headers.host)) return refuse(res, 421, 'misdirected request: Host is not an Admin API address');
    const origin = singleHeader(req.headers.origin);
    if (origin !== undefined) {
      if (!this.#origins.has(origin.toLowerCase())) return refuse(res, 403, 'origin not allowed');
      res.setHeader('access-control-allow-origin', origin);
      res.setHeader('vary', 'Origin');
      if (req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined) {
        res.writeHead(204, {
          'access-control-allow-methods': CORS_ALLOW_METHODS,
          'access-control-allow-headers': CORS_ALLOW_HEADERS,
          'access-control-max-age': CORS_MAX_AGE,
          'content-length': '0',
        });
        res.end();
        return false;
      }
    }
    if (this.#tokenDigest !== null && !this.tokenMatches(req)) {
      res.setHeader('www-authenticate', 'Bearer realm="sluice-admin"');
      return refuse(res, 401, 'Invalid credentials. Token required');
    }
    return true;
  }

  /** A request without Host (HTTP/1.0) is no browser's: it passes. Node refuses HTTP/1.1 without one. */
  hostAllowed(value: string | undefined): boolean {
    if (value === undefined) return true;
    const name = hostName(value);
    if (name === null) return false;
    if (this.#hosts.has(name)) return true;
    return this.#anyIpLiteral && isIP(name) !== 0;
  }

  tokenMatches(req: IncomingMessage): boolean {
    const expected = this.#tokenDigest;
    if (expected === null) return true;
    const given = presentedToken(req);
    if (given === null) return false;
    return timingSafeEqual(digest(given), expected);
  }
}

/** The token a request presents: `Authorization: Bearer T` (scheme case-insensitive) or `Kong-Admin-Token: T`. */
function presentedToken(req: IncomingMessage): string | null {
  const authorization = req.headers.authorization;
  if (authorization !== undefined) {
    const match = /^bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization);
    if (match !== null) return match[1]!;
  }
  return singleHeader(req.headers['kong-admin-token']) ?? null;
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/**
 * The host name of a Host header value, lower-case, without port or brackets; null when the value
 * is not `host[:port]` (a list, userinfo, a path, an unclosed bracket, a bad port).
 */
export function hostName(value: string): string | null {
  let name: string;
  let rest: string;
  if (value.startsWith('[')) {
    const end = value.indexOf(']');
    if (end < 0) return null;
    name = value.slice(1, end);
    if (isIP(name) !== 6) return null;
    rest = value.slice(end + 1);
  } else {
    const colon = value.indexOf(':');
    name = colon < 0 ? value : value.slice(0, colon);
    rest = colon < 0 ? '' : value.slice(colon);
    if (!/^[A-Za-z0-9._-]+$/.test(name)) return null;
  }
  if (rest !== '' && !/^:[0-9]{1,5}$/.test(rest)) return null;
  return normalizeHostName(name);
}

export function isLoopback(address: string): boolean {
  const host = normalizeHostName(address);
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

function normalizeHostName(host: string): string {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  return bare.toLowerCase().replace(/\.$/, '');
}

function singleHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}

function refuse(res: ServerResponse, status: number, message: string): false {
  sendJson(res, status, { message });
  return false;
}
