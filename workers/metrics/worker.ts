// Runs on a worker thread: Sluice's own figures for this worker, always on (no plugin needed), in
// the worker's prom-client Registry next to Kong's per-request metrics. Every series carries a
// `worker` label: these are per-worker states (versions, heaps, loop lag) that a sum across
// workers would misstate, and per-worker counters whose sum is still one PromQL `sum()` away.
//
// Nothing here runs per request. The figures are read from their owners (state, proxy, timer
// wheel, rebuild counter) when the primary asks, in `collect`.
import { getHeapStatistics } from 'node:v8';
import type { GcCounts } from './gc-counts.ts';
import { monitorEventLoopDelay, performance, type EventLoopUtilization, type ELDHistogram } from 'node:perf_hooks';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { MetricJSON, MetricsReply, PackedMetric } from '../../runtime/protocol/messages.ts';
import type { RebuildCounter } from '../rebuilds.ts';
import type { H2Stats } from '../http2/sessions.ts';
import type { TunnelStats } from '../proxy/tunnel.ts';
import type { TimerWheel } from '../timers/wheel.ts';
import { workerRegistry } from './registry.ts';
import { SeriesCounter, SeriesHistogram } from './series.ts';

/** Where the figures come from; getters, because their owners are replaced over the worker's life. */
export interface WorkerSources {
  readonly index: number;
  /** The applied config, or null before the first. */
  config(): { version: number; hash: string } | null;
  requests(): number;
  inFlight(): number;
  /** Connections accepted on the proxy port (total) and open now (active). */
  connections(): { active: number; total: number };
  readonly rebuilds: RebuildCounter;
  readonly wheel: TimerWheel;
  /** The upstream connector's counters (workers/upstream/pool.ts). */
  upstream?(): UpstreamFigures;
  /** WebSocket tunnels (workers/proxy/tunnel.ts). */
  tunnels?(): TunnelStats;
  /** HTTP/2 sessions (workers/http2/sessions.ts), undefined when HTTP/2 is off. */
  http2?(): H2Stats | undefined;
  /** This thread's garbage collections (gc-counts.ts). */
  gc?(): GcCounts;
}

export interface UpstreamFigures {
  connects: number;
  reuses: number;
  keepaliveRetries: number;
  idle: number;
}

/** Seconds; a delta apply is usually well under a millisecond, a full rebuild of 10k routes ~100 ms. */
const APPLY_BUCKETS = [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const LOOP_DELAY_RESOLUTION_MS = 10;

export class WorkerMetrics {
  readonly registry: Registry;
  readonly #sources: WorkerSources;
  readonly #worker: string;
  readonly #loopDelay: ELDHistogram;
  #lastElu: EventLoopUtilization;

  readonly #configVersion: Gauge<'worker'>;
  readonly #configInfo: Gauge<'worker' | 'hash'>;
  readonly #applySeconds: Histogram<'worker' | 'kind'>;
  readonly #rebuilds: Counter<'worker' | 'component' | 'reason' | 'kind'>;
  readonly #updatedEntities: Counter<'worker' | 'component' | 'reason'>;
  readonly #timers: Gauge<'worker' | 'state'>;
  readonly #timerPending: Gauge<'worker' | 'name'>;
  readonly #timerRuns: Counter<'worker' | 'name'>;
  readonly #timerErrors: Counter<'worker' | 'name'>;
  readonly #loopDelaySeconds: Gauge<'worker' | 'stat'>;
  readonly #loopUtilization: Gauge<'worker'>;
  readonly #loopActive: Counter<'worker'>;
  readonly #heapUsed: Gauge<'worker'>;
  readonly #heapSize: Gauge<'worker'>;
  readonly #heapLimit: Gauge<'worker'>;
  readonly #gcRuns: Counter<'worker' | 'kind'>;
  readonly #gcFullPause: Counter<'worker'>;
  readonly #requests: Counter<'worker'>;
  readonly #inFlight: Gauge<'worker'>;
  readonly #accepted: Counter<'worker'>;
  readonly #active: Gauge<'worker'>;
  readonly #upstreamConnects: Counter<'worker'>;
  readonly #upstreamReuses: Counter<'worker'>;
  readonly #upstreamRetries: Counter<'worker'>;
  readonly #upstreamIdle: Gauge<'worker'>;
  readonly #tunnelsOpened: Counter<'worker'>;
  readonly #tunnelsActive: Gauge<'worker'>;
  readonly #tunnelsIdleClosed: Counter<'worker'>;
  readonly #tunnelBytes: Counter<'worker' | 'direction'>;
  readonly #h2Sessions: Counter<'worker'>;
  readonly #h2Active: Gauge<'worker'>;
  readonly #h2Streams: Counter<'worker'>;
  readonly #h2Resets: Counter<'worker'>;
  readonly #h2RapidReset: Counter<'worker'>;

  constructor(sources: WorkerSources, registry: Registry = workerRegistry) {
    this.registry = registry;
    this.#sources = sources;
    this.#worker = String(sources.index);
    this.#loopDelay = monitorEventLoopDelay({ resolution: LOOP_DELAY_RESOLUTION_MS });
    this.#loopDelay.enable();
    this.#lastElu = performance.eventLoopUtilization();
    const registers = [registry];

    this.#configVersion = new Gauge({ name: 'sluice_config_version', help: 'Config version this worker has applied (0: none yet)', labelNames: ['worker'], registers });
    this.#configInfo = new Gauge({ name: 'sluice_config_info', help: 'Always 1; `hash` is the configuration hash this worker has applied', labelNames: ['worker', 'hash'], registers });
    this.#applySeconds = new Histogram({
      name: 'sluice_config_apply_seconds',
      help: 'Time for this worker to build and swap in a new state (kind: full snapshot or delta)',
      labelNames: ['worker', 'kind'],
      buckets: APPLY_BUCKETS,
      registers,
    });
    this.#rebuilds = new Counter({
      name: 'sluice_rebuilds_total',
      help: 'Worker components following a config change, by component, the config groups that caused it, and kind (rebuilt: from the whole config; updated: edited in place for the changed entities)',
      labelNames: ['worker', 'component', 'reason', 'kind'],
      registers,
    });
    this.#updatedEntities = new Counter({
      name: 'sluice_rebuild_updated_entities_total',
      help: 'Entities that in-place updates (sluice_rebuilds_total{kind="updated"}) touched, by component and reason',
      labelNames: ['worker', 'component', 'reason'],
      registers,
    });
    this.#timers = new Gauge({ name: 'sluice_timers', help: "Timers on this worker's wheel by state (running, pending: due and not yet run, waiting: not yet due)", labelNames: ['worker', 'state'], registers });
    this.#timerPending = new Gauge({ name: 'sluice_timer_pending', help: 'Live timers of this name on this worker', labelNames: ['worker', 'name'], registers });
    this.#timerRuns = new Counter({ name: 'sluice_timer_runs_total', help: 'Timer callbacks run, failed ones included', labelNames: ['worker', 'name'], registers });
    this.#timerErrors = new Counter({ name: 'sluice_timer_errors_total', help: 'Timer callbacks that threw or rejected', labelNames: ['worker', 'name'], registers });
    this.#loopDelaySeconds = new Gauge({
      name: 'sluice_event_loop_delay_seconds',
      help: `Event-loop delay of this worker since the previous scrape (perf_hooks.monitorEventLoopDelay, ${LOOP_DELAY_RESOLUTION_MS} ms resolution)`,
      labelNames: ['worker', 'stat'],
      registers,
    });
    this.#loopUtilization = new Gauge({ name: 'sluice_event_loop_utilization', help: "Share of time this worker's event loop was busy since the previous scrape (0..1)", labelNames: ['worker'], registers });
    this.#loopActive = new Counter({ name: 'sluice_event_loop_active_seconds_total', help: "Time this worker's event loop has been busy; rate() of it is the utilization", labelNames: ['worker'], registers });
    this.#heapUsed = new Gauge({ name: 'sluice_worker_heap_used_bytes', help: "V8 heap in use by this worker's isolate", labelNames: ['worker'], registers });
    this.#heapSize = new Gauge({ name: 'sluice_worker_heap_size_bytes', help: "V8 heap reserved by this worker's isolate", labelNames: ['worker'], registers });
    this.#heapLimit = new Gauge({ name: 'sluice_worker_heap_limit_bytes', help: "V8 heap limit of this worker's isolate", labelNames: ['worker'], registers });
    this.#gcRuns = new Counter({ name: 'sluice_worker_gc_total', help: "Garbage collections of this worker's isolate: full (mark-compact) or minor (scavenge)", labelNames: ['worker', 'kind'], registers });
    this.#gcFullPause = new Counter({ name: 'sluice_worker_gc_full_pause_seconds_total', help: "Time this worker's event loop stood still in full collections (their final pause)", labelNames: ['worker'], registers });
    this.#requests = new Counter({ name: 'sluice_worker_requests_total', help: 'Requests received on the proxy port by this worker', labelNames: ['worker'], registers });
    this.#inFlight = new Gauge({ name: 'sluice_worker_requests_in_flight', help: 'Requests this worker is serving now', labelNames: ['worker'], registers });
    this.#accepted = new Counter({ name: 'sluice_worker_connections_accepted_total', help: 'Client connections accepted on the proxy port by this worker', labelNames: ['worker'], registers });
    this.#active = new Gauge({ name: 'sluice_worker_connections_active', help: 'Client connections open on this worker now', labelNames: ['worker'], registers });
    this.#upstreamConnects = new Counter({ name: 'sluice_upstream_connections_opened_total', help: 'Connections this worker opened to upstream targets', labelNames: ['worker'], registers });
    this.#upstreamReuses = new Counter({ name: 'sluice_upstream_requests_reused_total', help: 'Upstream requests sent on a kept-alive connection', labelNames: ['worker'], registers });
    this.#upstreamRetries = new Counter({
      name: 'sluice_upstream_keepalive_retries_total',
      help: 'Idempotent requests retried on a new connection after a kept-alive one failed before any response byte',
      labelNames: ['worker'],
      registers,
    });
    this.#upstreamIdle = new Gauge({ name: 'sluice_upstream_connections_idle', help: 'Idle kept-alive upstream connections of this worker', labelNames: ['worker'], registers });
    this.#tunnelsOpened = new Counter({ name: 'sluice_websocket_tunnels_total', help: 'WebSocket handshakes the upstream accepted (101 relayed) on this worker', labelNames: ['worker'], registers });
    this.#tunnelsActive = new Gauge({ name: 'sluice_websocket_tunnels_active', help: 'WebSocket tunnels open on this worker now', labelNames: ['worker'], registers });
    this.#tunnelsIdleClosed = new Counter({ name: 'sluice_websocket_idle_closed_total', help: 'WebSocket tunnels closed after the idle timeout (no byte either way)', labelNames: ['worker'], registers });
    this.#tunnelBytes = new Counter({
      name: 'sluice_websocket_bytes_total',
      help: 'Bytes relayed through WebSocket tunnels after the 101: ingress from clients, egress to clients',
      labelNames: ['worker', 'direction'],
      registers,
    });
    this.#h2Sessions = new Counter({ name: 'sluice_h2_sessions_total', help: 'HTTP/2 client connections (h2c and h2) this worker served', labelNames: ['worker'], registers });
    this.#h2Active = new Gauge({ name: 'sluice_h2_sessions_active', help: 'HTTP/2 client connections open on this worker now', labelNames: ['worker'], registers });
    this.#h2Streams = new Counter({ name: 'sluice_h2_streams_total', help: 'HTTP/2 streams (requests) this worker received', labelNames: ['worker'], registers });
    this.#h2Resets = new Counter({ name: 'sluice_h2_client_resets_total', help: 'HTTP/2 streams a client reset before their response ended', labelNames: ['worker'], registers });
    this.#h2RapidReset = new Counter({ name: 'sluice_h2_rapid_reset_closed_total', help: 'HTTP/2 connections closed (GOAWAY ENHANCE_YOUR_CALM) for resetting too many streams', labelNames: ['worker'], registers });
  }

  /** A new state was swapped in; `ms` is how long building it took. */
  configApplied(ms: number, full: boolean): void {
    this.#applySeconds.observe({ worker: this.#worker, kind: full ? 'full' : 'delta' }, ms / 1000);
  }

  /**
   * The answer to the primary's `metrics` query: the registry's getMetricsAsJSON(), with the large
   * per-request families packed (series.ts). Synchronous work only: the loop is busy `collectMs`.
   */
  async collect(): Promise<MetricsReply> {
    const started = performance.now();
    this.#refresh();
    const pending: Array<Promise<unknown>> = [];
    const packed: PackedMetric[] = [];
    for (const metric of this.registry.getMetricsAsArray()) {
      const m: unknown = metric;
      if (m instanceof SeriesCounter || m instanceof SeriesHistogram) packed.push(m.pack());
      else pending.push((metric as unknown as { get(): Promise<unknown> }).get());
    }
    const metrics = (await Promise.all(pending)) as MetricJSON[];
    return { metrics, packed, collectMs: performance.now() - started };
  }

  /** Reads every figure from its owner into the prom-client metrics above. */
  #refresh(): void {
    const worker = this.#worker;
    const labels = { worker };
    const sources = this.#sources;

    const config = sources.config();
    this.#configVersion.set(labels, config?.version ?? 0);
    this.#configInfo.reset();
    if (config !== null) this.#configInfo.set({ worker, hash: config.hash }, 1);

    this.#rebuilds.reset();
    this.#updatedEntities.reset();
    const { counts, updates } = sources.rebuilds;
    for (const component in counts) {
      const byReason = counts[component as keyof typeof counts];
      for (const reason in byReason) this.#rebuilds.inc({ worker, component, reason, kind: 'rebuilt' }, byReason[reason]!);
    }
    for (const component in updates) {
      const byReason = updates[component as keyof typeof updates];
      for (const reason in byReason) {
        const { times, entities } = byReason[reason]!;
        this.#rebuilds.inc({ worker, component, reason, kind: 'updated' }, times);
        this.#updatedEntities.inc({ worker, component, reason }, entities);
      }
    }

    const timers = sources.wheel.stats().stats;
    this.#timers.set({ worker, state: 'running' }, timers.sys.running);
    this.#timers.set({ worker, state: 'pending' }, timers.sys.pending);
    this.#timers.set({ worker, state: 'waiting' }, timers.sys.waiting);
    this.#timerPending.reset();
    this.#timerRuns.reset();
    this.#timerErrors.reset();
    for (const name in timers.timers) {
      const stats = timers.timers[name]!.stats;
      this.#timerPending.set({ worker, name }, stats.pending);
      this.#timerRuns.inc({ worker, name }, stats.runs);
      this.#timerErrors.inc({ worker, name }, stats.errors);
    }

    const delay = this.#loopDelay;
    const loopStats: Array<[string, number]> = [
      ['min', delay.min],
      ['mean', delay.mean],
      ['p50', delay.percentile(50)],
      ['p90', delay.percentile(90)],
      ['p99', delay.percentile(99)],
      ['max', delay.max],
    ];
    // The sampler records the time between its ticks, i.e. the resolution plus the delay: take the
    // resolution off. An empty window (no sample yet) reads NaN / 9.2e18: report nothing then.
    this.#loopDelaySeconds.reset();
    if (delay.count > 0) {
      for (const [stat, ns] of loopStats) this.#loopDelaySeconds.set({ worker, stat }, Math.max(0, ns / 1e6 - LOOP_DELAY_RESOLUTION_MS) / 1000);
    }
    delay.reset();

    const elu = performance.eventLoopUtilization();
    this.#loopUtilization.set(labels, performance.eventLoopUtilization(elu, this.#lastElu).utilization);
    this.#lastElu = elu;
    this.#loopActive.reset();
    this.#loopActive.inc(labels, elu.active / 1000);

    const heap = getHeapStatistics();
    this.#heapUsed.set(labels, heap.used_heap_size);
    this.#heapSize.set(labels, heap.total_heap_size);
    this.#heapLimit.set(labels, heap.heap_size_limit);
    const gc = sources.gc?.();
    if (gc !== undefined) {
      this.#gcRuns.reset();
      this.#gcRuns.inc({ worker, kind: 'full' }, gc.full);
      this.#gcRuns.inc({ worker, kind: 'minor' }, gc.minor);
      this.#gcFullPause.reset();
      this.#gcFullPause.inc(labels, gc.fullMs / 1000);
    }

    this.#requests.reset();
    this.#requests.inc(labels, sources.requests());
    this.#inFlight.set(labels, sources.inFlight());
    const connections = sources.connections();
    this.#accepted.reset();
    this.#accepted.inc(labels, connections.total);
    this.#active.set(labels, connections.active);
    const upstream = sources.upstream?.();
    if (upstream !== undefined) {
      this.#upstreamConnects.reset();
      this.#upstreamConnects.inc(labels, upstream.connects);
      this.#upstreamReuses.reset();
      this.#upstreamReuses.inc(labels, upstream.reuses);
      this.#upstreamRetries.reset();
      this.#upstreamRetries.inc(labels, upstream.keepaliveRetries);
      this.#upstreamIdle.set(labels, upstream.idle);
    }
    const tunnels = sources.tunnels?.();
    if (tunnels !== undefined) {
      this.#tunnelsOpened.reset();
      this.#tunnelsOpened.inc(labels, tunnels.opened);
      this.#tunnelsActive.set(labels, tunnels.active);
      this.#tunnelsIdleClosed.reset();
      this.#tunnelsIdleClosed.inc(labels, tunnels.idleClosed);
      this.#tunnelBytes.reset();
      this.#tunnelBytes.inc({ worker: this.#worker, direction: 'ingress' }, tunnels.bytesFromClient);
      this.#tunnelBytes.inc({ worker: this.#worker, direction: 'egress' }, tunnels.bytesFromUpstream);
    }
    const h2 = sources.http2?.();
    if (h2 !== undefined) {
      this.#h2Sessions.reset();
      this.#h2Sessions.inc(labels, h2.sessions);
      this.#h2Active.set(labels, h2.active);
      this.#h2Streams.reset();
      this.#h2Streams.inc(labels, h2.streams);
      this.#h2Resets.reset();
      this.#h2Resets.inc(labels, h2.clientResets);
      this.#h2RapidReset.reset();
      this.#h2RapidReset.inc(labels, h2.rapidResetClosed);
    }
  }

  /** Stops the loop-delay sampler (drain). */
  close(): void {
    this.#loopDelay.disable();
  }
}
