// The primary's scrape (runtime/metrics/collector.ts) against a stand-in supervisor: merging,
// workers that are slow, dead or replaced, counters that never go back, process metrics once.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Counter, Gauge, Registry } from 'prom-client';
import type { Snapshot } from '../../config/types.ts';
import { MetricsCollector } from '../../runtime/metrics/collector.ts';
import type { MetricJSON, MetricsReply, PackedMetric } from '../../runtime/protocol/messages.ts';
import type { QueryResult, Supervisor, WorkerSlot } from '../../runtime/supervisor.ts';
import { SeriesCounter, SeriesHistogram } from '../../workers/metrics/series.ts';
import { parseScrape, samples, sum } from './scrape.ts';

/** A worker's registry: a summed counter and a per-worker gauge. */
async function workerJSON(worker: number, requests: number): Promise<MetricJSON[]> {
  const registry = new Registry();
  new Counter({ name: 'kong_http_requests_total', help: 'h', labelNames: ['route'], registers: [registry] }).inc({ route: 'r' }, requests);
  new Gauge({ name: 'sluice_config_version', help: 'h', labelNames: ['worker'], registers: [registry] }).set({ worker: String(worker) }, 7);
  return (await registry.getMetricsAsJSON()) as unknown as MetricJSON[];
}

class FakeSupervisor {
  slots: WorkerSlot[];
  versions = { published: 7, applied: (): number => 7 };
  /** What each worker answers next; null: no answer in time. */
  answers: Array<MetricJSON[] | null>;
  packed: PackedMetric[][];
  queries = 0;

  constructor(workers: number) {
    this.slots = Array.from({ length: workers }, (_, index) => ({ index, worker: {}, generation: 1, ready: true, restarts: 0 }) as unknown as WorkerSlot);
    this.answers = Array.from({ length: workers }, () => []);
    this.packed = Array.from({ length: workers }, () => []);
  }

  async query(_kind: string, timeoutMs: number): Promise<QueryResult[]> {
    this.queries++;
    await new Promise((resolve) => setTimeout(resolve, 5));
    return this.answers.map((metrics, worker) =>
      metrics === null ? { worker, error: `no answer within ${timeoutMs} ms` } : { worker, data: structuredClone({ metrics, packed: this.packed[worker] ?? [], collectMs: 1.5 }) satisfies MetricsReply },
    );
  }
}

const snapshot = { version: 7, hash: 'ab'.repeat(32), entities: { plugins: {}, upstreams: {}, targets: {} } } as unknown as Snapshot;

function collector(supervisor: FakeSupervisor): MetricsCollector {
  return new MetricsCollector({
    supervisor: supervisor as unknown as Supervisor,
    snapshot: () => snapshot,
    pool: { stats: { threads: 1, queueSize: 0, completed: 3 } },
    version: '0.1.0',
    nodeId: 'node-1',
  });
}

test('counters are summed across workers; per-worker gauges stay apart; process metrics appear once', async () => {
  const supervisor = new FakeSupervisor(2);
  supervisor.answers = [await workerJSON(0, 40), await workerJSON(1, 60)];
  const s = parseScrape(await collector(supervisor).scrape());
  assert.equal(sum(s, 'kong_http_requests_total', { route: 'r' }), 100);
  assert.equal(samples(s, 'kong_http_requests_total').length, 1);
  assert.deepEqual(samples(s, 'sluice_config_version').map((x) => [x.labels.worker, x.value]), [['0', 7], ['1', 7]]);
  for (const name of ['process_cpu_user_seconds_total', 'process_resident_memory_bytes', 'process_start_time_seconds']) {
    assert.equal(samples(s, name).length, 1, name);
  }
  assert.equal(sum(s, 'sluice_worker_scrape_ok'), 2);
  assert.equal(sum(s, 'kong_node_info', { node_id: 'node-1', version: '0.1.0' }), 1);
  assert.equal(sum(s, 'sluice_pool_tasks_completed_total'), 3);
});

test('a worker that does not answer keeps its counters, loses its gauges, and is reported', async () => {
  const supervisor = new FakeSupervisor(2);
  const metrics = collector(supervisor);
  supervisor.answers = [await workerJSON(0, 40), await workerJSON(1, 60)];
  await metrics.scrape();
  supervisor.answers = [await workerJSON(0, 45), null];
  const s = parseScrape(await metrics.scrape());
  assert.equal(sum(s, 'kong_http_requests_total'), 105);
  assert.equal(samples(s, 'sluice_config_version', { worker: '1' }).length, 0);
  assert.equal(sum(s, 'sluice_worker_scrape_ok', { worker: '1' }), 0);
  assert.equal(sum(s, 'sluice_worker_scrape_ok', { worker: '0' }), 1);
  assert.equal(sum(s, 'sluice_scrape_worker_errors_total', { worker: '1' }), 1);
  assert.equal(sum(s, 'kong_nginx_metric_errors_total'), 1);
});

test('a replaced worker\'s counts stay in the totals (no counter reset)', async () => {
  const supervisor = new FakeSupervisor(2);
  const metrics = collector(supervisor);
  supervisor.answers = [await workerJSON(0, 40), await workerJSON(1, 60)];
  await metrics.scrape();
  // Worker 1 dies (no answer), then its slot gets a new worker that starts from zero.
  supervisor.answers = [await workerJSON(0, 40), null];
  supervisor.slots[1]!.worker = null;
  assert.equal(sum(parseScrape(await metrics.scrape()), 'kong_http_requests_total'), 100);
  supervisor.slots[1]!.generation = 2;
  supervisor.slots[1]!.restarts = 1;
  supervisor.answers = [await workerJSON(0, 40), await workerJSON(1, 2)];
  const s = parseScrape(await metrics.scrape());
  assert.equal(sum(s, 'kong_http_requests_total'), 102);
  assert.equal(sum(s, 'sluice_worker_restarts_total', { worker: '1' }), 1);
  // Later scrapes keep the retired baseline.
  supervisor.answers = [await workerJSON(0, 41), await workerJSON(1, 3)];
  assert.equal(sum(parseScrape(await metrics.scrape()), 'kong_http_requests_total'), 104);
});

test('counts a dead worker made after its last scrape cannot pull a total down', async () => {
  const supervisor = new FakeSupervisor(1);
  const metrics = collector(supervisor);
  supervisor.answers = [await workerJSON(0, 50)];
  await metrics.scrape();
  // The worker counted up to 80 unseen, then was replaced before the next scrape; the new one has 5.
  supervisor.slots[0]!.generation = 2;
  supervisor.answers = [await workerJSON(0, 5)];
  assert.equal(sum(parseScrape(await metrics.scrape()), 'kong_http_requests_total'), 55);
  // The same total cannot fall either when the stale baseline is, somehow, higher than the truth.
  supervisor.slots[0]!.generation = 3;
  supervisor.answers = [await workerJSON(0, 0)];
  assert.ok(sum(parseScrape(await metrics.scrape()), 'kong_http_requests_total') >= 55);
});

test('concurrent scrapes share one round trip to the workers', async () => {
  const supervisor = new FakeSupervisor(2);
  supervisor.answers = [await workerJSON(0, 1), await workerJSON(1, 1)];
  const metrics = collector(supervisor);
  const [a, b] = await Promise.all([metrics.scrape(), metrics.scrape()]);
  assert.equal(a, b);
  assert.equal(supervisor.queries, 1);
});

test('the config hash is exposed as Kong does (a number) and exactly as a label', async () => {
  const supervisor = new FakeSupervisor(1);
  supervisor.answers = [await workerJSON(0, 1)];
  const s = parseScrape(await collector(supervisor).scrape());
  const hash = samples(s, 'kong_data_plane_config_hash');
  assert.equal(hash.length, 1);
  assert.equal(hash[0]!.labels.node_id, 'node-1');
  assert.equal(hash[0]!.value, Number(BigInt(`0x${'ab'.repeat(16)}`)));
});

/** A worker's packed Kong families: `requests` on one series, one latency observation each. */
function packedKong(requests: number): PackedMetric[] {
  const counter = new SeriesCounter('kong_http_requests_total', 'h', ['service', 'route', 'code']);
  counter.series(['svc', 'api', '200']).value += requests;
  const latency = new SeriesHistogram('kong_request_latency_ms', 'h', ['service', 'route'], [25, 50]);
  for (let i = 0; i < requests; i++) latency.series(['svc', 'api']).observe(30);
  return [counter.pack(), latency.pack()];
}

test('packed families are summed across workers, kept when a worker is slow, and retired with it', async () => {
  const supervisor = new FakeSupervisor(2);
  const metrics = collector(supervisor);
  supervisor.packed = [packedKong(40), packedKong(60)];
  let s = parseScrape(await metrics.scrape());
  assert.equal(s.types.get('kong_request_latency_ms'), 'histogram');
  assert.equal(sum(s, 'kong_http_requests_total', { service: 'svc', route: 'api', code: '200' }), 100);
  assert.equal(sum(s, 'kong_request_latency_ms_count', { route: 'api' }), 100);
  assert.equal(sum(s, 'kong_request_latency_ms_bucket', { route: 'api', le: '25' }), 0);
  assert.equal(sum(s, 'kong_request_latency_ms_bucket', { route: 'api', le: '50' }), 100);
  assert.equal(sum(s, 'kong_request_latency_ms_bucket', { route: 'api', le: '+Inf' }), 100);
  assert.equal(sum(s, 'kong_request_latency_ms_sum', { route: 'api' }), 3000);

  supervisor.answers[1] = null;
  supervisor.packed[0] = packedKong(41);
  s = parseScrape(await metrics.scrape());
  assert.equal(sum(s, 'kong_http_requests_total'), 101);

  supervisor.slots[1]!.generation = 2;
  supervisor.answers[1] = [];
  supervisor.packed[1] = packedKong(1);
  s = parseScrape(await metrics.scrape());
  assert.equal(sum(s, 'kong_http_requests_total'), 102);
  assert.equal(sum(s, 'kong_request_latency_ms_count'), 102);
  assert.equal(samples(s, 'kong_http_requests_total').length, 1);
});
