// Runs on a worker thread: the worker's one prom-client Registry. Module state is per thread (each
// worker loads its own copy of this module), so this is "the registry of this worker"; the
// primary collects it over the MessagePort (query kind 'metrics') and merges all workers'.
import { Registry, type Metric } from 'prom-client';
import { KongRequestMetrics } from './kong.ts';
import type { SeriesCounter, SeriesHistogram } from './series.ts';

export const workerRegistry = new Registry();

let kong: KongRequestMetrics | null = null;

/**
 * Kong's per-request metrics, registered on first use: they appear in the scrape once a
 * `prometheus` plugin instance exists on this worker, as in Kong.
 */
export function kongRequestMetrics(): KongRequestMetrics {
  if (kong === null) {
    kong = new KongRequestMetrics();
    for (const metric of kong.all) registerSeriesMetric(metric);
  }
  return kong;
}

/**
 * Registers a series metric (series.ts). It implements prom-client's metric protocol but is not
 * one of prom-client's classes, which is all `Metric` names in the typings.
 */
export function registerSeriesMetric(metric: SeriesCounter | SeriesHistogram, registry: Registry = workerRegistry): void {
  registry.registerMetric(metric as unknown as Metric);
}
