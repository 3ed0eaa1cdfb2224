// Runs on a worker thread: Kong 3.x's per-request Prometheus metrics, with Kong's names, labels
// and buckets (kong/plugins/prometheus/exporter.lua), so Kong's official Grafana dashboard (7424)
// and existing alerts read Sluice unchanged. The `prometheus` plugin's log phase calls `record`.
//
// Kong's rules, kept here:
//   - nothing is recorded for a request with no Service (unmatched route, service-less route);
//   - service = service.name, else its host; route = route.name, else its id;
//   - source = "service" when the upstream's answer was relayed (kong.response.get_source() is
//     "service"), "kong" for everything the gateway produced itself: plugin exits and errors;
//   - consumer = the consumer's username (custom_id when there is none, Kong >= 3.11) only with
//     `per_consumer`, else "";
//   - workspace is always "default": Sluice, like Kong OSS in DB-less mode, has one workspace.
//
// Hot path: the series of a (route, service) pair are cached on one RouteSeries, found through a
// WeakMap keyed by the route object; the request-count series are cached per (code, source).
// Recording a request is two map lookups and a few increments; nothing is allocated once warm.
import type { Consumer, Route, Service } from '../../config/types.ts';
import type { RequestContext } from '../proxy/context.ts';
import { SeriesCounter, SeriesHistogram, type CounterSeries, type HistogramSeries } from './series.ts';

/** Kong's KONG_LATENCY_BUCKETS (ms). */
export const KONG_LATENCY_BUCKETS = [1, 2, 5, 7, 10, 15, 20, 30, 50, 75, 100, 200, 500, 750, 1000] as const;
/** Kong's UPSTREAM_LATENCY_BUCKETS (ms), also used for the total request latency. */
export const UPSTREAM_LATENCY_BUCKETS = [25, 50, 80, 100, 250, 400, 700, 1000, 2000, 5000, 10000, 30000, 60000] as const;

export const WORKSPACE = 'default';

/** Which figures a `prometheus` plugin instance records (its config switches). */
export interface KongMetricSwitches {
  per_consumer: boolean;
  status_code_metrics: boolean;
  latency_metrics: boolean;
  bandwidth_metrics: boolean;
}

/** Status nginx logs when the client went away before a response head was sent. */
const CLIENT_CLOSED = 499;

/** Every series one (route, service) pair records into, with consumer "". */
class RouteSeries {
  readonly service: Service;
  readonly serviceLabel: string;
  readonly routeLabel: string;
  /** key: code * 2 + (1 when source is "service"). */
  readonly requests = new Map<number, CounterSeries>();
  readonly kongLatency: HistogramSeries;
  readonly upstreamLatency: HistogramSeries;
  readonly requestLatency: HistogramSeries;
  readonly ingress: CounterSeries;
  readonly egress: CounterSeries;

  constructor(metrics: KongRequestMetrics, service: Service, serviceLabel: string, routeLabel: string) {
    this.service = service;
    this.serviceLabel = serviceLabel;
    this.routeLabel = routeLabel;
    const latencyLabels = [serviceLabel, routeLabel, WORKSPACE];
    this.kongLatency = metrics.kongLatency.series(latencyLabels);
    this.upstreamLatency = metrics.upstreamLatency.series(latencyLabels);
    this.requestLatency = metrics.requestLatency.series(latencyLabels);
    this.ingress = metrics.bandwidth.series([serviceLabel, routeLabel, 'ingress', WORKSPACE, '']);
    this.egress = metrics.bandwidth.series([serviceLabel, routeLabel, 'egress', WORKSPACE, '']);
  }
}

export class KongRequestMetrics {
  readonly requests = new SeriesCounter('kong_http_requests_total', 'HTTP status codes per consumer/service/route in Kong', [
    'service',
    'route',
    'code',
    'source',
    'workspace',
    'consumer',
  ]);
  readonly kongLatency = new SeriesHistogram(
    'kong_kong_latency_ms',
    'Latency added by Kong and enabled plugins for each service/route in Kong',
    ['service', 'route', 'workspace'],
    KONG_LATENCY_BUCKETS,
  );
  readonly upstreamLatency = new SeriesHistogram(
    'kong_upstream_latency_ms',
    'Latency added by upstream response for each service/route in Kong',
    ['service', 'route', 'workspace'],
    UPSTREAM_LATENCY_BUCKETS,
  );
  readonly requestLatency = new SeriesHistogram(
    'kong_request_latency_ms',
    'Total latency incurred during requests for each service/route in Kong',
    ['service', 'route', 'workspace'],
    UPSTREAM_LATENCY_BUCKETS,
  );
  readonly bandwidth = new SeriesCounter('kong_bandwidth_bytes', 'Total bandwidth (ingress/egress) throughput in bytes', [
    'service',
    'route',
    'direction',
    'workspace',
    'consumer',
  ]);
  readonly #byRoute = new WeakMap<Route, RouteSeries>();
  /** Requests whose route is null (a service matched some other way); rare, so keyed by label. */
  readonly #byServiceOnly = new WeakMap<Service, RouteSeries>();

  /** The prom-client metric objects, for registering in the worker's Registry. */
  get all(): ReadonlyArray<SeriesCounter | SeriesHistogram> {
    return [this.requests, this.kongLatency, this.upstreamLatency, this.requestLatency, this.bandwidth];
  }

  /** The log phase of one request. `now` is performance.now() at response close. */
  record(ctx: RequestContext, on: KongMetricSwitches, now: number): void {
    const service = ctx.service;
    if (service === null) return;
    const entry = this.#entry(ctx.route, service);
    const consumer = on.per_consumer && ctx.consumer !== null ? consumerLabel(ctx.consumer) : '';

    if (on.status_code_metrics) {
      const code = ctx.res.headersSent ? ctx.res.statusCode : CLIENT_CLOSED;
      const fromService = !ctx.exited && ctx.upstreamStatus !== 0;
      let series: CounterSeries | undefined;
      if (consumer === '') {
        const key = code * 2 + (fromService ? 1 : 0);
        series = entry.requests.get(key);
        if (series === undefined) {
          series = this.requests.series([entry.serviceLabel, entry.routeLabel, String(code), fromService ? 'service' : 'kong', WORKSPACE, '']);
          entry.requests.set(key, series);
        }
      } else {
        series = this.requests.series([entry.serviceLabel, entry.routeLabel, String(code), fromService ? 'service' : 'kong', WORKSPACE, consumer]);
      }
      series.value++;
    }

    if (on.latency_metrics) {
      // Kong: request = whole request; proxy (upstream) = from sending upstream to its response
      // head; kong = the log serializer's `kong` (plugins, routing, balancing, failed tries), i.e.
      // request - upstream - receive (relaying the body), or all of it when no upstream answered.
      const requestMs = now - ctx.startedAt;
      const upstreamMs = ctx.upstreamLatencyMs;
      entry.requestLatency.observe(requestMs);
      if (upstreamMs >= 0) {
        entry.upstreamLatency.observe(upstreamMs);
        const receiveMs = ctx.upstreamHeadAt > 0 ? now - ctx.upstreamHeadAt : 0;
        const kongMs = requestMs - upstreamMs - receiveMs;
        entry.kongLatency.observe(kongMs > 0 ? kongMs : 0);
      } else {
        entry.kongLatency.observe(requestMs);
      }
    }

    if (on.bandwidth_metrics) {
      const bytesIn = ctx.bytesIn;
      const bytesOut = ctx.bytesOut;
      if (consumer === '') {
        if (bytesIn > 0) entry.ingress.value += bytesIn;
        if (bytesOut > 0) entry.egress.value += bytesOut;
      } else {
        if (bytesIn > 0) this.bandwidth.series([entry.serviceLabel, entry.routeLabel, 'ingress', WORKSPACE, consumer]).value += bytesIn;
        if (bytesOut > 0) this.bandwidth.series([entry.serviceLabel, entry.routeLabel, 'egress', WORKSPACE, consumer]).value += bytesOut;
      }
    }
  }

  #entry(route: Route | null, service: Service): RouteSeries {
    if (route === null) {
      let entry = this.#byServiceOnly.get(service);
      if (entry === undefined) this.#byServiceOnly.set(service, (entry = new RouteSeries(this, service, serviceLabel(service), '')));
      return entry;
    }
    let entry = this.#byRoute.get(route);
    // A reconfigure may hand the same route object a different service (or a renamed one).
    if (entry === undefined || entry.service !== service) {
      entry = new RouteSeries(this, service, serviceLabel(service), route.name ?? route.id);
      this.#byRoute.set(route, entry);
    }
    return entry;
  }
}

function serviceLabel(service: Service): string {
  return service.name ?? service.host;
}

function consumerLabel(consumer: Consumer): string {
  return consumer.username ?? consumer.custom_id ?? '';
}
