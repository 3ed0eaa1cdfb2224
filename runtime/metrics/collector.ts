// Primary thread: one /metrics scrape. Asks every worker for its registry over its MessagePort
// (supervisor.query('metrics') with a deadline: a dead or slow worker is reported, never awaited
// past it), merges the answers — prom-client's AggregatorRegistry for the registries' JSON
// (merge.ts), the same sum over label rows for the packed per-request families (packed.ts) —,
// adds the primary's own registry (primary.ts) and renders Prometheus text with prom-client.
//
// Cost on the proxy: each worker spends `collectMs` (sluice_worker_metrics_collect_seconds)
// producing its answer; everything else runs on the primary. Concurrent scrapes (the Admin API
// and the status listener at once) share one round trip.
import type { TargetHealthOf } from './upstream-health.ts';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Registry, type Metric } from 'prom-client';
import type { Snapshot } from '../../config/types.ts';
import type { MetricJSON, MetricsReply, PackedMetric } from '../protocol/messages.ts';
import type { QueryResult, Supervisor } from '../supervisor.ts';
import { Floors, aggregate, cumulativeOnly, registryJSON } from './merge.ts';
import { PackedMerge } from './packed.ts';
import { PrimaryMetrics, type WorkerScrape } from './primary.ts';
import { SharedCounters } from '../protocol/counters.ts';

/** How long a scrape waits for a worker. Prometheus' default scrape timeout is 10 s. */
export const WORKER_SCRAPE_TIMEOUT_MS = 1000;

export interface CollectorDeps {
  supervisor: Supervisor;
  snapshot: () => Snapshot;
  pool: { readonly stats: { threads: number; queueSize: number; completed: number } };
  version: string;
  nodeId?: string;
  workerTimeoutMs?: number;
  /** Target health from the shared upstream memory; without it every target is healthchecks_off. */
  health?: TargetHealthOf;
  /** The shared rate-limiting counters (runtime/protocol/counters.ts): their refusals are exported. */
  counters?: SharedArrayBuffer;
}

interface Answer {
  generation: number;
  metrics: MetricJSON[];
  packed: PackedMetric[];
}

export class MetricsCollector {
  readonly primary: PrimaryMetrics;
  readonly contentType = Registry.PROMETHEUS_CONTENT_TYPE;
  readonly #deps: CollectorDeps;
  readonly #timeoutMs: number;
  /** Per slot: its current worker's last answer (by generation). */
  readonly #last = new Map<number, Answer>();
  /** Counters and histograms of workers that were replaced, summed. */
  #retired: MetricJSON[] = [];
  #retiredPacked: PackedMetric[] = [];
  readonly #packed = new PackedMerge();
  readonly #floors = new Floors();
  #inflight: Promise<string> | null = null;
  readonly #counters: SharedCounters | null;

  constructor(deps: CollectorDeps) {
    this.#counters = deps.counters === undefined ? null : new SharedCounters(deps.counters);
    this.#deps = deps;
    this.#timeoutMs = deps.workerTimeoutMs ?? WORKER_SCRAPE_TIMEOUT_MS;
    this.primary = new PrimaryMetrics(deps.version, deps.nodeId ?? randomUUID());
  }

  /** The node's metrics in Prometheus text format. */
  scrape(): Promise<string> {
    if (this.#inflight !== null) return this.#inflight;
    const run = this.#scrape().finally(() => {
      this.#inflight = null;
    });
    this.#inflight = run;
    return run;
  }

  async #scrape(): Promise<string> {
    const started = performance.now();
    const { supervisor } = this.#deps;
    const generations = supervisor.slots.map((slot) => slot.generation);
    const replies = await supervisor.query('metrics', this.#timeoutMs);

    const sources: MetricJSON[][] = [];
    const packed = this.#packed;
    packed.begin();
    const scrapes: WorkerScrape[] = [];
    for (const reply of replies) {
      const generation = generations[reply.worker] ?? 0;
      const previous = this.#last.get(reply.worker);
      if (previous !== undefined && previous.generation < generation) {
        // The slot's worker was replaced: what the old one counted stays in every later total.
        this.#retire(previous);
        this.#last.delete(reply.worker);
      }
      const answer = replyData(reply);
      if (answer !== null) {
        this.#last.set(reply.worker, { generation, metrics: answer.metrics, packed: answer.packed });
        sources.push(answer.metrics);
        packed.add(answer.packed);
        scrapes.push({ worker: reply.worker, ok: true, collectMs: answer.collectMs });
      } else {
        const stale = this.#last.get(reply.worker);
        if (stale !== undefined) {
          sources.push(cumulativeOnly(stale.metrics));
          packed.add(stale.packed);
        }
        scrapes.push({ worker: reply.worker, ok: false, collectMs: null });
      }
    }
    if (this.#retired.length > 0) sources.push(this.#retired);
    packed.add(this.#retiredPacked);

    const merged = aggregate(sources);
    const families = packed.metrics();
    const familyRegistry = new Registry();
    for (const family of families) familyRegistry.registerMetric(family as unknown as Metric);
    const mergedJSON = [...registryJSON(merged), ...families];
    this.#floors.apply(mergedJSON);
    const snapshot = this.#deps.snapshot();
    this.primary.update(
      {
        slots: supervisor.slots,
        published: supervisor.versions.published,
        applied: (index) => supervisor.versions.applied(index),
        snapshot,
        pool: this.#deps.pool.stats,
        health: this.#deps.health,
        rateLimitTableFull: this.#counters?.refused ?? 0,
      },
      scrapes,
      mergedJSON,
      performance.now() - started,
    );
    return Registry.merge([familyRegistry, merged, this.primary.registry]).metrics();
  }

  #retire(old: Answer): void {
    this.#floors.arm();
    this.#retired = cumulativeOnly(registryJSON(aggregate([this.#retired, cumulativeOnly(old.metrics)])));
    const baseline = new PackedMerge();
    baseline.add(this.#retiredPacked);
    baseline.add(old.packed);
    this.#retiredPacked = baseline.packed();
  }
}

function replyData(reply: QueryResult): MetricsReply | null {
  if (reply.error !== undefined) return null;
  const data = reply.data as MetricsReply | null | undefined;
  if (data === null || data === undefined || !Array.isArray(data.metrics) || !Array.isArray(data.packed)) return null;
  return data;
}
