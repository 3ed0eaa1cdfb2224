// The `prometheus` plugin (worker thread), as Kong 3.x's: its log phase records the request into
// Kong's per-request metrics (kong_http_requests_total, the three latency histograms,
// kong_bandwidth_bytes), each family gated by its config switch. The figures live in the worker's
// registry (workers/metrics), shared by every instance of the plugin on this worker, and are
// scraped through the primary's /metrics on the Admin API or the status listener.
//
// `upstream_health_metrics` needs no per-request work: the primary exports
// kong_upstream_target_health from the config while any enabled prometheus plugin asks for it.
import { performance } from 'node:perf_hooks';
import { kongRequestMetrics } from '../../metrics/registry.ts';
import type { KongMetricSwitches, KongRequestMetrics } from '../../metrics/kong.ts';
import type { RequestContext } from '../../proxy/context.ts';
import type { PluginInstance } from '../types.ts';
import { definePlugin } from '../define.ts';
import { schema, type Config } from '../../../config/plugins/prometheus.ts';

class PrometheusInstance implements PluginInstance {
  readonly #metrics: KongRequestMetrics;
  readonly #on: KongMetricSwitches;

  constructor(config: Config) {
    this.#metrics = kongRequestMetrics();
    this.#on = {
      per_consumer: config.per_consumer === true,
      status_code_metrics: config.status_code_metrics === true,
      latency_metrics: config.latency_metrics === true,
      bandwidth_metrics: config.bandwidth_metrics === true,
    };
  }

  log(ctx: RequestContext): void {
    this.#metrics.record(ctx, this.#on, performance.now());
  }
}

export default definePlugin<Config>(schema, PrometheusInstance);
