// The hot-path series (workers/metrics/series.ts) must read exactly like prom-client's own metrics,
// in the worker's JSON and once merged and rendered on the primary.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Counter, Histogram, Registry } from 'prom-client';
import { Floors, aggregate } from '../../runtime/metrics/merge.ts';
import { PackedMerge } from '../../runtime/metrics/packed.ts';
import type { MetricJSON, PackedMetric } from '../../runtime/protocol/messages.ts';
import { registerSeriesMetric } from '../../workers/metrics/registry.ts';
import { MAX_SERIES, OVERFLOW_LABEL, SeriesCounter, SeriesHistogram } from '../../workers/metrics/series.ts';
import { parseScrape, type Sample } from './scrape.ts';

const BUCKETS = [1, 5, 10, 50];
const OBSERVED = [0.5, 1, 1.0001, 4, 5, 7, 10, 49, 50, 51, 1000];

function sorted(samples: Sample[]): string[] {
  return samples.map((s) => `${s.name}${JSON.stringify(Object.fromEntries(Object.entries(s.labels).sort()))} ${s.value}`).sort();
}

test('a series histogram renders the same lines as a prom-client Histogram', async () => {
  const ours = new Registry();
  const theirs = new Registry();
  const mine = new SeriesHistogram('h_ms', 'help', ['route'], BUCKETS);
  registerSeriesMetric(mine, ours);
  const reference = new Histogram({ name: 'h_ms', help: 'help', labelNames: ['route'], buckets: BUCKETS, registers: [theirs] });
  for (const value of OBSERVED) {
    mine.series(['a']).observe(value);
    reference.observe({ route: 'a' }, value);
  }
  mine.series(['b']).observe(3);
  reference.observe({ route: 'b' }, 3);
  assert.deepEqual(sorted(parseScrape(await ours.metrics()).samples), sorted(parseScrape(await theirs.metrics()).samples));
});

test('a series counter renders the same lines as a prom-client Counter', async () => {
  const ours = new Registry();
  const theirs = new Registry();
  const mine = new SeriesCounter('c_total', 'help', ['code', 'route']);
  registerSeriesMetric(mine, ours);
  const reference = new Counter({ name: 'c_total', help: 'help', labelNames: ['code', 'route'], registers: [theirs] });
  mine.series(['200', 'a']).value += 3;
  mine.series(['500', 'a']).value += 1;
  reference.inc({ code: '200', route: 'a' }, 3);
  reference.inc({ code: '500', route: 'a' }, 1);
  assert.deepEqual(sorted(parseScrape(await ours.metrics()).samples), sorted(parseScrape(await theirs.metrics()).samples));
});

test('series merged across workers sum like prom-client metrics', async () => {
  const workers: MetricJSON[][] = [];
  for (let w = 0; w < 3; w++) {
    const registry = new Registry();
    const h = new SeriesHistogram('h_ms', 'help', ['route'], BUCKETS);
    registerSeriesMetric(h, registry);
    for (const value of OBSERVED) h.series(['a']).observe(value + w);
    workers.push((await registry.getMetricsAsJSON()) as unknown as MetricJSON[]);
  }
  const single = new Registry();
  const reference = new Histogram({ name: 'h_ms', help: 'help', labelNames: ['route'], buckets: BUCKETS, registers: [single] });
  for (let w = 0; w < 3; w++) for (const value of OBSERVED) reference.observe({ route: 'a' }, value + w);
  const merged = parseScrape(await aggregate(workers).metrics()).samples;
  const expected = parseScrape(await single.metrics()).samples;
  // Sums of floats added in another order may differ in the last bits.
  const round = (samples: Sample[]): Sample[] => samples.map((s) => ({ ...s, value: Math.round(s.value * 1e6) / 1e6 }));
  assert.deepEqual(sorted(round(merged)), sorted(round(expected)));
});

test('a value equal to a bound falls in that bound\'s bucket (le)', () => {
  const h = new SeriesHistogram('h', 'help', [], [1, 2]);
  const s = h.series([]);
  s.observe(1);
  s.observe(2);
  s.observe(2.5);
  assert.deepEqual([...s.counts], [1, 1, 1]);
});

test('reset zeroes series but keeps cached references working', () => {
  const c = new SeriesCounter('c_total', 'help', ['a']);
  const cached = c.series(['x']);
  cached.value += 5;
  c.reset();
  cached.value += 1;
  assert.equal(c.get().values[0]!.value, 1);
});

test('past MAX_SERIES, new label sets share one overflow series', () => {
  const c = new SeriesCounter('c_total', 'help', ['a']);
  for (let i = 0; i < MAX_SERIES; i++) c.series([String(i)]).value++;
  c.series(['one more']).value++;
  c.series(['and another']).value++;
  assert.equal(c.size, MAX_SERIES + 1);
  const overflow = c.get().values.find((v) => v.labels.a === OVERFLOW_LABEL);
  assert.equal(overflow?.value, 2);
});

/** What the primary makes of packed families: prom-client JSON, as get() gives it in the worker. */
function mergePacked(...sources: PackedMetric[][]): MetricJSON[] {
  const merge = new PackedMerge();
  merge.begin();
  for (const source of sources) merge.add(structuredClone(source));
  return merge.metrics().map((m) => m.get());
}

test('pack() travels as flat arrays and merges back to exactly what get() gives', () => {
  const h = new SeriesHistogram('h_ms', 'help', ['service', 'route'], BUCKETS);
  const c = new SeriesCounter('c_total', 'help', ['route', 'code']);
  h.series(['a', 'r1']).observe(3);
  c.series(['r1', '200']).value += 2;
  assert.deepEqual(mergePacked([h.pack(), c.pack()]), [h.get(), c.get()]);
  // Series added later are appended to the packed labels; odd label values survive the trip.
  h.series(['b\nc', 'say "hi"\\']).observe(70);
  c.series(['r2', '500']).value += 1;
  c.series(['', '\u0001']).value += 4;
  const packed = c.pack();
  assert.ok(packed.data instanceof Float64Array);
  assert.deepEqual(mergePacked([h.pack(), packed]), [h.get(), c.get()]);
  assert.deepEqual(mergePacked([new SeriesCounter('e_total', 'help', ['a']).pack()])[0]!.values, []);
});

test('packed families from several workers sum like AggregatorRegistry.aggregate', async () => {
  const workers = [0, 1, 2].map((w) => {
    const h = new SeriesHistogram('h_ms', 'help', ['route'], BUCKETS);
    const c = new SeriesCounter('c_total', 'help', ['route']);
    for (const value of OBSERVED) h.series([w === 2 ? 'only-2' : 'a']).observe(value + w);
    c.series(['a']).value += w + 1;
    return { h, c };
  });
  const merged = mergePacked(...workers.map(({ h, c }) => [h.pack(), c.pack()]));
  const reference = aggregate(workers.map(({ h, c }) => [h.get(), c.get()]));
  const expected = parseScrape(await reference.metrics()).samples;
  const registry = new Registry();
  for (const m of merged) registry.registerMetric({ ...m, get: () => m } as unknown as Parameters<Registry['registerMetric']>[0]);
  assert.deepEqual(sorted(parseScrape(await registry.metrics()).samples), sorted(expected));
});

test('floors hold cumulative lines after a change of sources until they catch up', () => {
  const floors = new Floors();
  const line = (value: number): Parameters<Floors['apply']>[0] => [{ name: 'c_total', help: 'h', type: 'counter', aggregator: 'sum', values: [{ value, labels: { a: '1' } }] }];
  floors.apply(line(100));
  const lower = line(80);
  floors.apply(lower);
  assert.equal(lower[0]!.values[0]!.value, 80, 'not armed: nothing is held');
  floors.arm();
  const again = line(70);
  floors.apply(again);
  assert.equal(again[0]!.values[0]!.value, 80);
  assert.equal(floors.size, 1);
  const caughtUp = line(81);
  floors.apply(caughtUp);
  assert.equal(caughtUp[0]!.values[0]!.value, 81);
  assert.equal(floors.size, 0);
});

test('label values never run into each other', () => {
  const c = new SeriesCounter('c_total', 'help', ['a', 'b']);
  c.series(['x\u0001y', 'z']).value++;
  c.series(['x', 'y\u0001z']).value++;
  assert.equal(c.size, 2);
  assert.throws(() => c.series(['only one']));
});
