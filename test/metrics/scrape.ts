// Reads a /metrics answer with a real Prometheus text-format parser (parse-prometheus-text-format).
//
// That parser folds every series of a histogram family into one (its flattening ignores labels
// other than `le`), so histogram families are declared `untyped` before parsing: their _bucket,
// _sum and _count lines then come out as plain samples with all their labels, and `histogram()`
// below puts each series back together.
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { request } from '../helpers/http.ts';

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Scrape {
  text: string;
  /** Declared TYPE of each family, lower case. */
  types: Map<string, string>;
  samples: Sample[];
}

export function parseScrape(text: string): Scrape {
  const types = new Map<string, string>();
  for (const match of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) types.set(match[1]!, match[2]!);
  const untyped = text.replace(/^# TYPE (\S+) histogram$/gm, '# TYPE $1 untyped');
  const samples: Sample[] = [];
  for (const family of parsePrometheusTextFormat(untyped)) {
    for (const metric of family.metrics) {
      if (metric.value === undefined) continue;
      samples.push({ name: family.name, labels: metric.labels ?? {}, value: Number(metric.value) });
    }
  }
  return { text, types, samples };
}

export async function scrape(url: string): Promise<Scrape> {
  const reply = await request(url);
  if (reply.status !== 200) throw new Error(`GET ${url}: ${reply.status} ${reply.body}`);
  if (!String(reply.headers['content-type']).startsWith('text/plain')) throw new Error(`GET ${url}: content-type ${reply.headers['content-type']}`);
  return parseScrape(reply.body);
}

function matches(labels: Record<string, string>, want: Record<string, string>): boolean {
  for (const name in want) if (labels[name] !== want[name]) return false;
  return true;
}

/** Samples of `name` whose labels include `want`. */
export function samples(s: Scrape, name: string, want: Record<string, string> = {}): Sample[] {
  return s.samples.filter((sample) => sample.name === name && matches(sample.labels, want));
}

/** Sum of the samples of `name` whose labels include `want`. */
export function sum(s: Scrape, name: string, want: Record<string, string> = {}): number {
  return samples(s, name, want).reduce((total, sample) => total + sample.value, 0);
}

export interface HistogramSeries {
  /** [upper bound, cumulative count], in bound order, +Inf last. */
  buckets: Array<[number, number]>;
  sum: number;
  count: number;
}

/** The one series of histogram `name` whose labels include `want`; throws when not exactly one. */
export function histogram(s: Scrape, name: string, want: Record<string, string>): HistogramSeries {
  const counts = samples(s, `${name}_count`, want);
  if (counts.length !== 1) throw new Error(`${name}${JSON.stringify(want)}: ${counts.length} series`);
  const buckets = samples(s, `${name}_bucket`, want)
    .map((b): [number, number] => [b.labels.le === '+Inf' ? Infinity : Number(b.labels.le), b.value])
    .sort((a, b) => a[0] - b[0]);
  return { buckets, sum: samples(s, `${name}_sum`, want)[0]!.value, count: counts[0]!.value };
}
