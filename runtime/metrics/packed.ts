// Primary thread: merging the workers' packed metric families (Kong's per-request metrics; see
// PackedMetric in runtime/protocol/messages.ts) into prom-client metric objects.
//
// The sum is the one AggregatorRegistry.aggregate applies to counters and histograms, but keyed by
// the packed label rows instead of hashing one label object per line per worker: at 1k routes x 5
// codes that is ~57k lines per worker, and aggregate spent most of a scrape there.
//
// Lines are handed to prom-client's renderer as its own Histogram does (getForPromString): the
// series' labels as `sharedLabels`, made once per series and reused by every later scrape so the
// renderer's shared-label cache formats them once, and only what differs per line (`le`) in
// `labels`. `get()` gives the usual JSON, every label in `labels`.
import type { MetricJSON, MetricValueJSON, PackedMetric } from '../protocol/messages.ts';

type Labels = Readonly<Record<string, string>>;
type LineLabels = Readonly<Record<string, string | number>>;

const NO_LABELS: Labels = Object.freeze({});

interface Family {
  meta: PackedMetric;
  stride: number;
  /** label row → summed data for this scrape. */
  rows: Map<string, Float64Array>;
}

/** A value line as prom-client renders it: `labels` beyond the series' `sharedLabels`. */
export interface PromLine extends MetricValueJSON {
  sharedLabels: Labels;
}

/** What the output Registry holds for a merged family: prom-client's metric protocol. */
export interface MergedFamily extends MetricJSON {
  get(): MetricJSON;
  getForPromString(): MetricJSON;
}

export class PackedMerge {
  /** family → label row → the series' labels, made once for the collector's life. */
  readonly #labels = new Map<string, Map<string, Labels>>();
  /** family → `{ le }` per bound then +Inf, shared by every series of the family. */
  readonly #le = new Map<string, LineLabels[]>();
  #families = new Map<string, Family>();

  /** Starts a new merge; label objects are kept. */
  begin(): void {
    this.#families = new Map();
  }

  /** Adds one source's families into the sums. */
  add(sources: readonly PackedMetric[]): void {
    for (const packed of sources) {
      const stride = packed.type === 'histogram' ? packed.bounds.length + 3 : 1;
      let family = this.#families.get(packed.name);
      if (family === undefined) this.#families.set(packed.name, (family = { meta: packed, stride, rows: new Map() }));
      if (family.stride !== stride) throw new Error(`packed metric ${packed.name}: workers disagree on its buckets`);
      const rows = packed.labels === '' ? [] : packed.labels.split('\n');
      if (rows.length * stride !== packed.data.length) throw new Error(`packed metric ${packed.name}: ${rows.length} series but ${packed.data.length} values`);
      const data = packed.data;
      for (let i = 0; i < rows.length; i++) {
        const row = rows[i]!;
        const sum = family.rows.get(row);
        if (sum === undefined) family.rows.set(row, data.slice(i * stride, (i + 1) * stride));
        else for (let j = 0, o = i * stride; j < stride; j++) sum[j]! += data[o + j]!;
      }
    }
  }

  /** The sums as PackedMetric (to keep as a baseline, or to send on). */
  packed(): PackedMetric[] {
    const out: PackedMetric[] = [];
    for (const family of this.#families.values()) {
      const data = new Float64Array(family.rows.size * family.stride);
      let i = 0;
      for (const sum of family.rows.values()) data.set(sum, i++ * family.stride);
      out.push({ ...family.meta, labels: [...family.rows.keys()].join('\n'), data });
    }
    return out;
  }

  /** The sums as prom-client metric objects, for a Registry. */
  metrics(): MergedFamily[] {
    const out: MergedFamily[] = [];
    for (const family of this.#families.values()) {
      const { meta, stride } = family;
      const bucketName = `${meta.name}_bucket`;
      const sumName = `${meta.name}_sum`;
      const countName = `${meta.name}_count`;
      const le = this.#leLabels(meta);
      const values: PromLine[] = [];
      for (const [row, sum] of family.rows) {
        const shared = this.#series(meta, row);
        if (meta.type === 'counter') {
          values.push({ value: sum[0]!, labels: NO_LABELS, sharedLabels: shared });
          continue;
        }
        let cumulative = 0;
        for (let b = 0; b < meta.bounds.length; b++) {
          cumulative += sum[b]!;
          values.push({ value: cumulative, labels: le[b]!, sharedLabels: shared, metricName: bucketName });
        }
        values.push({ value: sum[stride - 1]!, labels: le[meta.bounds.length]!, sharedLabels: shared, metricName: bucketName });
        values.push({ value: sum[stride - 2]!, labels: NO_LABELS, sharedLabels: shared, metricName: sumName });
        values.push({ value: sum[stride - 1]!, labels: NO_LABELS, sharedLabels: shared, metricName: countName });
      }
      const forPromString: MetricJSON = { name: meta.name, help: meta.help, type: meta.type, aggregator: meta.aggregator, values };
      out.push({ ...forPromString, get: () => ({ ...forPromString, values: values.map(splay) }), getForPromString: () => forPromString });
    }
    return out;
  }

  #series(meta: PackedMetric, row: string): Labels {
    let byRow = this.#labels.get(meta.name);
    if (byRow === undefined) this.#labels.set(meta.name, (byRow = new Map()));
    let labels = byRow.get(row);
    if (labels === undefined) {
      const values = JSON.parse(row) as string[];
      const made: Record<string, string> = {};
      for (let l = 0; l < meta.labelNames.length; l++) made[meta.labelNames[l]!] = values[l] ?? '';
      byRow.set(row, (labels = Object.freeze(made)));
    }
    return labels;
  }

  #leLabels(meta: PackedMetric): LineLabels[] {
    let le = this.#le.get(meta.name);
    if (le === undefined || le.length !== meta.bounds.length + 1) {
      le = [...meta.bounds.map((bound) => Object.freeze({ le: bound })), Object.freeze({ le: '+Inf' })];
      this.#le.set(meta.name, le);
    }
    return le;
  }
}

/** One line with every label in `labels`, as getMetricsAsJSON gives it (`le` last). */
export function splay(line: MetricValueJSON): MetricValueJSON {
  const shared = (line as Partial<PromLine>).sharedLabels;
  if (shared === undefined) return line;
  const { value, metricName } = line;
  const labels = { ...shared, ...line.labels };
  return metricName === undefined ? { value, labels } : { value, labels, metricName };
}
