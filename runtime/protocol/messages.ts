// The message protocol between the primary and each worker, over the worker's MessagePort.
// Both threads import this file; it holds types and tiny constructors only.
import type { Delta, Snapshot } from '../../config/types.ts';
import type { WireError } from './errors.ts';
import type { GatewayHeaderSettings } from './gateway-headers.ts';
import type { Http2Settings } from './http2-settings.ts';
import type { ListenerLimits } from './listener-limits.ts';
import type { TlsListenerSettings } from './tls-settings.ts';

/** Passed as `workerData` when the primary spawns a worker: what every worker shares. */
export interface WorkerBoot {
  workerCount: number;
  proxyHost: string;
  proxyPort: number;
  versions: SharedArrayBuffer;
  /** Cross-worker counters (rate limiting); layout owned by workers/plugins/rate-limiting. */
  counters: SharedArrayBuffer;
  /** Per-target in-flight counts and health (runtime/protocol/upstream-memory.ts). */
  upstreams: SharedArrayBuffer;
  /** DNS answers of upstream target names, written by the one resolving thread (dns-memory.ts). */
  dns: SharedArrayBuffer;
  /** Diagnostic: rebuild every component on every change, as Kong does. */
  rebuildAll: boolean;
  clientTimeouts: ClientTimeoutSettings;
  upstreamTls: UpstreamTlsBoot;
  /** Listen with SO_REUSEPORT; false where the platform lacks it (then there is one worker). Absent: true. */
  reusePort?: boolean;
  /** listen(2) backlog of the proxy socket (Kong's `backlog=N`); absent: Node's default. */
  proxyBacklog?: number;
  listenerLimits: ListenerLimits;
  /** The syslog plugin's unix datagram socket (--syslog-socket); absent: /dev/log. */
  syslogSocket?: string;
  /** HTTP/2 on the proxy listeners (runtime/protocol/http2-settings.ts); absent: the defaults. */
  http2?: Http2Settings;
  /** The TLS proxy listener (every worker runs one); absent or null: none. */
  tls?: TlsListenerSettings | null;
  /** Kong's `headers` / `headers_upstream` (gateway-headers.ts); absent: Kong's defaults. */
  gatewayHeaders?: GatewayHeaderSettings;
}

/** TLS to https upstreams (workers/proxy/targets.ts). */
export interface UpstreamTlsBoot {
  /** Verify certificates when a service's tls_verify is null (Kong's proxy_ssl_verify). */
  verify: boolean;
  /** PEM of --upstream-trusted-ca (Kong's lua_ssl_trusted_certificate), or null: the system store. */
  trustedCa: string | null;
}

/** The proxy listener's client timeouts (workers/proxy/client-timeouts.ts), in ms. */
export interface ClientTimeoutSettings {
  /** A connection with no request in progress must complete a request head within this (nginx keepalive_timeout, client_header_timeout). */
  idleMs: number;
  /** A request body may make no progress for this long (nginx client_body_timeout); then 408. */
  bodyMs: number;
  /** A client that takes no bytes of its pending output for this long is closed (nginx send_timeout). */
  sendMs: number;
}

/**
 * Which slot a loaded worker takes; sent once, as its first message, and only after the worker said
 * `loaded`. The current config snapshot follows it; deltas follow that.
 */
export interface Assignment {
  index: number;
  /** Incremented each time slot `index` gets a new thread. */
  generation: number;
}

/** Things the primary may ask a worker; the worker answers with a `reply` carrying the same id. */
export type QueryKind = 'status' | 'metrics' | 'timers';

export type ToWorker =
  | ({ type: 'assign' } & Assignment)
  | { type: 'snapshot'; snapshot: Snapshot }
  | { type: 'delta'; delta: Delta }
  | { type: 'query'; id: number; kind: QueryKind }
  | { type: 'stop-accepting' }
  | { type: 'drain'; timeoutMs: number; idleGraceMs: number }
  /** SIGUSR1 reached the primary: logging plugins open their files anew (logrotate). */
  | { type: 'reopen-logs' };

export type FromWorker =
  | { type: 'loaded' }
  | { type: 'ready'; index: number; address: string }
  | { type: 'applied'; version: number; ms: number; full: boolean }
  | { type: 'need-snapshot'; have: number; got: number }
  /** A snapshot of `version` could not be applied; the worker still serves `have` (0: nothing). */
  | { type: 'apply-failed'; version: number; have: number; error: WireError }
  | { type: 'reply'; id: number; data?: unknown; error?: WireError }
  | { type: 'not-accepting' }
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

/** A worker's answer to a `metrics` query: its registry, as getMetricsAsJSON() gives it, in two parts. */
export interface MetricsReply {
  metrics: MetricJSON[];
  /** The registry's large families, packed (see PackedMetric). */
  packed: PackedMetric[];
  /** ms the worker's loop spent producing this answer: what a scrape costs the proxy on that worker. */
  collectMs: number;
}

/**
 * A large metric family (Kong's per-request metrics) in transit: the same figures as its
 * `getMetricsAsJSON()` entry, packed so that cloning it over the MessagePort costs the worker a few
 * copies instead of one object per line. The primary unpacks it into prom-client's JSON.
 */
export interface PackedMetric {
  name: string;
  help: string;
  type: 'counter' | 'histogram';
  aggregator: MetricJSON['aggregator'];
  labelNames: string[];
  /** Histograms: the upper bounds, ascending, +Inf implied. */
  bounds: number[];
  /** One JSON array of label values per series, in `labelNames` order, joined by '\n'. */
  labels: string;
  /**
   * Per series, in `labels` order: counters one value; histograms one non-cumulative count per
   * bucket (bounds.length + 1, the last above the highest bound), then sum, then count.
   */
  data: Float64Array;
}
