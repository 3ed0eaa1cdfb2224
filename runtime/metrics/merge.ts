// Primary thread: merging the workers' registries into one node-wide view.
//
// prom-client's AggregatorRegistry.aggregate does the merge: series with equal names and labels are
// combined by each metric's `aggregator` (sum for counters and histograms). Gauges that a sum would
// misstate carry a `worker` label, so each worker's series stays its own.
//
// What aggregate alone gets wrong for a long-lived node whose workers can die: a worker that is
// slow or gone takes its counters out of the sum, and the node total drops. Prometheus reads any
// drop as a counter reset and rate() spikes by the whole value. So (collector.ts) a worker that
// does not answer keeps contributing its last answered counters and histograms (not its gauges: a
// stale gauge would lie), and a replaced worker's last answer is folded into a `retired` baseline
// that stays in every later sum. Increments it made after its last answered scrape were never
// shown and are simply lost. Re-adding the same figures in another grouping can still move a float
// `_sum` down in its last bits: `Floors` holds such lines at what they showed until they catch up.
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

/**
 * A key for one exposed line: its name (with _bucket/_sum/_count) and its labels, order-free; with
 * the series' `sharedLabels` when the line carries them apart (packed.ts).
 */
export function lineKey(metricName: string, value: MetricValueJSON): string {
  const shared = (value as { sharedLabels?: MetricValueJSON['labels'] }).sharedLabels;
  const labels = shared === undefined ? value.labels : { ...shared, ...value.labels };
  const names = Object.keys(labels);
  if (names.length > 1) names.sort();
  let key = value.metricName ?? metricName;
  for (const name of names) key += `\u0001${name}\u0002${labels[name]}`;
  return key;
}

/**
 * Keeps cumulative lines from going down across a change of sources. Costs nothing until armed;
 * once armed, a line is held at what it showed before the change until it catches up, then let go.
 */
export class Floors {
  /** What the last scrape exposed. */
  #previous: readonly MetricJSON[] = [];
  /** metric name → line key → lowest value that line may show. */
  readonly #floors = new Map<string, Map<string, number>>();

  /** The sources are about to change shape (a worker retired): hold every cumulative line. */
  arm(): void {
    for (const metric of this.#previous) {
      if (metric.type !== 'counter' && metric.type !== 'histogram') continue;
      let lines = this.#floors.get(metric.name);
      if (lines === undefined) this.#floors.set(metric.name, (lines = new Map()));
      for (const value of metric.values) {
        const key = lineKey(metric.name, value);
        lines.set(key, Math.max(lines.get(key) ?? -Infinity, value.value));
      }
    }
  }

  /** Raises, in place, the held lines still below their floor; remembers what is exposed. */
  apply(metrics: readonly MetricJSON[]): void {
    if (this.#floors.size > 0) {
      for (const metric of metrics) {
        const lines = this.#floors.get(metric.name);
        if (lines === undefined) continue;
        for (const value of metric.values) {
          const key = lineKey(metric.name, value);
          const floor = lines.get(key);
          if (floor === undefined) continue;
          if (value.value < floor) value.value = floor;
          else lines.delete(key);
        }
        if (lines.size === 0) this.#floors.delete(metric.name);
      }
    }
    this.#previous = metrics;
  }

  /** Lines held now. */
  get size(): number {
    let n = 0;
    for (const lines of this.#floors.values()) n += lines.size;
    return n;
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
