// One data-plane worker, once the primary has assigned it a slot (worker thread). nginx-style, each
// worker owns its own listener on the proxy port (reusePort: the kernel spreads connections), its
// own state, timer wheel and pools. It talks to the primary only through its MessagePort and the
// shared version memory.
import { Http1Server } from './http1/server.ts';
import type { MessagePort } from 'node:worker_threads';
import { applyDelta } from '../config/apply.ts';
import type { Delta, Snapshot } from '../config/types.ts';
import { SluiceError } from '../runtime/protocol/errors.ts';
import { createLogger } from '../runtime/protocol/log.ts';
import type { Assignment, FromWorker, QueryKind, ToWorker, WorkerBoot } from '../runtime/protocol/messages.ts';
import { VersionMemory } from '../runtime/protocol/shared-memory.ts';
import { WorkerMetrics } from './metrics/worker.ts';
import { PluginInstances } from './plugins/instances.ts';
import { createRegistry } from './plugins/registry.ts';
import type { PluginEnv } from './plugins/types.ts';
import { ClientTimeouts } from './proxy/client-timeouts.ts';
import { Dispatchers } from './proxy/dispatchers.ts';
import { Proxy } from './proxy/handler.ts';
import { RebuildCounter } from './rebuilds.ts';
import { buildState, liveOrigins, type StateDeps, type WorkerState } from './state.ts';
import { TimerWheel } from './timers/wheel.ts';

/** How long after a config change unused upstream pools are closed. */
const POOL_SWEEP_DELAY_MS = 30_000;

export function runWorker(port: MessagePort, shared: WorkerBoot, assignment: Assignment): void {
  const boot = { ...shared, ...assignment };
  const log = createLogger({ worker: boot.index });
  const versions = new VersionMemory(boot.versions);
  const wheel = new TimerWheel({ workerId: boot.index, workerCount: boot.workerCount, onError: (error, name) => log.error({ err: error, timer: name }, 'timer callback failed') });
  const rebuilds = new RebuildCounter();
  const dispatchers = new Dispatchers(wheel);
  const timeouts = new ClientTimeouts(wheel, boot.clientTimeouts);
  let state: WorkerState | null = null;
  let poolSweep: number | null = null;
  let proxy: Proxy | null = null;
  let server: Http1Server | null = null;
  const connections = { active: 0, total: 0 };
  const metrics = new WorkerMetrics({
    index: boot.index,
    config: () => (state === null ? null : { version: state.version, hash: state.snapshot.hash }),
    requests: () => proxy?.requests ?? 0,
    inFlight: () => proxy?.inFlight ?? 0,
    connections: () => connections,
    rebuilds,
    wheel,
  });

  const env: PluginEnv = {
    worker: boot.index,
    wheel,
    counters: boot.counters,
    credentials: () => state!.credentials,
    log,
  };
  const deps: StateDeps = { registry: createRegistry(), instances: new PluginInstances(log), env, rebuilds, rebuildAll: boot.rebuildAll, listenPort: boot.proxyPort };

  function post(message: FromWorker): void {
    port.postMessage(message);
  }

  /**
   * Builds the next state to the side, then swaps it in with one assignment. Snapshots (first boot,
   * gap recovery) go through the same gating as deltas: only a worker with no state builds it all.
   */
  function install(snapshot: Snapshot, full: boolean): void {
    const started = performance.now();
    const next = buildState(state, snapshot, deps);
    state = next;
    if (proxy === null) proxy = new Proxy(next, dispatchers, timeouts, { port: String(boot.proxyPort), proto: 'http' }, log);
    else proxy.swap(next);
    deps.instances.retain(snapshot);
    versions.setApplied(boot.index, snapshot.version);
    const ms = performance.now() - started;
    metrics.configApplied(ms, full);
    post({ type: 'applied', version: snapshot.version, ms, full });
    if (server === null) listen();
    // Connection pools to origins the new config no longer names are closed a while later, once,
    // however many changes arrive meanwhile (churning targets must not open and close pools).
    if (poolSweep === null) poolSweep = wheel.schedule('upstream-pool-sweep', POOL_SWEEP_DELAY_MS, sweepPools);
  }

  function sweepPools(): void {
    poolSweep = null;
    if (state !== null) dispatchers.retain(liveOrigins(state));
  }

  function onDelta(delta: Delta): void {
    if (state === null || delta.fromVersion !== state.version) {
      // Deltas apply strictly in order; on a gap the primary sends a full snapshot instead.
      post({ type: 'need-snapshot', have: state?.version ?? 0, got: delta.version });
      return;
    }
    install(applyDelta(state.snapshot, delta), false);
  }

  function listen(): void {
    // Node's own idle, header and request timers are off: the wheel keeps them (client-timeouts.ts).
    // Idle, header and body timeouts are on the wheel (client-timeouts.ts); malformed requests are
    // answered 400 by the connection itself (http1/connection.ts).
    server = new Http1Server(
      {
        handler: (req, res) => proxy!.handle(req, res),
        failed: (error) => log.error({ err: error }, 'proxy connection closed on an internal error'),
      },
      (socket) => {
        connections.active++;
        connections.total++;
        timeouts.connected(socket);
        socket.once('close', () => {
          connections.active--;
          timeouts.closed(socket);
        });
      },
    );
    server.net.once('error', (error) => {
      log.fatal({ err: error }, 'proxy listener failed');
      process.exitCode = 1;
      throw error;
    });
    server.listen({ host: boot.proxyHost, port: boot.proxyPort, reusePort: true }, () => {
      post({ type: 'ready', index: boot.index, address: `${boot.proxyHost}:${boot.proxyPort}` });
    });
  }

  function status(): unknown {
    const memory = process.memoryUsage();
    return {
      worker: boot.index,
      generation: boot.generation,
      version: state?.version ?? 0,
      configuration_hash: state?.snapshot.hash ?? null,
      requests: proxy?.requests ?? 0,
      in_flight: proxy?.inFlight ?? 0,
      connections: { ...connections },
      rebuilds: rebuilds.counts,
      updates: rebuilds.updates,
      upstream_pools: dispatchers.size,
      heap_used: memory.heapUsed,
    };
  }

  function answer(id: number, kind: QueryKind): void {
    if (kind === 'metrics') {
      metrics.collect().then(
        (data) => post({ type: 'reply', id, data }),
        (error: unknown) => post({ type: 'reply', id, error: new SluiceError('SLUICE_ERR_WORKER_TIMEOUT', String(error)).toWire() }),
      );
      return;
    }
    try {
      const data = kind === 'status' ? status() : kind === 'timers' ? wheel.stats() : null;
      post({ type: 'reply', id, data });
    } catch (error) {
      post({ type: 'reply', id, error: new SluiceError('SLUICE_ERR_WORKER_TIMEOUT', String(error)).toWire() });
    }
  }

  function drain(timeoutMs: number): void {
    if (proxy !== null) proxy.draining = true;
    const done = (): void => {
      void dispatchers.close();
      wheel.close();
      post({ type: 'drained', inFlight: proxy?.inFlight ?? 0 });
      port.close();
    };
    if (server === null) return done();
    server.close();
    server.closeIdleConnections();
    if (proxy === null || proxy.inFlight === 0) return done();
    // Idle keep-alive sockets are closed as soon as their response ends; the deadline bounds the rest.
    const deadline = wheel.schedule('drain-deadline', timeoutMs, done);
    proxy.onIdle = () => {
      wheel.cancel(deadline);
      server?.closeIdleConnections();
      done();
    };
  }

  port.on('message', (message: ToWorker) => {
    try {
      switch (message.type) {
        case 'snapshot':
          return install(message.snapshot, true);
        case 'delta':
          return onDelta(message.delta);
        case 'query':
          return answer(message.id, message.kind);
        case 'drain':
          return drain(message.timeoutMs);
      }
    } catch (error) {
      // A config this worker cannot apply must not take it down: keep serving the last good state.
      log.error({ err: error }, 'worker could not apply a config message');
      if (message.type === 'delta') post({ type: 'need-snapshot', have: state?.version ?? 0, got: message.delta.version });
    }
  });
}
