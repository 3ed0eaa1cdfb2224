// Health checks through the real runtime: active probes once per process from the health-check
// thread, passive counts across workers, Kong's 503 when no target is healthy, the Admin API's
// health view and manual overrides, kong_upstream_target_health, and health that survives a
// reconfigure which did not touch the target.
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import { request } from '../helpers/http.ts';
import { startRuntime, writeConfig, type Runtime } from '../helpers/runtime.ts';
import { closedPort, startUpstream, type Upstream } from '../helpers/upstream.ts';

let runtime: Runtime;
let configText: string;
const probes = { a: 0, b: 0 };
let bFailsProbes = false;
let a: Upstream;
let b: Upstream;
let p1: Upstream;
let p2: Upstream;
let m1: Upstream;
let m2: Upstream;
let p2Fails = true;
let deadPort = 0;

async function until(what: string, test: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await test())) {
    if (Date.now() > end) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await delay(50);
  }
}

interface HealthReply {
  total: number;
  data: Array<{ target: string; health: string; data: { addresses: Array<{ health: string }> } }>;
}

async function healthOf(upstream: string): Promise<Record<string, string>> {
  const reply = (await request(`${runtime.admin}/upstreams/${upstream}/health`)).json<HealthReply>();
  return Object.fromEntries(reply.data.map((d) => [d.target, d.health]));
}

before(async () => {
  a = await startUpstream((req, res) => {
    if (req.url === '/health') probes.a++;
    res.end('a');
  });
  b = await startUpstream((req, res) => {
    if (req.url === '/health') {
      probes.b++;
      res.statusCode = bFailsProbes ? 500 : 200;
    }
    res.end('b');
  });
  p1 = await startUpstream((_req, res) => res.end('p1'));
  p2 = await startUpstream((_req, res) => {
    res.statusCode = p2Fails ? 500 : 200;
    res.end('p2');
  });
  m1 = await startUpstream((_req, res) => res.end('m1'));
  m2 = await startUpstream((_req, res) => res.end('m2'));
  deadPort = await closedPort();
  configText = `
_format_version: "3.0"
upstreams:
  - name: active.test
    healthchecks:
      active:
        http_path: /health
        healthy: { interval: 0.2, successes: 2 }
        unhealthy: { interval: 0.2, http_failures: 2 }
    targets:
      - target: 127.0.0.1:${a.port}
      - target: 127.0.0.1:${b.port}
  - name: passive.test
    healthchecks:
      passive:
        unhealthy: { http_failures: 3 }
    targets:
      - target: 127.0.0.1:${p1.port}
      - target: 127.0.0.1:${p2.port}
  - name: manual.test
    targets:
      - target: 127.0.0.1:${m1.port}
      - target: 127.0.0.1:${m2.port}
  - name: retry.test
    healthchecks:
      passive:
        unhealthy: { tcp_failures: 2 }
    targets:
      - target: 127.0.0.1:${deadPort}
      - target: 127.0.0.1:${m1.port}
services:
  - { name: retry, host: retry.test, retries: 1, routes: [{ paths: [/retry] }] }
  - { name: active, host: active.test, routes: [{ paths: [/active] }] }
  - { name: passive, host: passive.test, routes: [{ paths: [/passive] }] }
  - { name: manual, host: manual.test, routes: [{ paths: [/manual] }] }
plugins:
  - name: prometheus
    config: { upstream_health_metrics: true }
`;
  runtime = await startRuntime(['--config', await writeConfig(configText), '--workers', '2']);
});

after(async () => {
  // Whatever started, even when the runtime did not: an open server would hold the file open.
  await runtime?.stop();
  for (const u of [a, b, p1, p2, m1, m2]) await u?.close();
});

test('active probes go out once per process, not once per worker', async () => {
  const start = { ...probes };
  const started = Date.now();
  await delay(3000);
  const seconds = (Date.now() - started) / 1000;
  // Every 0.2 s from one thread: at most seconds / 0.2 + 1 each. Two workers each probing would
  // send twice that.
  const limit = Math.ceil(seconds / 0.2) + 1;
  assert.ok(probes.a - start.a <= limit, `${probes.a - start.a} probes of a in ${seconds} s (limit ${limit})`);
  assert.ok(probes.a - start.a >= 1, 'probes are sent');
});

test('a target failing its probes is skipped by every worker, reported UNHEALTHY, and comes back when it recovers', async () => {
  assert.deepEqual(Object.values(await healthOf('active.test')), ['HEALTHY', 'HEALTHY']);
  bFailsProbes = true;
  await until('b unhealthy', async () => (await healthOf('active.test'))[`127.0.0.1:${b.port}`] === 'UNHEALTHY');
  // New connections (agent: false) spread over both workers; none may reach b.
  for (let i = 0; i < 20; i++) assert.equal((await request(`${runtime.proxy}/active`)).body, 'a');
  const metrics = (await request(`${runtime.admin}/metrics`)).body;
  assert.match(metrics, new RegExp(`kong_upstream_target_health\\{upstream="active.test",target="127.0.0.1:${b.port}",address="127.0.0.1:${b.port}",state="unhealthy",subsystem="http"\\} 1`));
  assert.match(metrics, new RegExp(`kong_upstream_target_health\\{upstream="active.test",target="127.0.0.1:${a.port}",address="127.0.0.1:${a.port}",state="healthy",subsystem="http"\\} 1`));
  bFailsProbes = false;
  await until('b healthy again', async () => (await healthOf('active.test'))[`127.0.0.1:${b.port}`] === 'HEALTHY');
  const bodies = new Set<string>();
  for (let i = 0; i < 20; i++) bodies.add((await request(`${runtime.proxy}/active`)).body);
  assert.deepEqual([...bodies].sort(), ['a', 'b']);
});

test('passive: failures seen by all workers together trip the target; then no request reaches it', async () => {
  let failures = 0;
  for (let i = 0; i < 40; i++) {
    const reply = await request(`${runtime.proxy}/passive`);
    if (reply.status === 500) failures++;
  }
  // Three 500s trip it whichever workers saw them (per-worker counting could let up to 6 through).
  assert.equal(failures, 3);
  assert.equal((await healthOf('passive.test'))[`127.0.0.1:${p2.port}`], 'UNHEALTHY');
  // Passive checks alone never bring a target back (as in Kong): a manual override does.
  p2Fails = false;
  assert.equal((await request(`${runtime.admin}/upstreams/passive.test/targets/127.0.0.1:${p2.port}/healthy`, { method: 'POST' })).status, 204);
  const bodies = new Set<string>();
  for (let i = 0; i < 20; i++) bodies.add((await request(`${runtime.proxy}/passive`)).body);
  assert.deepEqual([...bodies].sort(), ['p1', 'p2']);
});

test('manual overrides: an unhealthy target is skipped; none healthy is 503 with Kong\'s body; health survives an unrelated reconfigure', async () => {
  assert.deepEqual(Object.values(await healthOf('manual.test')), ['HEALTHCHECKS_OFF', 'HEALTHCHECKS_OFF']);
  assert.equal((await request(`${runtime.admin}/upstreams/manual.test/targets/127.0.0.1:${m2.port}/unhealthy`, { method: 'POST' })).status, 204);
  for (let i = 0; i < 10; i++) assert.equal((await request(`${runtime.proxy}/manual`)).body, 'm1');

  // A reconfigure that adds a route elsewhere keeps m2's state (its slot is kept).
  const changed = configText.replace('routes: [{ paths: [/manual] }] }', 'routes: [{ paths: [/manual] }, { paths: [/manual2] }] }');
  const posted = await request(`${runtime.admin}/config?wait=1`, { method: 'POST', headers: { 'content-type': 'application/x-yaml' }, body: changed });
  assert.equal(posted.status, 201, posted.body);
  assert.equal((await healthOf('manual.test'))[`127.0.0.1:${m2.port}`], 'UNHEALTHY');
  for (let i = 0; i < 10; i++) assert.equal((await request(`${runtime.proxy}/manual2`)).body, 'm1');

  assert.equal((await request(`${runtime.admin}/upstreams/manual.test/targets/127.0.0.1:${m1.port}/unhealthy`, { method: 'POST' })).status, 204);
  const none = await request(`${runtime.proxy}/manual`);
  assert.equal(none.status, 503);
  assert.deepEqual(none.json(), { message: 'failure to get a peer from the ring-balancer' });

  for (const m of [m1, m2]) assert.equal((await request(`${runtime.admin}/upstreams/manual.test/targets/127.0.0.1:${m.port}/healthy`, { method: 'POST' })).status, 204);
  assert.equal((await request(`${runtime.proxy}/manual`)).status, 200);
});

test('retries: a refused connect is retried on the other target (the client sees no error), and passive checks count it', async () => {
  for (let i = 0; i < 20; i++) {
    const reply = await request(`${runtime.proxy}/retry`);
    assert.equal(reply.status, 200);
    assert.equal(reply.body, 'm1');
  }
  // Two refused connects (whichever workers saw them) trip the dead target: it is skipped from then on.
  assert.equal((await healthOf('retry.test'))[`127.0.0.1:${deadPort}`], 'UNHEALTHY');
});

test('health endpoints: unknown upstream or target is 404', async () => {
  assert.equal((await request(`${runtime.admin}/upstreams/nope/health`)).status, 404);
  assert.equal((await request(`${runtime.admin}/upstreams/manual.test/targets/10.9.9.9:1/healthy`, { method: 'POST' })).status, 404);
  assert.equal((await request(`${runtime.admin}/upstreams/manual.test/health`, { method: 'POST' })).status, 404);
});
