// Primary thread: the metrics only the primary can give, in the primary's own prom-client
// Registry, exposed once and never summed across workers:
//   - process_* and nodejs_* (collectDefaultMetrics): process-wide figures — CPU, RSS, file
//     descriptors — belong to the process, not to a thread; the nodejs_* heap and loop figures
//     here are the primary's (each worker's are sluice_worker_heap_* / sluice_event_loop_*);
//   - supervision: workers, restarts, scrape health, the piscina pool;
//   - Kong's node-level metrics (kong_node_info, kong_nginx_*, kong_datastore_reachable,
//     kong_upstream_target_health, kong_data_plane_config_hash), derived from the config and from
//     the workers' merged figures.
import { hostname, networkInterfaces } from 'node:os';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { Snapshot } from '../../config/types.ts';
import type { MetricJSON } from '../protocol/messages.ts';
import type { WorkerSlot } from '../supervisor.ts';
import { total } from './merge.ts';
import { targetHealthLines, upstreamHealthWanted, type TargetHealthOf } from './upstream-health.ts';

/** What one scrape learnt about each worker slot. */
export interface WorkerScrape {
  worker: number;
  ok: boolean;
  /** ms the worker spent producing its answer, when it answered. */
  collectMs: number | null;
}

export interface PrimaryView {
  slots: readonly WorkerSlot[];
  published: number;
  applied: (index: number) => number;
  snapshot: Snapshot;
  pool: { threads: number; queueSize: number; completed: number };
  health?: TargetHealthOf | undefined;
  /** Rate-limiting requests that found the shared counter table full (all workers, since start). */
  rateLimitTableFull: number;
}

export class PrimaryMetrics {
  readonly registry = new Registry();
  readonly nodeId: string;
  readonly #subsystem = 'http';
  readonly #workers: Gauge<'state'>;
  readonly #restarts: Counter<'worker'>;
  readonly #scrapeOk: Gauge<'worker'>;
  readonly #scrapeErrors: Counter<'worker'>;
  readonly #collectSeconds: Gauge<'worker'>;
  readonly #scrapeSeconds: Gauge;
  readonly #published: Gauge;
  readonly #converged: Gauge;
  readonly #poolThreads: Gauge;
  readonly #poolQueue: Gauge;
  readonly #poolCompleted: Counter;
  readonly #rateLimitTableFull: Counter;
  readonly #kongConnections: Gauge<'node_id' | 'subsystem' | 'state'>;
  readonly #kongRequests: Gauge<'node_id' | 'subsystem'>;
  readonly #kongTimers: Gauge<'state'>;
  readonly #kongMetricErrors: Counter;
  readonly #kongConfigHash: Gauge<'node_id' | 'hostname' | 'ip'>;
  readonly #kongTargetHealth: Gauge<'upstream' | 'target' | 'address' | 'state' | 'subsystem'>;
  readonly #kongConfigHashLabels: { node_id: string; hostname: string; ip: string };
  readonly #errorsByWorker = new Map<number, number>();
  #errorsTotal = 0;

  constructor(version: string, nodeId: string) {
    this.nodeId = nodeId;
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });

    this.#workers = new Gauge({ name: 'sluice_workers', help: 'Worker slots by state: configured, running (thread alive), ready (listening)', labelNames: ['state'], registers });
    this.#restarts = new Counter({ name: 'sluice_worker_restarts_total', help: 'Times the supervisor replaced this worker slot (crash or DELETE /workers/N)', labelNames: ['worker'], registers });
    this.#scrapeOk = new Gauge({ name: 'sluice_worker_scrape_ok', help: '1 when this worker answered the last metrics scrape in time, else 0 (its counters then show their last answered values)', labelNames: ['worker'], registers });
    this.#scrapeErrors = new Counter({ name: 'sluice_scrape_worker_errors_total', help: 'Metrics scrapes this worker slot did not answer in time (dead, starting or slow)', labelNames: ['worker'], registers });
    this.#collectSeconds = new Gauge({ name: 'sluice_worker_metrics_collect_seconds', help: "Time the worker's event loop spent producing its metrics at the last scrape", labelNames: ['worker'], registers });
    this.#scrapeSeconds = new Gauge({ name: 'sluice_scrape_duration_seconds', help: 'Time to query the workers and merge their metrics, this scrape (text formatting excluded)', registers });
    this.#published = new Gauge({ name: 'sluice_config_published_version', help: 'Config version the primary has published to the workers', registers });
    this.#converged = new Gauge({ name: 'sluice_config_converged', help: '1 when every running worker has applied the published config version', registers });
    this.#poolThreads = new Gauge({ name: 'sluice_pool_threads', help: "Threads in the primary's piscina pool (config preparation)", registers });
    this.#poolQueue = new Gauge({ name: 'sluice_pool_queue_size', help: "Tasks waiting in the primary's piscina pool", registers });
    this.#poolCompleted = new Counter({ name: 'sluice_pool_tasks_completed_total', help: "Tasks the primary's piscina pool has completed", registers });

    this.#rateLimitTableFull = new Counter({
      name: 'sluice_rate_limiting_table_full_total',
      help: 'Rate-limiting requests whose key found no slot in the shared counter table (see --rate-limit-slots); they passed uncounted, or got 500 without fault_tolerant',
      registers,
    });

    const kongInfo = new Gauge({ name: 'kong_node_info', help: 'Kong Node metadata information', labelNames: ['node_id', 'version'], registers });
    kongInfo.set({ node_id: nodeId, version }, 1);
    const reachable = new Gauge({ name: 'kong_datastore_reachable', help: 'Datastore reachable from Kong, 0 is unreachable (always 1: DB-less)', registers });
    reachable.set(1);
    this.#kongConnections = new Gauge({ name: 'kong_nginx_connections_total', help: 'Number of connections by subsystem', labelNames: ['node_id', 'subsystem', 'state'], registers });
    this.#kongRequests = new Gauge({ name: 'kong_nginx_requests_total', help: 'Number of requests total', labelNames: ['node_id', 'subsystem'], registers });
    this.#kongTimers = new Gauge({ name: 'kong_nginx_timers', help: 'Number of timers on the workers\' timer wheels, by state', labelNames: ['state'], registers });
    this.#kongMetricErrors = new Counter({ name: 'kong_nginx_metric_errors_total', help: 'Number of worker metric collections that failed (see sluice_scrape_worker_errors_total)', registers });
    this.#kongConfigHash = new Gauge({ name: 'kong_data_plane_config_hash', help: 'Config hash numeric value of the data plane (this node)', labelNames: ['node_id', 'hostname', 'ip'], registers });
    this.#kongTargetHealth = new Gauge({
      name: 'kong_upstream_target_health',
      help: 'Health status of targets of upstream. States = healthchecks_off|healthy|unhealthy|dns_error, value is 1 when state is populated.',
      labelNames: ['upstream', 'target', 'address', 'state', 'subsystem'],
      registers,
    });
    this.#kongConfigHashLabels = { node_id: nodeId, hostname: hostname(), ip: firstAddress() };
  }

  /** Sets every primary figure for this scrape. `merged` is the workers' aggregated metrics. */
  update(view: PrimaryView, scrapes: readonly WorkerScrape[], merged: readonly MetricJSON[], scrapeMs: number): void {
    const { slots } = view;
    this.#workers.set({ state: 'configured' }, slots.length);
    this.#workers.set({ state: 'running' }, slots.filter((s) => s.worker !== null).length);
    this.#workers.set({ state: 'ready' }, slots.filter((s) => s.worker !== null && s.ready).length);
    this.#restarts.reset();
    for (const slot of slots) this.#restarts.inc({ worker: String(slot.index) }, slot.restarts);

    this.#scrapeOk.reset();
    this.#collectSeconds.reset();
    for (const scrape of scrapes) {
      const worker = String(scrape.worker);
      this.#scrapeOk.set({ worker }, scrape.ok ? 1 : 0);
      if (scrape.collectMs !== null) this.#collectSeconds.set({ worker }, scrape.collectMs / 1000);
      if (!scrape.ok) {
        this.#errorsByWorker.set(scrape.worker, (this.#errorsByWorker.get(scrape.worker) ?? 0) + 1);
        this.#errorsTotal++;
      }
    }
    this.#scrapeErrors.reset();
    for (const slot of slots) this.#scrapeErrors.inc({ worker: String(slot.index) }, this.#errorsByWorker.get(slot.index) ?? 0);
    this.#kongMetricErrors.reset();
    this.#kongMetricErrors.inc(this.#errorsTotal);
    this.#scrapeSeconds.set(scrapeMs / 1000);

    this.#published.set(view.published);
    const converged = slots.every((s) => s.worker === null || view.applied(s.index) >= view.published);
    this.#converged.set(converged ? 1 : 0);
    this.#poolThreads.set(view.pool.threads);
    this.#poolQueue.set(view.pool.queueSize);
    this.#poolCompleted.reset();
    this.#poolCompleted.inc(view.pool.completed);
    this.#rateLimitTableFull.reset();
    this.#rateLimitTableFull.inc(view.rateLimitTableFull);

    // Kong's nginx figures, from the workers' own. `total` is requests, a Kong quirk kept because
    // its dashboard charts it as "Total Connections"; `reading` is not exported: Node parses the
    // request head before the application sees the connection, so it cannot be counted honestly.
    const accepted = total(merged, 'sluice_worker_connections_accepted_total');
    const active = total(merged, 'sluice_worker_connections_active');
    const requests = total(merged, 'sluice_worker_requests_total');
    const writing = total(merged, 'sluice_worker_requests_in_flight');
    const node = { node_id: this.nodeId, subsystem: this.#subsystem };
    this.#kongConnections.set({ ...node, state: 'accepted' }, accepted);
    this.#kongConnections.set({ ...node, state: 'handled' }, accepted);
    this.#kongConnections.set({ ...node, state: 'total' }, requests);
    this.#kongConnections.set({ ...node, state: 'active' }, active);
    this.#kongConnections.set({ ...node, state: 'writing' }, writing);
    this.#kongConnections.set({ ...node, state: 'waiting' }, Math.max(0, active - writing));
    this.#kongRequests.set(node, requests);
    this.#kongTimers.set({ state: 'running' }, total(merged, 'sluice_timers', (l) => l.state === 'running'));
    this.#kongTimers.set({ state: 'pending' }, total(merged, 'sluice_timers', (l) => l.state !== 'running'));

    this.#kongConfigHash.set(this.#kongConfigHashLabels, hashNumber(view.snapshot.hash));
    this.#kongTargetHealth.reset();
    if (upstreamHealthWanted(view.snapshot)) {
      for (const line of targetHealthLines(view.snapshot, view.health)) {
        this.#kongTargetHealth.set({ upstream: line.upstream, target: line.target, address: line.address, state: line.state, subsystem: this.#subsystem }, line.value);
      }
    }
  }
}

/**
 * Kong's config_hash_to_number: the hex digest read as one number. Kong's md5 is 32 hex digits;
 * Sluice's sha256 is 64, so the first 32 are used. A float keeps the top 53 bits: enough to tell
 * configs apart on a graph. The exact hash is sluice_config_info{hash}.
 */
export function hashNumber(hash: string): number {
  const hex = hash.slice(0, 32);
  return /^[0-9a-f]+$/i.test(hex) ? Number(BigInt(`0x${hex}`)) : 0;
}

function firstAddress(): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const info of list ?? []) if (info.family === 'IPv4' && !info.internal) return info.address;
  }
  return '127.0.0.1';
}
