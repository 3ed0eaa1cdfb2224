// Kong's per-request metrics (workers/metrics/kong.ts), the prometheus plugin's log phase and the
// byte counting, against hand-built request contexts: names, labels and Kong's rules.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import type { Consumer, Plugin, Route, Service } from '../../config/types.ts';
import { countBytes } from '../../workers/metrics/bytes.ts';
import { KONG_LATENCY_BUCKETS, KongRequestMetrics, UPSTREAM_LATENCY_BUCKETS, type KongMetricSwitches } from '../../workers/metrics/kong.ts';
import { kongRequestMetrics, registerSeriesMetric, workerRegistry } from '../../workers/metrics/registry.ts';
import prometheus from '../../workers/plugins/prometheus/handler.ts';
import type { Config } from '../../config/plugins/prometheus.ts';
import type { PluginEnv } from '../../workers/plugins/types.ts';
import type { Http1Request } from '../../workers/http1/request.ts';
import type { Http1Response } from '../../workers/http1/response.ts';
import { RequestContext } from '../../workers/proxy/context.ts';
import { histogram, parseScrape, sum, type Scrape } from './scrape.ts';

const ALL: KongMetricSwitches = { per_consumer: true, status_code_metrics: true, latency_metrics: true, bandwidth_metrics: true };

const service = { id: 's1', name: 'svc', host: 'up.internal' } as Service;
const unnamedService = { id: 's2', name: null, host: 'up2.internal' } as Service;
const route = { id: 'r1', name: 'users' } as Route;
const unnamedRoute = { id: 'r2-id', name: null } as Route;
const alice = { id: 'c1', username: 'alice', custom_id: null } as Consumer;
const onlyCustomId = { id: 'c2', username: null, custom_id: 'cid-7' } as Consumer;

interface FakeSocket {
  remoteAddress: string;
  bytesRead: number;
  bytesWritten: number;
}

function context(options: { status?: number; headersSent?: boolean; socket?: FakeSocket; startedAt?: number } = {}): RequestContext {
  const socket = options.socket ?? { remoteAddress: '127.0.0.1', bytesRead: 0, bytesWritten: 0 };
  const req = { socket, headers: {}, body: null } as unknown as Http1Request;
  const res = { statusCode: options.status ?? 200, headersSent: options.headersSent ?? true } as unknown as Http1Response;
  return new RequestContext(req, res, options.startedAt ?? 0);
}

async function render(metrics: KongRequestMetrics): Promise<Scrape> {
  const registry = new Registry();
  for (const metric of metrics.all) registerSeriesMetric(metric, registry);
  return parseScrape(await registry.metrics());
}

test('a proxied answer counts under source="service" with Kong labels', async () => {
  const metrics = new KongRequestMetrics();
  for (let i = 0; i < 3; i++) {
    const ctx = context({ status: 201 });
    ctx.service = service;
    ctx.route = route;
    ctx.upstreamStatus = 201;
    ctx.upstreamLatencyMs = 30;
    metrics.record(ctx, ALL, 42);
  }
  const s = await render(metrics);
  assert.equal(sum(s, 'kong_http_requests_total', { service: 'svc', route: 'users', code: '201', source: 'service', workspace: 'default', consumer: '' }), 3);
  assert.equal(s.types.get('kong_http_requests_total'), 'counter');
  const request = histogram(s, 'kong_request_latency_ms', { service: 'svc', route: 'users', workspace: 'default' });
  assert.equal(request.count, 3);
  assert.equal(request.sum, 126);
  assert.deepEqual(request.buckets.map(([le]) => le), [...UPSTREAM_LATENCY_BUCKETS, Infinity]);
  const upstream = histogram(s, 'kong_upstream_latency_ms', { service: 'svc', route: 'users' });
  assert.equal(upstream.sum, 90);
  const kong = histogram(s, 'kong_kong_latency_ms', { service: 'svc', route: 'users' });
  assert.deepEqual(kong.buckets.map(([le]) => le), [...KONG_LATENCY_BUCKETS, Infinity]);
  // kong latency = request - upstream = 12 ms: in the 15 ms bucket, not in the 10 ms one.
  assert.equal(kong.sum, 36);
  assert.equal(kong.buckets.find(([le]) => le === 10)![1], 0);
  assert.equal(kong.buckets.find(([le]) => le === 15)![1], 3);
});

test('kong latency leaves out the time spent relaying the upstream body (Kong: latencies.kong)', async () => {
  const metrics = new KongRequestMetrics();
  const ctx = context({ status: 200 });
  ctx.service = service;
  ctx.route = route;
  ctx.upstreamStatus = 200;
  ctx.upstreamLatencyMs = 30;
  ctx.upstreamHeadAt = 34; // 4 ms of gateway work before the upstream, its head at 34 ms ...
  metrics.record(ctx, ALL, 200); // ... and 166 ms of body relayed after it.
  const kong = histogram(await render(metrics), 'kong_kong_latency_ms', { service: 'svc', route: 'users' });
  assert.equal(kong.sum, 4);
  assert.equal(kong.buckets.find(([le]) => le === 5)![1], 1);
});

test('gateway answers (plugin exits, errors) count under source="kong"; no upstream latency', async () => {
  const metrics = new KongRequestMetrics();
  const exited = context({ status: 401 });
  exited.service = service;
  exited.route = route;
  exited.exited = true;
  metrics.record(exited, ALL, 5);
  const badGateway = context({ status: 502 });
  badGateway.service = service;
  badGateway.route = route;
  badGateway.exited = true;
  metrics.record(badGateway, ALL, 5);
  const s = await render(metrics);
  assert.equal(sum(s, 'kong_http_requests_total', { code: '401', source: 'kong' }), 1);
  assert.equal(sum(s, 'kong_http_requests_total', { code: '502', source: 'kong' }), 1);
  assert.equal(sum(s, 'kong_http_requests_total', { source: 'service' }), 0);
  assert.equal(histogram(s, 'kong_kong_latency_ms', { route: 'users' }).count, 2);
  assert.equal(s.samples.filter((x) => x.name === 'kong_upstream_latency_ms_count').reduce((n, x) => n + x.value, 0), 0);
});

test('a client that left before the response head is counted as 499', async () => {
  const metrics = new KongRequestMetrics();
  const ctx = context({ status: 200, headersSent: false });
  ctx.service = service;
  ctx.route = route;
  metrics.record(ctx, ALL, 1);
  assert.equal(sum(await render(metrics), 'kong_http_requests_total', { code: '499' }), 1);
});

test('no service, no figures (Kong records nothing for unmatched requests)', async () => {
  const metrics = new KongRequestMetrics();
  metrics.record(context({ status: 404 }), ALL, 1);
  const s = await render(metrics);
  assert.equal(s.samples.length, 0);
});

test('service falls back to its host, route to its id; consumer to custom_id', async () => {
  const metrics = new KongRequestMetrics();
  const ctx = context();
  ctx.service = unnamedService;
  ctx.route = unnamedRoute;
  ctx.consumer = onlyCustomId;
  ctx.upstreamStatus = 200;
  metrics.record(ctx, ALL, 1);
  assert.equal(sum(await render(metrics), 'kong_http_requests_total', { service: 'up2.internal', route: 'r2-id', consumer: 'cid-7' }), 1);
});

test('per_consumer off leaves consumer empty; on fills it, bandwidth included', async () => {
  const metrics = new KongRequestMetrics();
  for (const perConsumer of [false, true]) {
    const ctx = context();
    ctx.service = service;
    ctx.route = route;
    ctx.consumer = alice;
    ctx.upstreamStatus = 200;
    ctx.bytesIn = 100;
    ctx.bytesOut = 1000;
    metrics.record(ctx, { ...ALL, per_consumer: perConsumer }, 1);
  }
  const s = await render(metrics);
  assert.equal(sum(s, 'kong_http_requests_total', { consumer: '' }), 1);
  assert.equal(sum(s, 'kong_http_requests_total', { consumer: 'alice' }), 1);
  assert.equal(sum(s, 'kong_bandwidth_bytes', { direction: 'ingress', consumer: 'alice', workspace: 'default' }), 100);
  assert.equal(sum(s, 'kong_bandwidth_bytes', { direction: 'egress', consumer: '' }), 1000);
});

test('each switch gates its own family only', async () => {
  const metrics = new KongRequestMetrics();
  const ctx = context();
  ctx.service = service;
  ctx.route = route;
  ctx.upstreamStatus = 200;
  ctx.bytesIn = 10;
  metrics.record(ctx, { per_consumer: false, status_code_metrics: false, latency_metrics: true, bandwidth_metrics: false }, 1);
  const s = await render(metrics);
  assert.equal(sum(s, 'kong_http_requests_total'), 0);
  assert.equal(sum(s, 'kong_bandwidth_bytes'), 0);
  assert.equal(histogram(s, 'kong_request_latency_ms', { route: 'users' }).count, 1);
});

test('a renamed service gets new labels even when the route object is reused', async () => {
  const metrics = new KongRequestMetrics();
  const renamed = { ...service, name: 'svc-v2' } as Service;
  for (const svc of [service, renamed]) {
    const ctx = context();
    ctx.service = svc;
    ctx.route = route;
    ctx.upstreamStatus = 200;
    metrics.record(ctx, ALL, 1);
  }
  const s = await render(metrics);
  assert.equal(sum(s, 'kong_http_requests_total', { service: 'svc' }), 1);
  assert.equal(sum(s, 'kong_http_requests_total', { service: 'svc-v2' }), 1);
});

test('countBytes charges each request on a keep-alive connection with its own bytes', () => {
  const socket: FakeSocket = { remoteAddress: '127.0.0.1', bytesRead: 120, bytesWritten: 300 };
  const first = context({ socket });
  countBytes(first);
  assert.deepEqual([first.bytesIn, first.bytesOut], [120, 300]);
  socket.bytesRead += 80;
  socket.bytesWritten += 500;
  const second = context({ socket });
  countBytes(second);
  assert.deepEqual([second.bytesIn, second.bytesOut], [80, 500]);
});

test('the prometheus plugin records into the worker registry, per its switches', async () => {
  const config: Config = { per_consumer: false, status_code_metrics: true, ai_metrics: false, latency_metrics: false, bandwidth_metrics: false, upstream_health_metrics: false, wasm_metrics: false };
  const instance = prometheus.create(config, {} as PluginEnv, {} as Plugin);
  const ctx = context({ status: 204 });
  ctx.service = service;
  ctx.route = route;
  ctx.upstreamStatus = 204;
  instance.log!(ctx);
  assert.equal(prometheus.name, 'prometheus');
  assert.equal(prometheus.priority, 13);
  assert.equal(kongRequestMetrics(), kongRequestMetrics());
  const s = parseScrape(await workerRegistry.metrics());
  assert.equal(sum(s, 'kong_http_requests_total', { code: '204', source: 'service' }), 1);
  assert.equal(sum(s, 'kong_request_latency_ms_count'), 0);
});
