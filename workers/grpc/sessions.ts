// HTTP/2 client sessions to gRPC targets (worker thread). A grpc service's target is reached over
// h2c with prior knowledge, a grpcs one over TLS with ALPN h2 (SNI, verification and trust store
// as the https path has them: workers/upstream/pool.ts TargetTls, --upstream-tls-verify,
// --upstream-trusted-ca). One session per target pool key (address + TLS settings) carries every
// stream to that target, as nginx's grpc_pass multiplexes over a kept-alive connection; nghttp2
// queues streams past the target's SETTINGS_MAX_CONCURRENT_STREAMS.
//
// Timers are the worker's wheel, never a setTimeout: one connect timer per session (the
// service's connect_timeout, for the TCP and TLS handshakes together), and one idle timer per
// session armed when its last stream ends (the upstream keep-alive idle timeout), which closes it
// with GOAWAY. A session that failed, got GOAWAY or closed leaves the map at once: the next
// stream opens a new one.
import { connect, constants, type ClientHttp2Session, type SecureClientSessionOptions } from 'node:http2';
import type { TimerHandle, TimerWheel } from '../timers/wheel.ts';
import type { TargetPool } from '../upstream/pool.ts';

/** Figures the worker reports. */
export class GrpcCounters {
  /** Sessions opened. */
  sessions = 0;
  /** Streams opened. */
  streams = 0;
  /** Streams sent on a session that already existed. */
  reuses = 0;
}

/** One session to one target. */
export class GrpcSession {
  readonly owner: GrpcSessions;
  readonly key: string;
  readonly origin: string;
  readonly session: ClientHttp2Session;
  /** The HTTP/2 connection is up (TLS done, preface sent). */
  connected = false;
  /** No new stream goes on it (GOAWAY, error, close, idle close). */
  retired = false;
  /** The error that ended it before it connected, if any. */
  failure: NodeJS.ErrnoException | null = null;
  active = 0;
  #connectTimer: TimerHandle = 0;
  #idleTimer: TimerHandle = 0;
  /** Streams waiting for the connection to come up: told once it did or failed. */
  readonly waiting = new Set<SessionWaiter>();

  constructor(owner: GrpcSessions, pool: TargetPool, connectTimeoutMs: number) {
    this.owner = owner;
    this.key = pool.key;
    this.origin = pool.origin;
    const { host, port } = pool.address;
    const tls = pool.tls;
    const authority = `${tls === null ? 'http' : 'https'}://${host.includes(':') ? `[${host}]` : host}:${port}`;
    const options: SecureClientSessionOptions = { settings: { enablePush: false }, maxSessionMemory: 32 };
    if (tls !== null) {
      // No SNI for an IP (RFC 6066 §3); node:http2 would send the connect host otherwise.
      if (!/^[\d.]+$/.test(tls.servername) && !tls.servername.includes(':')) options.servername = tls.servername;
      options.rejectUnauthorized = tls.verify;
      options.ALPNProtocols = ['h2'];
      if (tls.context !== undefined && tls.context !== null) options.secureContext = tls.context.context;
      else if (owner.trustedCa !== null) options.ca = owner.trustedCa;
    }
    this.session = connect(authority, options);
    this.session.on('connect', () => this.#connected());
    this.session.on('error', (error: NodeJS.ErrnoException) => this.#failed(error));
    this.session.on('goaway', () => this.retire());
    this.session.on('close', () => this.#closed());
    this.#connectTimer = owner.wheel.schedule('grpc-connect-timeout', connectTimeoutMs, connectTimedOut, this);
  }

  #connected(): void {
    this.connected = true;
    this.#stopConnectTimer();
    for (const waiter of this.waiting) waiter.sessionReady(this);
    this.waiting.clear();
  }

  #failed(error: NodeJS.ErrnoException): void {
    if (!this.connected && this.failure === null) this.failure = error;
    this.retire();
  }

  /** The connect timer fired: the session goes, its waiting streams see a connect timeout. */
  timedOut(): void {
    this.#connectTimer = 0;
    if (this.connected) return;
    this.failure = Object.assign(new Error('upstream connect timed out'), { code: 'SLUICE_ERR_UPSTREAM_CONNECT_TIMEOUT' });
    this.retire();
    this.session.destroy();
  }

  /** No new stream goes here; the open ones finish. */
  retire(): void {
    if (!this.retired) {
      this.retired = true;
      this.owner.forget(this);
    }
    if (!this.connected) {
      const failure = this.failure ?? Object.assign(new Error('upstream session closed'), { code: 'ECONNRESET' });
      for (const waiter of this.waiting) waiter.sessionFailed(this, failure);
      this.waiting.clear();
    }
    if (this.active === 0 && !this.session.closed && !this.session.destroyed) this.session.close();
  }

  #closed(): void {
    this.#stopConnectTimer();
    this.#stopIdleTimer();
    this.retire();
  }

  #stopConnectTimer(): void {
    if (this.#connectTimer !== 0) {
      this.owner.wheel.cancel(this.#connectTimer);
      this.#connectTimer = 0;
    }
  }

  #stopIdleTimer(): void {
    if (this.#idleTimer !== 0) {
      this.owner.wheel.cancel(this.#idleTimer);
      this.#idleTimer = 0;
    }
  }

  streamStarted(): void {
    this.active++;
    this.#stopIdleTimer();
  }

  streamEnded(): void {
    if (--this.active !== 0) return;
    if (this.retired) {
      if (!this.session.closed && !this.session.destroyed) this.session.close();
      return;
    }
    this.#idleTimer = this.owner.wheel.schedule('grpc-session-idle', this.owner.idleTimeoutMs, idleTimedOut, this);
  }

  idleTimedOut(): void {
    this.#idleTimer = 0;
    if (this.active === 0) this.retire();
  }
}

/** A stream that waits for its session to connect before it sends its head. */
export interface SessionWaiter {
  sessionReady(session: GrpcSession): void;
  sessionFailed(session: GrpcSession, error: NodeJS.ErrnoException): void;
}

function connectTimedOut(session: GrpcSession): void {
  session.timedOut();
}

function idleTimedOut(session: GrpcSession): void {
  session.idleTimedOut();
}

export class GrpcSessions {
  readonly wheel: TimerWheel;
  readonly trustedCa: string | null;
  readonly idleTimeoutMs: number;
  readonly counters = new GrpcCounters();
  readonly #sessions = new Map<string, GrpcSession>();

  constructor(wheel: TimerWheel, trustedCa: string | null, idleTimeoutMs: number) {
    this.wheel = wheel;
    this.trustedCa = trustedCa;
    this.idleTimeoutMs = idleTimeoutMs;
  }

  /** The live session to `pool`'s target, opened on first use; `fresh`: a new one whatever exists. */
  session(pool: TargetPool, connectTimeoutMs: number): GrpcSession {
    const known = this.#sessions.get(pool.key);
    if (known !== undefined && !known.retired && !known.session.destroyed) {
      this.counters.reuses++;
      return known;
    }
    const session = new GrpcSession(this, pool, connectTimeoutMs);
    this.#sessions.set(pool.key, session);
    this.counters.sessions++;
    return session;
  }

  forget(session: GrpcSession): void {
    if (this.#sessions.get(session.key) === session) this.#sessions.delete(session.key);
  }

  get size(): number {
    return this.#sessions.size;
  }

  /** Retires sessions whose origin is not in `keep` (their open streams finish). */
  retain(keep: ReadonlySet<string>): void {
    for (const session of [...this.#sessions.values()]) if (!keep.has(session.origin)) session.retire();
  }

  /** Closes every session now (worker shutdown). */
  close(): void {
    for (const session of [...this.#sessions.values()]) {
      session.retire();
      session.session.destroy(undefined, constants.NGHTTP2_NO_ERROR);
    }
  }
}
