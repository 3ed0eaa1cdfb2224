// /metrics end to end (issue #6): a real runtime with two workers and a global prometheus plugin,
// real upstream sockets, and every scrape read by a real Prometheus text-format parser.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { after, before, test } from 'node:test';
import { request } from '../helpers/http.ts';
import { startRuntime, writeConfig, type Runtime } from '../helpers/runtime.ts';
import { closedPort, startUpstream, type Upstream } from '../helpers/upstream.ts';
import { histogram, samples, scrape, sum, type Scrape } from './scrape.ts';

const BODY = 'x'.repeat(100);

let runtime: Runtime;
let statusUrl: string;
let upstream: Upstream;
let proxyPort: number;

before(async () => {
  upstream = await startUpstream((req, res) => {
    req.resume();
    req.on('end', () => {
      const status = req.url?.startsWith('/missing') ? 404 : 200;
      res.writeHead(status, { 'content-type': 'text/plain', 'content-length': BODY.length });
      res.end(BODY);
    });
  });
  const down = await closedPort();
  const config = await writeConfig(`
_format_version: "3.0"
upstreams:
  - name: app-upstream
    targets:
      - target: 127.0.0.1:${upstream.port}
services:
  - name: app
    host: app-upstream
    port: 80
    protocol: http
    routes:
      - name: api
        paths: [/api]
      - name: other
        paths: [/other]
  - name: down
    url: http://127.0.0.1:${down}
    routes:
      - name: down
        paths: [/down]
plugins:
  - name: prometheus
    config:
      status_code_metrics: true
      latency_metrics: true
      bandwidth_metrics: true
      upstream_health_metrics: true
`);
  runtime = await startRuntime(['--config', config, '--workers', '2', '--status-listen', '127.0.0.1:0']);
  statusUrl = String((await runtime.waitForLog((line) => line.msg === 'status listener ready')).status);
  proxyPort = Number(new URL(runtime.proxy).port);
});

after(async () => {
  await runtime.stop();
  await upstream.close();
});

/** One request on its own connection, with exact bytes: what the gateway read and wrote for it. */
function rawRequest(path: string): Promise<{ sent: number; received: number; status: number }> {
  const head = `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${proxyPort}\r\nUser-Agent: metrics-test\r\nConnection: close\r\n\r\n`;
  return new Promise((resolve, reject) => {
    const socket = connect(proxyPort, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('end', () => {
      const all = Buffer.concat(chunks);
      resolve({ sent: Buffer.byteLength(head), received: all.length, status: Number(all.toString('latin1', 9, 12)) });
    });
    socket.write(head);
  });
}

/** Scrapes until `ready` holds (the log phase runs just after the client has its answer). */
async function scrapeUntil(url: string, ready: (s: Scrape) => boolean, timeoutMs = 5000): Promise<Scrape> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = await scrape(url);
    if (ready(s) || Date.now() > deadline) return s;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const API = { service: 'app', route: 'api', workspace: 'default' };

const traffic = { sent: 0, received: 0 };

test('100 requests to one route are counted exactly once each, summed across both workers', async () => {
  for (let batch = 0; batch < 10; batch++) {
    for (const reply of await Promise.all(Array.from({ length: 10 }, () => rawRequest('/api/items')))) {
      assert.equal(reply.status, 200);
      traffic.sent += reply.sent;
      traffic.received += reply.received;
    }
  }
  const s = await scrapeUntil(`${runtime.admin}/metrics`, (x) => sum(x, 'kong_http_requests_total', { route: 'api' }) >= 100);
  assert.equal(sum(s, 'kong_http_requests_total', { ...API, code: '200', source: 'service', consumer: '' }), 100);
  assert.equal(samples(s, 'kong_http_requests_total', { route: 'api' }).length, 1, 'one series: the workers were merged');
  // Both workers served part of it (the kernel spreads 100 fresh connections over both listeners).
  const perWorker = samples(s, 'sluice_worker_requests_total').map((x) => x.value);
  assert.equal(perWorker.length, 2);
  assert.ok(perWorker.every((n) => n > 0), `requests per worker: ${perWorker}`);
  assert.equal(sum(s, 'sluice_worker_requests_total'), 100);
  assert.equal(sum(s, 'kong_nginx_requests_total'), 100);
  assert.equal(sum(s, 'kong_nginx_connections_total', { state: 'accepted' }), 100);
});

test('latency histograms are consistent: _count = 100, buckets monotone, +Inf = count', async () => {
  const s = await scrape(`${runtime.admin}/metrics`);
  for (const name of ['kong_request_latency_ms', 'kong_upstream_latency_ms', 'kong_kong_latency_ms']) {
    assert.equal(s.types.get(name), 'histogram', name);
    const h = histogram(s, name, API);
    assert.equal(h.count, 100, name);
    assert.ok(h.sum > 0, name);
    for (let i = 1; i < h.buckets.length; i++) assert.ok(h.buckets[i]![1] >= h.buckets[i - 1]![1], `${name} buckets monotone`);
    assert.equal(h.buckets.at(-1)![0], Infinity);
    assert.equal(h.buckets.at(-1)![1], h.count);
  }
  const request = histogram(s, 'kong_request_latency_ms', API);
  assert.deepEqual(request.buckets.map(([le]) => le), [25, 50, 80, 100, 250, 400, 700, 1000, 2000, 5000, 10000, 30000, 60000, Infinity]);
  assert.ok(histogram(s, 'kong_upstream_latency_ms', API).sum <= request.sum);
});

test('bandwidth is the bytes on the wire: ingress = what clients sent, egress = what they received', async () => {
  const s = await scrape(`${runtime.admin}/metrics`);
  assert.equal(sum(s, 'kong_bandwidth_bytes', { ...API, direction: 'ingress', consumer: '' }), traffic.sent);
  assert.equal(sum(s, 'kong_bandwidth_bytes', { ...API, direction: 'egress', consumer: '' }), traffic.received);
});

test('source is "service" for relayed answers, "kong" for answers the gateway made', async () => {
  assert.equal((await rawRequest('/other/missing')).status, 404);
  assert.equal((await rawRequest('/down')).status, 502);
  assert.equal((await rawRequest('/nowhere')).status, 404);
  const s = await scrapeUntil(`${runtime.admin}/metrics`, (x) => sum(x, 'kong_http_requests_total', { route: 'down' }) >= 1);
  assert.equal(sum(s, 'kong_http_requests_total', { service: 'app', route: 'other', code: '404', source: 'service' }), 1);
  assert.equal(sum(s, 'kong_http_requests_total', { service: 'down', route: 'down', code: '502', source: 'kong' }), 1);
  // No service matched: Kong records nothing.
  assert.equal(sum(s, 'kong_http_requests_total', { service: '' }), 0);
});

test('process metrics are the process\'s, exposed once and not multiplied by the workers', async () => {
  const s = await scrape(`${runtime.admin}/metrics`);
  const families = [...s.types.keys()].filter((name) => name.startsWith('process_'));
  assert.ok(families.includes('process_resident_memory_bytes'));
  for (const name of families) assert.equal(samples(s, name).length, 1, `${name}: one sample`);
  const pid = runtime.child.pid!;
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(await readFile(`/proc/${pid}/status`, 'utf8'))![1]);
  const rss = sum(s, 'process_resident_memory_bytes');
  assert.ok(Math.abs(rss - rssKb * 1024) < 0.25 * rssKb * 1024, `process_resident_memory_bytes ${rss} vs VmRSS ${rssKb * 1024}`);
  // utime of all threads, in clock ticks (100 per second on Linux).
  const utime = Number((await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ')[11]) / 100;
  const cpu = sum(s, 'process_cpu_user_seconds_total');
  assert.ok(cpu <= utime + 0.5 && cpu >= utime * 0.5 - 0.5, `process_cpu_user_seconds_total ${cpu} vs utime ${utime}`);
});

test('Sluice\'s own figures: config per worker, rebuilds, timers, event loop, heap, upstream health', async () => {
  const s = await scrape(`${runtime.admin}/metrics`);
  const info = (await request(`${runtime.admin}/`)).json<{ configuration_hash: string; config_version: number }>();
  for (const worker of ['0', '1']) {
    assert.equal(sum(s, 'sluice_config_version', { worker }), info.config_version);
    assert.equal(sum(s, 'sluice_config_info', { worker, hash: info.configuration_hash }), 1);
    assert.equal(sum(s, 'sluice_rebuilds_total', { worker, component: 'router', reason: 'initial' }), 1);
    assert.equal(sum(s, 'sluice_rebuilds_total', { worker, component: 'plugins', reason: 'initial' }), 1);
    assert.equal(sum(s, 'sluice_config_apply_seconds_count', { worker }), 1);
    assert.ok(sum(s, 'sluice_worker_heap_used_bytes', { worker }) > 0);
    // Each worker counts its own collections, both kinds from the start (test/integration/body-memory.test.ts reads the counts).
    assert.deepEqual(samples(s, 'sluice_worker_gc_total', { worker }).map((x) => x.labels['kind']).sort(), ['full', 'minor']);
    assert.equal(samples(s, 'sluice_timers', { worker }).length, 3);
    assert.equal(sum(s, 'sluice_worker_scrape_ok', { worker }), 1);
    assert.ok(sum(s, 'sluice_event_loop_utilization', { worker }) >= 0);
  }
  assert.equal(s.types.get('sluice_rebuilds_total'), 'counter');
  assert.equal(sum(s, 'sluice_config_converged'), 1);
  assert.equal(sum(s, 'kong_upstream_target_health', { upstream: 'app-upstream', target: `127.0.0.1:${upstream.port}`, state: 'healthchecks_off' }), 1);
  assert.equal(sum(s, 'kong_upstream_target_health', { upstream: 'app-upstream', state: 'healthy' }), 0);
  assert.equal(samples(s, 'kong_node_info').length, 1);
  assert.equal(sum(s, 'kong_datastore_reachable'), 1);
});

test('every metric the example Grafana dashboard queries is exposed', async () => {
  const s = await scrape(`${runtime.admin}/metrics`);
  const dashboard = await readFile(new URL('../../examples/grafana/sluice-dashboard.json', import.meta.url), 'utf8');
  const names = new Set([...dashboard.matchAll(/\b((?:sluice|process|nodejs|kong)_[a-z_]+)/g)].map((m) => m[1]!));
  assert.ok(names.size > 10);
  for (const name of names) {
    const family = s.types.has(name) ? name : name.replace(/_(bucket|sum|count)$/, '');
    assert.ok(s.types.has(family), `${name} is not in the scrape`);
  }
});

test('the status listener serves /metrics, /status/ready and /status/live only', async () => {
  const s = await scrape(`${statusUrl}/metrics`);
  assert.ok(sum(s, 'kong_http_requests_total', { route: 'api' }) >= 100);
  const ready = await request(`${statusUrl}/status/ready`);
  assert.equal(ready.status, 200);
  assert.deepEqual(ready.json(), { message: 'ready' });
  assert.deepEqual((await request(`${statusUrl}/status/live`)).json(), { message: 'alive' });
  for (const path of ['/status', '/workers', '/config', '/', '/metrics/x']) assert.equal((await request(`${statusUrl}${path}`)).status, 404, path);
  assert.equal((await request(`${statusUrl}/metrics`, { method: 'POST' })).status, 404);
});

test('a worker killed mid-scrape does not hang /metrics, and no counter goes back', async () => {
  const before = sum(await scrape(`${runtime.admin}/metrics`), 'kong_http_requests_total');
  const started = Date.now();
  const scraping = scrape(`${runtime.admin}/metrics`);
  const killed = await request(`${runtime.admin}/workers/1`, { method: 'DELETE' });
  assert.equal(killed.status, 202);
  const scraped = await scraping;
  assert.ok(Date.now() - started < 3000, `scrape took ${Date.now() - started} ms`);
  assert.ok(sum(scraped, 'kong_http_requests_total') >= before);

  const during = await scrape(`${statusUrl}/metrics`);
  assert.ok(sum(during, 'kong_http_requests_total') >= before, 'the dead worker\'s counts are kept');
  assert.ok(sum(during, 'sluice_scrape_worker_errors_total', { worker: '1' }) >= 1);

  // The slot is back once its replacement (the supervisor's loaded spare) has applied the config;
  // /status/ready answers 503 until then (readiness() is tested on its own in status.test.ts).
  const deadline = Date.now() + 15_000;
  while ((await request(`${statusUrl}/status/ready`)).status !== 200) {
    assert.ok(Date.now() < deadline, 'the replacement worker never became ready');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const afterwards = await scrape(`${runtime.admin}/metrics`);
  assert.ok(sum(afterwards, 'kong_http_requests_total') >= before);
  assert.equal(sum(afterwards, 'sluice_worker_restarts_total', { worker: '1' }), 1);
  assert.equal(sum(afterwards, 'sluice_worker_scrape_ok', { worker: '1' }), 1);
  // The replaced worker's requests stay in the per-slot total, next to its successor's.
  assert.ok(sum(afterwards, 'sluice_worker_requests_total') >= 100);
});
