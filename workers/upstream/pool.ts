// Keep-alive pools of upstream connections (worker thread), one per target: an address, a
// protocol and, for https, the TLS settings (SNI, verification) the connection was made with, as
// nginx keys its keepalive cache by peer and Kong by peer and TLS options.
//
// `UpstreamConnector.connect` is the one place a socket is opened. It takes an address that is
// already resolved as far as the caller wants (target selection and any DNS caching happen
// before it, behind the balancer), so a DNS cache or health-aware balancer plugs in above it.
//
// Idle connections sit in a LIFO stack (the most recently used first: its TCP window is warm and
// it is the least likely to have hit the peer's own idle timeout). Each has one idle timer on the
// worker's wheel, moved (rescheduled) each time the connection goes back to the pool, never
// cancelled and re-armed per request. The stack is capped at `maxIdle`.
import { connect as netConnect } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions, type SecureContext, type TLSSocket } from 'node:tls';
import type { TimerWheel } from '../timers/wheel.ts';
import { UpstreamConnection } from './connection.ts';

/** Kong's upstream_keepalive_* defaults (nginx's keepalive, keepalive_requests, keepalive_timeout). */
export const KEEPALIVE_DEFAULTS = { maxIdle: 512, maxRequests: 10_000, idleTimeoutMs: 60_000 };

export interface KeepaliveSettings {
  /** Idle connections kept per target. */
  maxIdle: number;
  /** Requests one connection carries before it is closed. */
  maxRequests: number;
  idleTimeoutMs: number;
}

/** TLS of an https target: what the handshake sends and checks. */
export interface TargetTls {
  /** SNI and the name the certificate must carry. */
  readonly servername: string;
  readonly verify: boolean;
  /** Longest certificate chain accepted (Kong's tls_verify_depth), or null for OpenSSL's default. */
  readonly depth: number | null;
  /** The service's client certificate and trust store (workers/tls/state.ts), or null: the connector's defaults. */
  readonly context?: { readonly context: SecureContext; readonly key: string } | null;
}

/** Where a target is: resolved as far as the caller wants (an IP, or a name the OS resolves). */
export interface TargetAddress {
  readonly host: string;
  readonly port: number;
}

/** Figures the worker reports (status, metrics). */
export interface ConnectorCounters {
  /** Connections opened. */
  connects: number;
  /** Requests sent on a connection that had served one before. */
  reuses: number;
  /** Requests retried on a fresh connection after a reused one failed before answering. */
  keepaliveRetries: number;
}

export class TargetPool {
  readonly connector: UpstreamConnector;
  readonly key: string;
  /** `protocol://host:port`: what a config names; pools whose origin is gone are closed. */
  readonly origin: string;
  readonly address: TargetAddress;
  readonly tls: TargetTls | null;
  readonly idle: UpstreamConnection[] = [];
  /** Open connections, idle or not. */
  open = 0;
  /** The last TLS session of this target, offered on the next handshake. */
  session: Buffer | null = null;
  closing = false;

  constructor(connector: UpstreamConnector, key: string, origin: string, address: TargetAddress, tls: TargetTls | null) {
    this.connector = connector;
    this.key = key;
    this.origin = origin;
    this.address = address;
    this.tls = tls;
  }

  /** An idle connection, most recently used first, or null. */
  take(): UpstreamConnection | null {
    const connection = this.idle.pop();
    if (connection === undefined) return null;
    this.connector.counters.reuses++;
    return connection;
  }

  /** A connection finished a response and may carry another request. */
  release(connection: UpstreamConnection): void {
    const settings = this.connector.keepalive;
    if (this.closing || connection.requests >= settings.maxRequests || this.idle.length >= settings.maxIdle) return connection.close();
    this.idle.push(connection);
    connection.armIdle(settings.idleTimeoutMs);
  }

  /** An idle connection is closing: it leaves the stack at once. */
  unidle(connection: UpstreamConnection): void {
    const at = this.idle.lastIndexOf(connection);
    if (at !== -1) this.idle.splice(at, 1);
  }

  /** A connection's socket closed. */
  closed(): void {
    this.open--;
    if (this.closing && this.open === 0) this.connector.forget(this);
  }

  /** The connection's socket was handed over (Upgrade): no longer this pool's. */
  detached(_connection: UpstreamConnection): void {
    this.open--;
  }

  /** Closes idle connections now and busy ones once their response is done. */
  close(): void {
    this.closing = true;
    for (const connection of this.idle.splice(0)) connection.close();
    if (this.open === 0) this.connector.forget(this);
  }
}

export interface ConnectorOptions {
  keepalive?: Partial<KeepaliveSettings>;
  /** PEM of the CAs that verify https targets (--upstream-trusted-ca), or null for the system store. */
  trustedCa?: string | null;
}

function onSession(this: TLSSocket & { pool?: TargetPool }, session: Buffer): void {
  if (this.pool !== undefined) this.pool.session = session;
}

export class UpstreamConnector {
  readonly wheel: TimerWheel;
  readonly keepalive: KeepaliveSettings;
  readonly trustedCa: string | null;
  readonly counters: ConnectorCounters = { connects: 0, reuses: 0, keepaliveRetries: 0 };
  readonly #pools = new Map<string, TargetPool>();

  constructor(wheel: TimerWheel, options: ConnectorOptions = {}) {
    this.wheel = wheel;
    this.keepalive = { ...KEEPALIVE_DEFAULTS, ...options.keepalive };
    this.trustedCa = options.trustedCa ?? null;
  }

  /** The pool of one target, made on first use. */
  pool(protocol: string, address: TargetAddress, tls: TargetTls | null): TargetPool {
    const origin = `${protocol}://${address.host}:${address.port}`;
    const key = tls === null ? origin : `${origin}|${tls.servername}|${tls.verify ? 1 : 0}|${tls.depth ?? ''}|${tls.context?.key ?? ''}`;
    let pool = this.#pools.get(key);
    if (pool === undefined || pool.closing) {
      pool = new TargetPool(this, key, origin, address, tls);
      this.#pools.set(key, pool);
    }
    return pool;
  }

  /**
   * Opens a connection to `pool`'s target; `connectTimeoutMs` bounds the attempt (and the TLS
   * handshake) on the wheel. The connection reports to its handler once connected or failed.
   */
  connect(pool: TargetPool, connectTimeoutMs: number): UpstreamConnection {
    const { host, port } = pool.address;
    const tls = pool.tls;
    let connection: UpstreamConnection;
    if (tls === null) {
      const socket = netConnect({ host, port, noDelay: true });
      connection = new UpstreamConnection(socket, pool);
      socket.once('connect', () => connection.connected());
    } else {
      const options: ConnectionOptions = {
        host,
        port,
        servername: isIp(tls.servername) ? undefined : tls.servername,
        rejectUnauthorized: tls.verify,
        session: pool.session ?? undefined,
      };
      // A service's own context carries its client certificate and its trust store.
      if (tls.context !== undefined && tls.context !== null) options.secureContext = tls.context.context;
      else if (this.trustedCa !== null) options.ca = this.trustedCa;
      const socket = tlsConnect(options) as TLSSocket & { pool?: TargetPool };
      socket.setNoDelay(true);
      socket.pool = pool;
      socket.on('session', onSession);
      connection = new UpstreamConnection(socket, pool);
      socket.once('secureConnect', () => {
        if (tls.depth !== null && tls.verify && chainDepth(socket) > tls.depth + 1) {
          return connection.fail('SLUICE_ERR_UPSTREAM_TLS', `certificate chain longer than tls_verify_depth ${tls.depth}`);
        }
        connection.connected();
      });
    }
    pool.open++;
    this.counters.connects++;
    connection.armConnect(connectTimeoutMs);
    return connection;
  }

  /** Closes pools whose origin is not in `keep` (origins still reachable in the new config). */
  retain(keep: ReadonlySet<string>): void {
    for (const pool of this.#pools.values()) if (!keep.has(pool.origin)) pool.close();
  }

  forget(pool: TargetPool): void {
    if (this.#pools.get(pool.key) === pool) this.#pools.delete(pool.key);
  }

  get size(): number {
    return this.#pools.size;
  }

  /** Idle connections over every pool. */
  get idle(): number {
    let idle = 0;
    for (const pool of this.#pools.values()) idle += pool.idle.length;
    return idle;
  }

  close(): void {
    for (const pool of [...this.#pools.values()]) pool.close();
  }
}

function isIp(name: string): boolean {
  return /^[\d.]+$/.test(name) || name.includes(':');
}

/** Certificates in the peer's chain (leaf included), as far as OpenSSL built it. */
function chainDepth(socket: TLSSocket): number {
  let cert = socket.getPeerCertificate(true);
  let depth = 0;
  const seen = new Set<unknown>();
  while (cert !== undefined && cert !== null && Object.keys(cert).length > 0 && !seen.has(cert)) {
    seen.add(cert);
    depth++;
    const issuer = (cert as { issuerCertificate?: typeof cert }).issuerCertificate;
    if (issuer === undefined || issuer === cert) break;
    cert = issuer;
  }
  return depth;
}
