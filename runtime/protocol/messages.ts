// The message protocol between the primary and each worker, over the worker's MessagePort.
// Both threads import this file; it holds types and tiny constructors only.
import type { Delta, Snapshot } from '../../config/types.ts';
import type { WireError } from './errors.ts';

/** Passed as `workerData` when the primary spawns a worker. */
export interface WorkerBoot {
  index: number;
  workerCount: number;
  /** Incremented each time slot `index` is respawned. */
  generation: number;
  proxyHost: string;
  proxyPort: number;
  versions: SharedArrayBuffer;
  /** Cross-worker counters (rate limiting); layout owned by workers/plugins/rate-limiting. */
  counters: SharedArrayBuffer;
  /** Diagnostic: rebuild every component on every change, as Kong does. */
  rebuildAll: boolean;
}

/** Things the primary may ask a worker; the worker answers with a `reply` carrying the same id. */
export type QueryKind = 'status' | 'metrics' | 'timers';

export type ToWorker =
  | { type: 'snapshot'; snapshot: Snapshot }
  | { type: 'delta'; delta: Delta }
  | { type: 'query'; id: number; kind: QueryKind }
  | { type: 'drain'; timeoutMs: number };

export type FromWorker =
  | { type: 'ready'; index: number; address: string }
  | { type: 'applied'; version: number; ms: number; full: boolean }
  | { type: 'need-snapshot'; have: number; got: number }
  | { type: 'reply'; id: number; data?: unknown; error?: WireError }
  | { type: 'drained'; inFlight: number };

/** One metric value as prom-client's `registry.getMetricsAsJSON()` gives it. */
export interface MetricValueJSON {
  value: number;
  labels: Readonly<Record<string, string | number>>;
  /** Set on histogram lines: `<name>_bucket`, `<name>_sum`, `<name>_count`. */
  metricName?: string;
}

/** One metric as prom-client's `registry.getMetricsAsJSON()` gives it. */
export interface MetricJSON {
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'histogram' | 'summary';
  /** How the primary merges this metric across workers (prom-client's AggregatorRegistry). */
  aggregator: 'sum' | 'first' | 'min' | 'max' | 'average' | 'omit';
  values: MetricValueJSON[];
}

/** A worker's answer to a `metrics` query. */
export interface MetricsReply {
  metrics: MetricJSON[];
  /** ms the worker's loop spent producing `metrics`: what a scrape costs the proxy on that worker. */
  collectMs: number;
}
