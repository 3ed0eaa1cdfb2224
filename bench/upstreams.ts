// Upstream benchmarks (bench orchestrator): each balancing algorithm's throughput against
// round-robin in one run; DNS-named targets and service hosts with a 1 s TTL under load; a target
// killed under load (errors until the passive check trips, then none); and the time from an
// active-check failure to every worker skipping the target. Bounded: about a minute and a half at the defaults.
// Usage: node bench/upstreams.ts [--duration S] [--workers N]
import { createServer, request as httpRequest, Agent, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import DNS from 'dns2';
import { describeBackground } from './harness/report/machine.ts';
import { pickDriver } from './harness/load/load.ts';
import { installCleanupHandlers, start, stop, stopAll, waitForLine, type Child } from './harness/proc.ts';
import { freePorts } from './harness/net.ts';
import { startSluice } from './harness/targets/sluice.ts';

const { values } = parseArgs({ options: { duration: { type: 'string' }, workers: { type: 'string' } } });
const durationS = Number(values.duration ?? 8);
const workers = Number(values.workers ?? 2);
const tmpDir = mkdtempSync(join(tmpdir(), 'sluice-bench-upstreams-'));
installCleanupHandlers(() => void stopAll());

async function nodeUpstream(ports: number[]): Promise<Child> {
  const child = start(`upstream-${ports.join('-')}`, process.execPath, [join(import.meta.dirname, 'harness', 'targets', 'upstream-server.ts'), ...ports.map(String)]);
  await waitForLine(child, (line) => line.includes('"ready":true'), 10_000);
  return child;
}

function get(url: string, agent: Agent | false): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const req = httpRequest(url, { agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', () => resolve({ status: 0, body: '' }));
    });
    req.on('error', () => resolve({ status: 0, body: '' }));
    req.end();
  });
}

const driver = pickDriver('auto');
console.log(`# upstreams bench — ${new Date().toISOString()}, ${workers} workers, ${durationS} s per run, load: ${driver.describe}`);
console.log(`# background: ${await describeBackground()}`);

// ---- 1. every algorithm vs round-robin, one run --------------------------------------------
{
  const ports = await freePorts(3);
  const upstream = await nodeUpstream(ports);
  const targets = ports.map((p) => ({ target: `127.0.0.1:${p}` }));
  const algorithms = ['round-robin', 'consistent-hashing', 'least-connections', 'latency'] as const;
  const config = {
    _format_version: '3.0',
    upstreams: algorithms.map((algorithm) => ({ name: `${algorithm}.bench`, algorithm, hash_on: algorithm === 'consistent-hashing' ? 'ip' : 'none', targets })),
    services: algorithms.map((algorithm) => ({ name: algorithm, host: `${algorithm}.bench`, routes: [{ paths: [`/${algorithm}`] }] })),
  };
  const sluice = await startSluice({ name: 'sluice-algorithms', workers, config, tmpDir });
  // Warm every path first (JIT, keep-alive pools), then interleave rounds so the drift of a shared
  // box falls on every algorithm alike; each ratio is against round-robin in the same round.
  for (const algorithm of algorithms) await driver.run({ url: `${sluice.proxyUrl}/${algorithm}`, durationS: 2, connections: 32 });
  const ratios: Record<string, number[]> = {};
  for (let round = 1; round <= 3; round++) {
    const rps: Record<string, number> = {};
    for (const algorithm of algorithms) {
      const result = await driver.run({ url: `${sluice.proxyUrl}/${algorithm}`, durationS, connections: 32 });
      rps[algorithm] = result.rps;
      console.log(`round ${round} ${algorithm.padEnd(20)} ${result.rps.toFixed(0).padStart(7)} req/s  p99 ${result.p99Ms.toFixed(1)} ms  non-2xx ${result.non2xx}  errors ${result.socketErrors}`);
    }
    for (const algorithm of algorithms.slice(1)) (ratios[algorithm] ??= []).push(rps[algorithm]! / rps['round-robin']!);
  }
  for (const algorithm of algorithms.slice(1)) {
    const sorted = ratios[algorithm]!.sort((x, y) => x - y);
    console.log(`ratio ${algorithm} / round-robin: median ${sorted[1]!.toFixed(2)} (rounds: ${sorted.map((r) => r.toFixed(2)).join(', ')})`);
  }
  await stop(sluice.child);
  await stop(upstream);
}

// ---- 2. DNS names, TTL 1 s, under load: an upstream's target, and a service host -------------
{
  const [port] = await freePorts(1);
  const upstream = await nodeUpstream([port!]);
  const questions = new Map<string, number>();
  const { Packet } = DNS;
  const dns = DNS.createServer({
    udp: true,
    handle: (request, send) => {
      const response = Packet.createResponseFromRequest(request);
      const question = request.questions[0];
      if (question !== undefined) questions.set(question.name, (questions.get(question.name) ?? 0) + 1);
      if (question !== undefined && question.type === Packet.TYPE.A) {
        response.answers.push({ name: question.name, type: Packet.TYPE.A, class: Packet.CLASS.IN, ttl: 1, address: '127.0.0.1' } as unknown as (typeof response.answers)[number]);
      }
      void send(response);
    },
  });
  await dns.listen({ udp: { port: 0, address: '127.0.0.1' } });
  const dnsPort = (dns.addresses().udp as { port: number }).port;
  const config = {
    _format_version: '3.0',
    upstreams: [{ name: 'named.bench', targets: [{ target: `app.bench.invalid:${port}` }] }],
    services: [
      { name: 'named', host: 'named.bench', routes: [{ paths: ['/target'] }] },
      // No upstream: the service host itself is the DNS-balanced target.
      { name: 'host', host: 'svc.bench.invalid', port, routes: [{ paths: ['/host'] }] },
    ],
  };
  const sluice = await startSluice({ name: 'sluice-dns', workers, config, tmpDir, runtimeArgs: ['--dns-resolver', `127.0.0.1:${dnsPort}`, '--dns-hostsfile', 'none', '--dns-min-ttl', '0'] });
  for (const path of ['/target', '/host']) for (let i = 0; i < 100 && (await get(`${sluice.proxyUrl}${path}`, false)).status !== 200; i++) await delay(100);
  for (const [path, name, what] of [['/target', 'app.bench.invalid', 'upstream target'], ['/host', 'svc.bench.invalid', 'service host']] as const) {
    const before = questions.get(name) ?? 0;
    const result = await driver.run({ url: `${sluice.proxyUrl}${path}`, durationS, connections: 32 });
    const asked = (questions.get(name) ?? 0) - before;
    // `.invalid` never resolves through the system resolver: a connect by name would fail, so
    // 0 errors means every connection went to an address from the shared cache.
    console.log(`dns ttl 1 s, ${what} by name: ${result.requests} requests, ${result.rps.toFixed(0)} req/s, non-2xx ${result.non2xx}, errors ${result.socketErrors}; DNS questions for it during the ${durationS} s run: ${asked} (one resolving thread, refresh before expiry), request-path lookups: 0 (connections go to addresses)`);
  }
  await stop(sluice.child);
  await stop(upstream);
  await dns.close();
}

// ---- 3. a target killed under load: errors until the passive check trips, then 0 ------------
{
  const [portA, portB] = await freePorts(2);
  const upstreamA = await nodeUpstream([portA!]);
  const upstreamB = await nodeUpstream([portB!]);
  const config = {
    _format_version: '3.0',
    upstreams: [{ name: 'killed.bench', healthchecks: { passive: { unhealthy: { tcp_failures: 3, timeouts: 3, http_failures: 3 } } }, targets: [{ target: `127.0.0.1:${portA}` }, { target: `127.0.0.1:${portB}` }] }],
    // retries 0: a failed try reaches the client, so the errors before the trip can be counted.
    services: [{ name: 'killed', host: 'killed.bench', retries: 0, routes: [{ paths: ['/'] }] }],
  };
  const sluice = await startSluice({ name: 'sluice-killed', workers, config, tmpDir });
  const agent = new Agent({ keepAlive: true, maxSockets: 16 });
  const outcomes: Array<{ at: number; ok: boolean }> = [];
  let running = true;
  const loop = async (): Promise<void> => {
    while (running) {
      const reply = await get(`${sluice.proxyUrl}/`, agent);
      outcomes.push({ at: performance.now(), ok: reply.status === 200 });
    }
  };
  const clients = Promise.all(Array.from({ length: 16 }, () => loop()));
  await delay(2000);
  const killedAt = performance.now();
  await stop(upstreamB, 0);
  await delay(Math.max(3000, durationS * 1000 - 2000));
  running = false;
  await clients;
  agent.destroy();
  const errors = outcomes.filter((o) => !o.ok);
  const lastError = errors.length === 0 ? killedAt : errors[errors.length - 1]!.at;
  const after = outcomes.filter((o) => o.at > lastError);
  console.log(`killed target: ${outcomes.length} requests, ${errors.length} errors, all within ${(lastError - killedAt).toFixed(0)} ms of the kill; then ${after.length} requests, ${after.filter((o) => !o.ok).length} errors`);
  await stop(sluice.child);
  await stop(upstreamA);
}

// ---- 4. active-check failure → every worker skips the target ---------------------------------
{
  let failing = false;
  const serve = (name: string): Promise<Server> =>
    new Promise((resolve) => {
      const server = createServer((req, res) => {
        if (req.url === '/health' && name === 'b' && failing) res.statusCode = 500;
        res.end(name);
      });
      server.listen(0, '127.0.0.1', () => resolve(server));
    });
  const a = await serve('a');
  const b = await serve('b');
  const portOf = (s: Server): number => (s.address() as AddressInfo).port;
  const config = {
    _format_version: '3.0',
    upstreams: [{ name: 'active.bench', healthchecks: { active: { http_path: '/health', healthy: { interval: 0.1 }, unhealthy: { interval: 0.1, http_failures: 1 } } }, targets: [{ target: `127.0.0.1:${portOf(a)}` }, { target: `127.0.0.1:${portOf(b)}` }] }],
    services: [{ name: 'active', host: 'active.bench', routes: [{ paths: ['/'] }] }],
  };
  const sluice = await startSluice({ name: 'sluice-active', workers, config, tmpDir });
  const samples: number[] = [];
  for (let round = 0; round < 5; round++) {
    // Each round starts with b healthy: its probes pass again, and a manual override resets it.
    failing = false;
    await delay(500);
    await fetch(`${sluice.adminUrl}/upstreams/active.bench/targets/127.0.0.1:${portOf(b)}/healthy`, { method: 'POST' });
    const t0 = performance.now();
    failing = true;
    // New connections spread over the workers; done once 40 in a row avoid b.
    let streak = 0;
    let lastB = t0;
    while (streak < 40 && performance.now() - t0 < 10_000) {
      const reply = await get(`${sluice.proxyUrl}/`, false);
      if (reply.body === 'b') {
        streak = 0;
        lastB = performance.now();
      } else streak++;
    }
    samples.push(lastB - t0);
  }
  samples.sort((x, y) => x - y);
  console.log(`active check (interval 100 ms, http_failures 1): probe failure → every worker skipping b: median ${samples[2]!.toFixed(0)} ms, range ${samples[0]!.toFixed(0)}–${samples[4]!.toFixed(0)} ms (5 rounds; last response from b after the health path turned 500)`);
  await stop(sluice.child);
  a.close();
  b.close();
}
await stopAll();
process.exit(0);
