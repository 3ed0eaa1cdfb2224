// Runs on a worker thread: counters and histograms built for per-request recording.
//
// prom-client's Counter and Histogram hash the label object on every inc/observe (`.labels()`
// only binds that object, the hashing still happens per call). Here a series is looked up once —
// the caller caches it per (route, code) — and recording is a field increment. Each class speaks
// prom-client's metric protocol (`name`, `help`, `type`, `aggregator`, `get()`, `reset()`), is
// registered in the worker's prom-client Registry, and `get()` returns exactly what prom-client's
// own classes return, so `getMetricsAsJSON()` and `AggregatorRegistry.aggregate` on the primary
// treat these like any other metric.
//
// For the trip to the primary, `pack()` gives the same figures as a few flat arrays (PackedMetric):
// at 1k routes x 5 codes these families are ~57k lines, and cloning one object per line over the
// MessagePort would hold the worker's loop for tens of milliseconds per scrape.
import type { MetricJSON, MetricValueJSON, PackedMetric } from '../../runtime/protocol/messages.ts';

type Labels = Readonly<Record<string, string>>;

/**
 * A metric stops minting series past this many; further label sets share one series whose every
 * label reads OVERFLOW_LABEL. Bounds memory and scrape cost when a label (a consumer, a code) is
 * driven by clients.
 */
export const MAX_SERIES = 20_000;
export const OVERFLOW_LABEL = '(other)';

export class CounterSeries {
  value = 0;
  readonly labels: Labels;

  constructor(labels: Labels) {
    this.labels = labels;
  }
}

export class HistogramSeries {
  /** Non-cumulative count per bucket; the last slot counts values above the highest bound. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  readonly bounds: readonly number[];
  readonly labels: Labels;
  /** `labels` plus `le`, one object per bucket (+Inf last), made once so a scrape allocates none. */
  readonly bucketLabels: ReadonlyArray<Readonly<Record<string, string | number>>>;

  constructor(labels: Labels, bounds: readonly number[]) {
    this.labels = labels;
    this.bounds = bounds;
    this.counts = new Float64Array(bounds.length + 1);
    const bucketLabels: Array<Record<string, string | number>> = [];
    for (const le of bounds) bucketLabels.push(Object.freeze({ ...labels, le }));
    bucketLabels.push(Object.freeze({ ...labels, le: '+Inf' }));
    this.bucketLabels = bucketLabels;
  }

  observe(value: number): void {
    const bounds = this.bounds;
    let i = 0;
    // Prometheus buckets are `le`: a value equal to a bound belongs to that bound's bucket.
    while (i < bounds.length && value > bounds[i]!) i++;
    this.counts[i]!++;
    this.sum += value;
    this.count++;
  }
}

abstract class SeriesMetric<S extends { labels: Labels }> {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly string[];
  readonly aggregator = 'sum';
  readonly #series = new Map<string, S>();
  #overflow: S | null = null;
  /** Every series in creation order (the overflow series included): the order `pack` uses. */
  readonly #list: S[] = [];
  /**
   * PackedMetric.labels of #list: one JSON array per series, '\n'-joined (JSON escapes any '\n'
   * inside). Appended when a series is made, so a scrape never pays for it.
   */
  #labelText = '';

  constructor(name: string, help: string, labelNames: readonly string[]) {
    this.name = name;
    this.help = help;
    this.labelNames = labelNames;
  }

  protected abstract make(labels: Labels): S;

  /**
   * The series for these label values (one per label name, in order), created on first use.
   * Builds a key: callers on the hot path cache the series it returns.
   */
  series(values: readonly string[]): S {
    const key = JSON.stringify(values);
    const found = this.#series.get(key);
    if (found !== undefined) return found;
    if (values.length !== this.labelNames.length) throw new Error(`${this.name}: ${values.length} label values for ${this.labelNames.length} labels`);
    if (this.#series.size >= MAX_SERIES) {
      if (this.#overflow === null) {
        const overflow = this.labelNames.map(() => OVERFLOW_LABEL);
        this.#overflow = this.#fresh(overflow, JSON.stringify(overflow));
      }
      return this.#overflow;
    }
    const made = this.#fresh(values, key);
    this.#series.set(key, made);
    return made;
  }

  /** `row` is JSON.stringify(values): the series' key, and its line in PackedMetric.labels. */
  #fresh(values: readonly string[], row: string): S {
    const labels: Record<string, string> = {};
    for (let i = 0; i < this.labelNames.length; i++) labels[this.labelNames[i]!] = values[i]!;
    const made = this.make(Object.freeze(labels));
    this.#labelText += (this.#list.length === 0 ? '' : '\n') + row;
    this.#list.push(made);
    return made;
  }

  protected all(): readonly S[] {
    return this.#list;
  }

  protected packedLabels(): string {
    return this.#labelText;
  }

  get size(): number {
    return this.#list.length;
  }
}

export class SeriesCounter extends SeriesMetric<CounterSeries> {
  readonly type = 'counter';

  protected make(labels: Labels): CounterSeries {
    return new CounterSeries(labels);
  }

  get(): MetricJSON {
    const values: MetricValueJSON[] = [];
    for (const s of this.all()) values.push({ value: s.value, labels: s.labels });
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  /** Zeroes every series but keeps the objects, so references cached by callers stay valid. */
  reset(): void {
    for (const s of this.all()) s.value = 0;
  }

  pack(): PackedMetric {
    const list = this.all();
    const data = new Float64Array(list.length);
    for (let i = 0; i < list.length; i++) data[i] = list[i]!.value;
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, labelNames: [...this.labelNames], bounds: [], labels: this.packedLabels(), data };
  }
}

export class SeriesHistogram extends SeriesMetric<HistogramSeries> {
  readonly type = 'histogram';
  readonly bounds: readonly number[];
  readonly #bucketName: string;
  readonly #sumName: string;
  readonly #countName: string;

  constructor(name: string, help: string, labelNames: readonly string[], bounds: readonly number[]) {
    super(name, help, labelNames);
    this.bounds = Object.freeze([...bounds].sort((a, b) => a - b));
    this.#bucketName = `${name}_bucket`;
    this.#sumName = `${name}_sum`;
    this.#countName = `${name}_count`;
  }

  protected make(labels: Labels): HistogramSeries {
    return new HistogramSeries(labels, this.bounds);
  }

  get(): MetricJSON {
    const values: MetricValueJSON[] = [];
    const bucketName = this.#bucketName;
    for (const s of this.all()) {
      let cumulative = 0;
      for (let i = 0; i < s.bounds.length; i++) {
        cumulative += s.counts[i]!;
        values.push({ value: cumulative, labels: s.bucketLabels[i]!, metricName: bucketName });
      }
      values.push({ value: s.count, labels: s.bucketLabels[s.bounds.length]!, metricName: bucketName });
      values.push({ value: s.sum, labels: s.labels, metricName: this.#sumName });
      values.push({ value: s.count, labels: s.labels, metricName: this.#countName });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  reset(): void {
    for (const s of this.all()) {
      s.counts.fill(0);
      s.sum = 0;
      s.count = 0;
    }
  }

  pack(): PackedMetric {
    const list = this.all();
    const stride = this.bounds.length + 3;
    const data = new Float64Array(list.length * stride);
    for (let i = 0; i < list.length; i++) {
      const s = list[i]!;
      const o = i * stride;
      data.set(s.counts, o);
      data[o + stride - 2] = s.sum;
      data[o + stride - 1] = s.count;
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, labelNames: [...this.labelNames], bounds: [...this.bounds], labels: this.packedLabels(), data };
  }
}
