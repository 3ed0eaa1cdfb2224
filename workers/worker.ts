// One data-plane worker, once the primary has assigned it a slot (worker thread). nginx-style, each
// worker owns its own listener on the proxy port (reusePort: the kernel spreads connections), its
// own state, timer wheel and pools. It talks to the primary only through its MessagePort and the
// shared version memory; `handle` is the whole of that conversation, so a test drives it through
// a MessageChannel.
import type { MessagePort } from 'node:worker_threads';
import type { Registry } from 'prom-client';
import type { Delta, Snapshot } from '../config/types.ts';
import { SluiceError, type WireError } from '../runtime/protocol/errors.ts';
import { createLogger, type Logger } from '../runtime/protocol/log.ts';
import type { Assignment, FromWorker, QueryKind, ToWorker, WorkerBoot } from '../runtime/protocol/messages.ts';
import type { TlsListenerSettings } from '../runtime/protocol/tls-settings.ts';
import { VersionMemory } from '../runtime/protocol/shared-memory.ts';
import { UpstreamMemory } from '../runtime/protocol/upstream-memory.ts';
import { DNS_POLL_MS, DnsView } from './dns/view.ts';
import { Http1Server } from './http1/server.ts';
import { H2Sessions } from './http2/sessions.ts';
import { bridgeTls } from './http2/tls-bridge.ts';
import { DEFAULT_HTTP2_SETTINGS } from '../runtime/protocol/http2-settings.ts';
import { GcCounts } from './metrics/gc-counts.ts';
import { WorkerMetrics } from './metrics/worker.ts';
import { PluginInstances } from './plugins/instances.ts';
import { createRegistry } from './plugins/registry.ts';
import type { PluginEnv } from './plugins/types.ts';
import { reopenLogFiles } from './plugins/file-log/files.ts';
import { ClientTimeouts } from './proxy/client-timeouts.ts';
import { Proxy } from './proxy/handler.ts';
import { Targets } from './proxy/targets.ts';
import { RebuildCounter } from './rebuilds.ts';
import { buildState, liveOrigins, nextSnapshot, withDnsChanges, type StateDeps, type WorkerState } from './state.ts';
import { TimerWheel } from './timers/wheel.ts';
import { TlsListener } from './tls/listener.ts';
import type { TLSSocket } from 'node:tls';
import type { ConnectionHooks } from './http1/connection.ts';
import type { ListenerInfo } from './proxy/forward.ts';
import { configureGatewayHeaders } from './proxy/gateway-headers.ts';
import { UpstreamConnector } from './upstream/pool.ts';

/** How long after a config change unused upstream pools are closed. */
const POOL_SWEEP_DELAY_MS = 30_000;

export interface GatewayWorkerOptions {
  /**
   * Test-only fault (workers/test-hooks.ts): building this config version throws, as a config the
   * worker cannot apply would. Null in production.
   */
  failVersion?: number | null;
  log?: Logger;
  /** Where this worker's own metrics register; the thread's one registry unless a test runs several workers in one thread. */
  registry?: Registry;
}

export class GatewayWorker {
  readonly #port: MessagePort;
  readonly #boot: WorkerBoot & Assignment;
  readonly #log: Logger;
  readonly #versions: VersionMemory;
  readonly #wheel: TimerWheel;
  readonly #rebuilds = new RebuildCounter();
  readonly #connector: UpstreamConnector;
  readonly #targets: Targets;
  readonly #timeouts: ClientTimeouts;
  readonly #metrics: WorkerMetrics;
  readonly #gc = new GcCounts();
  readonly #deps: StateDeps;
  readonly #failVersion: number | null;
  readonly #connections = { active: 0, total: 0 };
  /** Config messages applied, by kind: under churn the primary keeps sending deltas, not snapshots. */
  readonly #applies = { full: 0, delta: 0, failed: 0 };
  #state: WorkerState | null = null;
  #proxy: Proxy | null = null;
  #server: Http1Server | null = null;
  /** HTTP/2 sessions (h2c on the plain port; h2 by ALPN on the TLS port), or null when off. */
  #h2: H2Sessions<ListenerInfo> | null = null;
  #tls: TlsListener | null = null;
  /** The hooks of connections that came over TLS: their requests say so (X-Forwarded-Proto, https-only routes). */
  #tlsHooks: ConnectionHooks | null = null;
  /** Where TLS requests came in (X-Forwarded-Proto https, the TLS port), on either protocol. */
  #tlsInfo: ListenerInfo | null = null;
  #poolSweep: number | null = null;
  /** Set once a snapshot was asked for: deltas until it arrives cannot apply and are dropped. */
  #awaitingSnapshot = false;
  #draining = false;

  constructor(port: MessagePort, shared: WorkerBoot, assignment: Assignment, options: GatewayWorkerOptions = {}) {
    this.#port = port;
    this.#boot = { ...shared, ...assignment };
    const boot = this.#boot;
    const log = options.log ?? createLogger({ worker: boot.index });
    this.#log = log;
    this.#failVersion = options.failVersion ?? null;
    this.#versions = new VersionMemory(boot.versions);
    this.#wheel = new TimerWheel({ workerId: boot.index, workerCount: boot.workerCount, onError: (error, name) => log.error({ err: error, timer: name }, 'timer callback failed') });
    this.#connector = new UpstreamConnector(this.#wheel, { trustedCa: boot.upstreamTls.trustedCa });
    this.#targets = new Targets(this.#connector, { verify: boot.upstreamTls.verify }, log);
    this.#timeouts = new ClientTimeouts(this.#wheel, boot.clientTimeouts);
    if (boot.gatewayHeaders !== undefined) configureGatewayHeaders(boot.gatewayHeaders);
    this.#metrics = new WorkerMetrics({
      index: boot.index,
      config: () => (this.#state === null ? null : { version: this.#state.version, hash: this.#state.snapshot.hash }),
      requests: () => this.#proxy?.requests ?? 0,
      inFlight: () => this.#proxy?.inFlight ?? 0,
      connections: () => this.#connections,
      rebuilds: this.#rebuilds,
      wheel: this.#wheel,
      upstream: () => ({ ...this.#connector.counters, idle: this.#connector.idle }),
      tunnels: () => this.#targets.tunnels,
      http2: () => this.#h2?.stats,
      gc: () => this.#gc,
    }, options.registry);
    const env: PluginEnv = {
      worker: boot.index,
      wheel: this.#wheel,
      counters: boot.counters,
      credentials: () => this.#state!.credentials,
      log,
      ...(boot.syslogSocket === undefined ? {} : { syslogSocket: boot.syslogSocket }),
    };
    this.#deps = {
      registry: createRegistry(),
      instances: new PluginInstances(log),
      env,
      rebuilds: this.#rebuilds,
      rebuildAll: boot.rebuildAll,
      listenPort: boot.proxyPort,
      ...(boot.tls === undefined || boot.tls === null ? {} : { tlsPort: boot.tls.port }),
      upstreamMemory: new UpstreamMemory(boot.upstreams),
      dns: new DnsView(boot.dns),
      trustedCa: boot.upstreamTls.trustedCa,
    };
    // New DNS answers rebuild the balancers of the upstreams naming those hosts, and no other.
    this.#wheel.every('dns-poll', DNS_POLL_MS, () => this.#pollDns());
  }

  /** Starts taking the primary's messages on the port. */
  start(): void {
    this.#port.on('message', (message: ToWorker) => this.handle(message));
  }

  /** The version of the config being served, 0 before the first one. */
  get version(): number {
    return this.#state?.version ?? 0;
  }

  handle(message: ToWorker): void {
    switch (message.type) {
      case 'snapshot':
        return this.#onSnapshot(message.snapshot);
      case 'delta':
        return this.#onDelta(message.delta);
      case 'query':
        return this.#answer(message.id, message.kind);
      case 'stop-accepting':
        this.#server?.close();
        this.#tls?.close();
        return this.#post({ type: 'not-accepting' });
      case 'drain':
        return this.#drain(message.timeoutMs, message.idleGraceMs);
      case 'reopen-logs':
        this.#log.info({ files: reopenLogFiles() }, 'log files will be reopened (SIGUSR1)');
        return;
      case 'assign':
        // The entry (main.ts) takes the one assignment; a second one is a primary bug, not fatal.
        this.#log.error({ index: message.index }, 'worker was assigned a slot twice; ignored');
        return;
    }
  }

  #post(message: FromWorker): void {
    this.#port.postMessage(message);
  }

  #onSnapshot(snapshot: Snapshot): void {
    this.#awaitingSnapshot = false;
    try {
      this.#install(snapshot, true);
    } catch (error) {
      // A config this worker cannot apply must not take it down: keep serving the last good state
      // (or none yet) and say so, so that `POST /config?wait=1` answers with this error at once.
      this.#applies.failed++;
      this.#log.error({ err: error, version: snapshot.version }, 'worker could not apply a config snapshot');
      this.#post({ type: 'apply-failed', version: snapshot.version, have: this.version, error: toWire(error) });
    }
  }

  #onDelta(delta: Delta): void {
    if (this.#awaitingSnapshot) return;
    const state = this.#state;
    if (state === null || delta.fromVersion !== state.version) {
      // Deltas apply strictly in order; on a gap the primary sends a full snapshot instead.
      return this.#askSnapshot(delta.version);
    }
    try {
      this.#install(nextSnapshot(state, delta), false);
    } catch (error) {
      // The snapshot of the same config is the second chance; a failure there is reported.
      this.#log.warn({ err: error, version: delta.version }, 'worker could not apply a config delta; asking for a snapshot');
      this.#askSnapshot(delta.version);
    }
  }

  #askSnapshot(got: number): void {
    this.#awaitingSnapshot = true;
    this.#post({ type: 'need-snapshot', have: this.version, got });
  }

  /**
   * Builds the next state to the side, then swaps it in with one assignment. Snapshots (first boot,
   * gap recovery) go through the same gating as deltas: only a worker with no state builds it all.
   */
  #install(snapshot: Snapshot, full: boolean): void {
    const started = performance.now();
    if (snapshot.version === this.#failVersion) throw new Error(`test hook: worker refuses config version ${snapshot.version}`);
    const next = buildState(this.#state, snapshot, this.#deps);
    this.#state = next;
    // New handshakes select from the new table; the listener and its connections stay as they are.
    if (this.#tls !== null && this.#tls.table !== next.tls.sni) this.#tls.table = next.tls.sni;
    if (this.#proxy === null) this.#proxy = new Proxy(next, this.#targets, this.#timeouts, { port: String(this.#boot.proxyPort), proto: 'http' }, this.#log);
    else this.#proxy.swap(next);
    this.#deps.instances.retain(snapshot);
    this.#versions.setApplied(this.#boot.index, snapshot.version);
    const ms = performance.now() - started;
    this.#metrics.configApplied(ms, full);
    if (full) this.#applies.full++;
    else this.#applies.delta++;
    this.#post({ type: 'applied', version: snapshot.version, ms, full });
    if (this.#server === null && !this.#draining) this.#listen();
    // Connection pools to origins the new config no longer names are closed a while later, once,
    // however many changes arrive meanwhile (churning targets must not open and close pools).
    if (this.#poolSweep === null) this.#poolSweep = this.#wheel.schedule('upstream-pool-sweep', POOL_SWEEP_DELAY_MS, () => this.#sweepPools());
  }

  #pollDns(): void {
    const names = this.#deps.dns?.poll() ?? null;
    const state = this.#state;
    if (names === null || state === null) return;
    const next = withDnsChanges(state, names, this.#deps);
    if (next === state) return;
    this.#state = next;
    this.#proxy?.swap(next);
  }

  #sweepPools(): void {
    this.#poolSweep = null;
    if (this.#state !== null) {
      const origins = liveOrigins(this.#state);
      this.#connector.retain(origins);
      this.#targets.grpc.retain(origins);
    }
  }

  #listen(): void {
    const boot = this.#boot;
    // Idle, header and body timeouts are on the wheel (client-timeouts.ts); malformed requests are
    // answered 400 by the connection itself (http1/connection.ts).
    const hooks: ConnectionHooks = {
      handler: (req, res) => this.#proxy!.handle(req, res),
      failed: (error) => this.#log.error({ err: error }, 'proxy connection closed on an internal error'),
      blocked: (socket) => this.#timeouts.blocked(socket),
      drained: (socket) => this.#timeouts.drained(socket),
    };
    const server = new Http1Server(
      hooks,
      (socket) => {
        this.#connections.active++;
        this.#connections.total++;
        this.#timeouts.connected(socket);
        socket.once('close', () => {
          this.#connections.active--;
          this.#timeouts.closed(socket);
        });
      },
      boot.listenerLimits,
    );
    this.#server = server;
    const http2 = boot.http2 ?? DEFAULT_HTTP2_SETTINGS;
    if (http2.h2c) {
      const h2 = this.#http2();
      const plain: ListenerInfo = { port: String(boot.proxyPort), proto: 'http' };
      server.speakH2c((socket) => h2.adopt(socket, plain));
    }
    server.net.once('error', (error) => {
      this.#log.fatal({ err: error }, 'proxy listener failed');
      process.exitCode = 1;
      throw error;
    });
    const listen = { host: boot.proxyHost, port: boot.proxyPort, reusePort: boot.reusePort ?? true, ...(boot.proxyBacklog === undefined ? {} : { backlog: boot.proxyBacklog }) };
    // Ready once every listener of this worker listens.
    let waiting = boot.tls === undefined || boot.tls === null ? 1 : 2;
    const listening = (): void => {
      if (--waiting === 0) this.#post({ type: 'ready', index: boot.index, address: `${boot.proxyHost}:${boot.proxyPort}` });
    };
    server.listen(listen, listening);
    if (boot.tls !== undefined && boot.tls !== null) this.#listenTls(boot.tls, hooks, listening);
  }

  #listenTls(settings: TlsListenerSettings, hooks: ConnectionHooks, listening: () => void): void {
    const info: ListenerInfo = { port: String(settings.port), proto: 'https' };
    this.#tlsInfo = info;
    this.#tlsHooks = { ...hooks, handler: (req, res) => this.#proxy!.handle(req, res, info) };
    const tls = new TlsListener(settings, this.#wheel, (socket) => this.#secureConnection(socket));
    // h2 first: a client offering both gets HTTP/2 (as nginx with `http2 on`).
    if ((this.#boot.http2 ?? DEFAULT_HTTP2_SETTINGS).alpn) tls.alpn = ['h2', 'http/1.1'];
    this.#tls = tls;
    if (this.#state !== null) tls.table = this.#state.tls.sni;
    tls.net.once('error', (error) => {
      this.#log.fatal({ err: error }, 'TLS proxy listener failed');
      process.exitCode = 1;
      throw error;
    });
    tls.listen({ host: settings.host, port: settings.port, reusePort: this.#boot.reusePort ?? true, ...(settings.backlog === undefined ? {} : { backlog: settings.backlog }) }, listening);
  }

  /**
   * A TLS connection whose handshake is done, dispatched on the protocol ALPN chose: `h2` to the
   * worker's HTTP/2 sessions, anything else (http/1.1, or no ALPN) to the HTTP/1.1 connection code.
   */
  #secureConnection(socket: TLSSocket): void {
    const server = this.#server;
    if (server === null || this.#tlsHooks === null || this.#tlsInfo === null) return void socket.destroy();
    if (socket.alpnProtocol === 'h2') return this.#http2().adopt(socket, this.#tlsInfo, bridgeTls(socket));
    server.adopt(socket, this.#tlsHooks);
  }

  /** The worker's HTTP/2 sessions, made on first use (h2c, ALPN h2). */
  #http2(): H2Sessions<ListenerInfo> {
    if (this.#h2 !== null) return this.#h2;
    const boot = this.#boot;
    this.#h2 = new H2Sessions<ListenerInfo>(
      (req, res, listener) => this.#proxy!.handle(req, res, listener),
      boot.listenerLimits,
      boot.http2 ?? DEFAULT_HTTP2_SETTINGS,
      this.#wheel,
      boot.clientTimeouts.sendMs,
      this.#log,
    );
    return this.#h2;
  }

  #status(): unknown {
    const memory = process.memoryUsage();
    return {
      worker: this.#boot.index,
      generation: this.#boot.generation,
      version: this.version,
      configuration_hash: this.#state?.snapshot.hash ?? null,
      requests: this.#proxy?.requests ?? 0,
      in_flight: this.#proxy?.inFlight ?? 0,
      connections: { ...this.#connections },
      rebuilds: this.#rebuilds.counts,
      updates: this.#rebuilds.updates,
      config_applies: { ...this.#applies },
      upstream_pools: this.#connector.size,
      upstream: { ...this.#connector.counters, idle: this.#connector.idle },
      tls: this.#tls === null ? null : { ...this.#tls.stats, snis: this.#tls.table.size },
      websocket: { ...this.#targets.tunnels },
      http2: this.#h2 === null ? null : { ...this.#h2.stats },
      grpc: { ...this.#targets.grpc.counters, open: this.#targets.grpc.size },
      heap_used: memory.heapUsed,
      // Memory of this thread's ArrayBuffers (request bodies, socket reads): outside the V8 heap,
      // so heap_used does not show it (each worker thread has its own allocator).
      array_buffers: memory.arrayBuffers,
      gc: this.#gc.snapshot(),
    };
  }

  #answer(id: number, kind: QueryKind): void {
    if (kind === 'metrics') {
      this.#metrics.collect().then(
        (data) => this.#post({ type: 'reply', id, data }),
        (error: unknown) => this.#post({ type: 'reply', id, error: new SluiceError('SLUICE_ERR_WORKER_TIMEOUT', String(error)).toWire() }),
      );
      return;
    }
    try {
      const data = kind === 'status' ? this.#status() : kind === 'timers' ? this.#wheel.stats() : null;
      this.#post({ type: 'reply', id, data });
    } catch (error) {
      this.#post({ type: 'reply', id, error: new SluiceError('SLUICE_ERR_WORKER_TIMEOUT', String(error)).toWire() });
    }
  }

  /**
   * Lame duck, then exit: the listener stops accepting (already, after `stop-accepting`) and every
   * response on an open connection says `Connection: close`; a connection idle at the start is
   * closed only after `idleGraceMs` (--drain-idle-grace): a keep-alive client may have sent its
   * next request before it could learn of the drain, and closing at once fails that request
   * (nginx does; it is what made handovers drop requests). One answered with close ends right
   * after that response. Done when the last connection is gone, or at `timeoutMs` whatever is left.
   */
  #drain(timeoutMs: number, idleGraceMs: number): void {
    if (this.#draining) return;
    this.#draining = true;
    this.#log.info({ timeout_ms: timeoutMs, idle_grace_ms: idleGraceMs }, 'worker draining');
    const proxy = this.#proxy;
    const server = this.#server;
    const wheel = this.#wheel;
    if (proxy !== null) proxy.draining = true;
    let finished = false;
    let deadline = 0;
    let grace = 0;
    const done = (): void => {
      if (finished) return;
      finished = true;
      if (deadline !== 0) wheel.cancel(deadline);
      if (grace !== 0) wheel.cancel(grace);
      server?.closeAllConnections();
      this.#h2?.closeAll();
      this.#tls?.closeHandshakes();
      this.#connector.close();
      this.#targets.grpc.close();
      wheel.close();
      this.#gc.close();
      this.#post({ type: 'drained', inFlight: proxy?.inFlight ?? 0 });
      this.#port.close();
    };
    this.#tls?.close();
    if (server === null) return done();
    deadline = wheel.schedule('drain-deadline', Math.max(1, timeoutMs), done);
    grace = wheel.schedule('drain-idle-grace', Math.max(1, Math.min(idleGraceMs, timeoutMs)), () => {
      grace = 0;
      server.closeIdleConnections();
    });
    // Done when the HTTP/1 connections and the HTTP/2 sessions are all gone.
    const h2 = this.#h2;
    let waiting = h2 === null ? 1 : 2;
    const partDone = (): void => {
      if (--waiting === 0) done();
    };
    h2?.drain(partDone);
    server.drain(partDone);
  }
}

function toWire(error: unknown): WireError {
  if (error instanceof SluiceError) return error.toWire();
  return { code: 'SLUICE_ERR_CONFIG_APPLY_FAILED', message: error instanceof Error ? error.message : String(error) };
}
