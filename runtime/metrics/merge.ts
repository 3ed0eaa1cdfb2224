// Primary thread: merging the workers' registries into one node-wide view.
//
// prom-client's AggregatorRegistry.aggregate does the merge: series with equal names and labels are
// combined by each metric's `aggregator` (sum for counters and histograms). Gauges that a sum would
// misstate carry a `worker` label, so each worker's series stays its own.
//
// Two things aggregate alone gets wrong for a long-lived node whose workers can die:
//   - a worker that is slow or gone takes its counters out of the sum, and the node total drops:
//     Prometheus reads any drop as a counter reset and rate() spikes by the whole value. So a
//     worker that does not answer keeps contributing its last answered counters and histograms
//     (not its gauges: a stale gauge would lie), and a replaced worker's last answer is folded
//     into a `retired` baseline that stays in every later sum;
//   - increments a worker made after its last answered scrape are lost with it. The `Floors` keep
//     every counter and histogram line from ever going below what was already exposed.
import { AggregatorRegistry, type Registry } from 'prom-client';
import type { MetricJSON, MetricValueJSON } from '../protocol/messages.ts';

/** Merges per-source metric lists with prom-client's AggregatorRegistry. */
export function aggregate(sources: readonly (readonly MetricJSON[])[]): Registry {
  return AggregatorRegistry.aggregate(sources as unknown as object[]);
}

/** The metrics of an aggregated registry as plain JSON (aggregate's wrappers hold their values). */
export function registryJSON(registry: Registry): MetricJSON[] {
  return registry.getMetricsAsArray().map((m) => {
    const metric = m as unknown as MetricJSON;
    return { name: metric.name, help: metric.help, type: metric.type, aggregator: metric.aggregator, values: metric.values };
  });
}

/** Counters and histograms only: the figures that are cumulative and may outlive their worker. */
export function cumulativeOnly(metrics: readonly MetricJSON[]): MetricJSON[] {
  return metrics.filter((m) => m.type === 'counter' || m.type === 'histogram');
}

/** A key for one exposed line: its name (with _bucket/_sum/_count) and its labels, order-free. */
export function lineKey(metricName: string, value: MetricValueJSON): string {
  const labels = value.labels;
  const names = Object.keys(labels);
  if (names.length > 1) names.sort();
  let key = value.metricName ?? metricName;
  for (const name of names) key += `\u0001${name}\u0002${labels[name]}`;
  return key;
}

/** The lowest value each cumulative line may show again: what it showed last. */
export class Floors {
  readonly #floor = new Map<string, number>();

  /** Raises, in place, every counter or histogram line that fell below what it showed before. */
  apply(metrics: readonly MetricJSON[]): void {
    const floor = this.#floor;
    for (const metric of metrics) {
      if (metric.type !== 'counter' && metric.type !== 'histogram') continue;
      for (const value of metric.values) {
        const key = lineKey(metric.name, value);
        const seen = floor.get(key);
        if (seen !== undefined && value.value < seen) value.value = seen;
        else floor.set(key, value.value);
      }
    }
  }

  get size(): number {
    return this.#floor.size;
  }
}

/** Sum of every line of `name` (all label sets), or 0 when absent. Only for un-suffixed metrics. */
export function total(metrics: readonly MetricJSON[], name: string, where?: (labels: MetricValueJSON['labels']) => boolean): number {
  let sum = 0;
  for (const metric of metrics) {
    if (metric.name !== name) continue;
    for (const value of metric.values) if (where === undefined || where(value.labels)) sum += value.value;
  }
  return sum;
}
