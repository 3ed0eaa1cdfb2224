// Upstream targets named by DNS through the real runtime and a real DNS server on 127.0.0.1: the
// one resolving thread answers every worker; an address change under load moves traffic with no
// error and rebuilds only that upstream's balancer; SRV records give ports and weights; the name
// server sees refreshes, never a query per request.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import { startDnsServer, type TestDnsServer } from '../helpers/dns-server.ts';
import { request } from '../helpers/http.ts';
import { startRuntime, writeConfig, type Runtime } from '../helpers/runtime.ts';
import { startUpstream, type Upstream } from '../helpers/upstream.ts';

let dns: TestDnsServer;
let runtime: Runtime;
let one: Server;
let two: Server;
let port = 0;
let srvA: Upstream;
let srvB: Upstream;
let plain: Upstream;

function listen(server: Server, host: string, p: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(p, host, () => resolve((server.address() as AddressInfo).port));
  });
}

async function until(what: string, test: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await test())) {
    if (Date.now() > end) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await delay(50);
  }
}

before(async () => {
  dns = await startDnsServer();
  // The same port on two loopback addresses: only the A record tells them apart.
  one = createServer((_req, res) => res.end('one'));
  two = createServer((_req, res) => res.end('two'));
  port = await listen(one, '127.0.0.1', 0);
  await listen(two, '127.0.0.2', port);
  srvA = await startUpstream((_req, res) => res.end('srv-a'));
  srvB = await startUpstream((_req, res) => res.end('srv-b'));
  plain = await startUpstream((_req, res) => res.end('plain'));
  dns.ttl = 1;
  dns.a.set('app.test', ['127.0.0.1']);
  dns.a.set('a.svc.test', ['127.0.0.1']);
  dns.srv.set('_http._tcp.svc.test', [
    { priority: 1, weight: 30, port: srvA.port, target: 'a.svc.test' },
    { priority: 1, weight: 10, port: srvB.port, target: 'a.svc.test' },
  ]);
  const config = await writeConfig(`
_format_version: "3.0"
upstreams:
  - name: app.upstream
    targets: [{ target: "app.test:${port}" }]
  - name: srv.upstream
    targets: [{ target: "_http._tcp.svc.test" }]
  - name: plain.upstream
    targets: [{ target: "127.0.0.1:${plain.port}" }]
services:
  - { name: app, host: app.upstream, routes: [{ paths: [/app] }] }
  - { name: srv, host: srv.upstream, routes: [{ paths: [/srv] }] }
  - { name: plain, host: plain.upstream, routes: [{ paths: [/plain] }] }
`);
  runtime = await startRuntime(['--config', config, '--workers', '2', '--dns-resolver', `127.0.0.1:${dns.port}`, '--dns-hostsfile', 'none', '--dns-min-ttl', '0', '--dns-max-ttl', '1']);
});

after(async () => {
  await runtime?.stop();
  one?.close();
  two?.close();
  for (const u of [srvA, srvB, plain]) await u?.close();
  await dns?.close();
});

interface WorkerRebuilds {
  data: Array<{ status: { rebuilds: Record<string, Record<string, number>> } }>;
}

test('an address change under load: traffic moves to the new address with no error; only that balancer is rebuilt', async () => {
  // Every worker has taken the first answer before the load: 20 new connections in a row (the
  // kernel spreads them over both workers; a worker without the answer would fail its request).
  await until('every worker answers from the first address', async () => {
    for (let i = 0; i < 20; i++) if ((await request(`${runtime.proxy}/app`)).body !== 'one') return false;
    return true;
  });
  const before = (await request(`${runtime.admin}/workers`)).json<WorkerRebuilds>();
  const startedAt = Date.now();
  const askedBefore = dns.questions.filter((q) => q.endsWith(' app.test')).length;
  let requests = 0;
  let errors = 0;
  const seen = new Set<string>();
  let running = true;
  const load = async (): Promise<void> => {
    while (running) {
      const reply = await request(`${runtime.proxy}/app`);
      requests++;
      if (reply.status !== 200) errors++;
      seen.add(reply.body);
    }
  };
  const clients = Promise.all(Array.from({ length: 4 }, () => load()));
  await delay(500);
  dns.a.set('app.test', ['127.0.0.2']);
  await until('every answer from the new address', async () => {
    const bodies = new Set<string>();
    for (let i = 0; i < 10; i++) bodies.add((await request(`${runtime.proxy}/app`)).body);
    return bodies.size === 1 && bodies.has('two');
  });
  await delay(500);
  running = false;
  await clients;
  assert.equal(errors, 0, `${errors} errors in ${requests} requests`);
  assert.ok(seen.has('one') && seen.has('two'));
  // The name server saw refreshes (TTL 1 s: one every 0.9 s at most), not a query per request.
  const asked = dns.questions.filter((q) => q.endsWith(' app.test')).length - askedBefore;
  const seconds = (Date.now() - startedAt) / 1000;
  assert.ok(asked <= Math.ceil(seconds / 0.9) + 2, `${asked} queries in ${seconds} s for ${requests} requests`);

  const after = (await request(`${runtime.admin}/workers`)).json<WorkerRebuilds>();
  for (let w = 0; w < after.data.length; w++) {
    const was = before.data[w]!.status.rebuilds.balancer ?? {};
    const now = after.data[w]!.status.rebuilds.balancer ?? {};
    // One upstream changed its answer once: one rebuild per worker for it, none for the others.
    assert.equal((now.dns ?? 0) - (was.dns ?? 0), 1, `worker ${w}: ${JSON.stringify(now)}`);
  }
});

test('SRV: each record\'s port and weight (30:10) decide the split', async () => {
  const counts = new Map<string, number>();
  for (let i = 0; i < 80; i++) {
    const body = (await request(`${runtime.proxy}/srv`)).body;
    counts.set(body, (counts.get(body) ?? 0) + 1);
  }
  assert.equal((counts.get('srv-a') ?? 0) + (counts.get('srv-b') ?? 0), 80);
  const share = (counts.get('srv-a') ?? 0) / 80;
  assert.ok(share > 0.6 && share < 0.9, `srv-a took ${share} (expected 0.75)`);
});

test('a name server that stops answering: the last answer keeps serving', async () => {
  dns.failing = true;
  try {
    await delay(2500);
    for (let i = 0; i < 10; i++) assert.equal((await request(`${runtime.proxy}/app`)).status, 200);
    const metrics = (await request(`${runtime.admin}/metrics`)).body;
    const stale = Number(/^sluice_dns_stale_answers_total (\d+)/m.exec(metrics)?.[1]);
    assert.ok(stale > 0, 'stale answers are counted');
    assert.match(metrics, /^sluice_dns_queries_total \d+/m);
  } finally {
    dns.failing = false;
  }
});
