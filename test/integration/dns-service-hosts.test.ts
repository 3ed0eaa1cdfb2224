// Services whose host is a DNS name (no upstream) through the real runtime and a real DNS server on
// 127.0.0.1: the DNS thread resolves the host once per TTL for every worker; workers connect to the
// answer's addresses (the name stays the Host), so opening upstream connections asks no one; an
// address change under load moves traffic with no error and rebuilds only that service's address
// set; a name server that fails leaves the last answer serving; a name without an answer gets
// Kong's 503; hosts-file names are answered from the file.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { after, before, test } from 'node:test';
import { startDnsServer, type TestDnsServer } from '../helpers/dns-server.ts';
import { request } from '../helpers/http.ts';
import { startRuntime, writeConfig, type Runtime } from '../helpers/runtime.ts';

let dns: TestDnsServer;
let runtime: Runtime;
let one: Server;
let two: Server;
let port = 0;
/** Connections each upstream accepted, and the Host headers it saw. */
const accepted = { one: 0, two: 0 };
const hostHeaders = new Set<string>();

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

/** Answers its name and closes the connection: every proxied request opens a new upstream connection. */
function answering(name: 'one' | 'two'): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    hostHeaders.add(req.headers.host ?? '');
    res.writeHead(200, { connection: 'close' });
    res.end(name);
  };
}

const asked = (name: string): number => dns.questions.filter((q) => q.endsWith(` ${name}`)).length;

interface WorkerRebuilds {
  data: Array<{ status: { rebuilds: Record<string, Record<string, number>> } }>;
}

async function rebuilds(): Promise<WorkerRebuilds> {
  return (await request(`${runtime.admin}/workers`)).json<WorkerRebuilds>();
}

before(async () => {
  dns = await startDnsServer();
  // The same port on two loopback addresses: only the A record tells them apart.
  one = createServer(answering('one'));
  two = createServer(answering('two'));
  one.on('connection', () => accepted.one++);
  two.on('connection', () => accepted.two++);
  port = await listen(one, '127.0.0.1', 0);
  await listen(two, '127.0.0.2', port);
  dns.ttl = 1;
  dns.a.set('steady.svc.test', ['127.0.0.1']);
  dns.a.set('moving.svc.test', ['127.0.0.1']);
  dns.a.set('named.target.test', ['127.0.0.1']);
  // A hosts file: its names are never asked of the name server; A (IPv4) first, as dns_order says.
  const hosts = join(tmpdir(), `sluice-hosts-${process.pid}`);
  await writeFile(hosts, '127.0.0.1 localhost\n127.0.0.2 from-file.svc.test\n::1 from-file.svc.test\n');
  const config = await writeConfig(`
_format_version: "3.0"
upstreams:
  - name: named.upstream
    targets: [{ target: "named.target.test:${port}" }]
services:
  - { name: steady, host: steady.svc.test, port: ${port}, routes: [{ paths: [/steady] }] }
  - { name: moving, host: moving.svc.test, port: ${port}, routes: [{ paths: [/moving] }] }
  - { name: missing, host: missing.svc.test, port: ${port}, routes: [{ paths: [/missing] }] }
  - { name: file, host: from-file.svc.test, port: ${port}, routes: [{ paths: [/file] }] }
  - { name: local, host: localhost, port: ${port}, routes: [{ paths: [/local] }] }
  - { name: balanced, host: named.upstream, routes: [{ paths: [/balanced] }] }
`);
  runtime = await startRuntime(['--config', config, '--workers', '2', '--dns-resolver', `127.0.0.1:${dns.port}`, '--dns-hostsfile', hosts, '--dns-min-ttl', '0', '--dns-max-ttl', '1']);
  // Every worker has the first answers: 20 new client connections in a row (the kernel spreads
  // them over both workers). `.test` names are unknown to the system resolver, so a worker
  // without the answer could not connect at all.
  await until('every worker answers from the DNS answers', async () => {
    for (let i = 0; i < 20; i++) {
      if ((await request(`${runtime.proxy}/steady`)).body !== 'one') return false;
      if ((await request(`${runtime.proxy}/moving`)).body !== 'one') return false;
    }
    return true;
  });
});

after(async () => {
  await runtime?.stop();
  one?.closeAllConnections();
  two?.closeAllConnections();
  one?.close();
  two?.close();
  await dns?.close();
});

test('a service host by name: many new upstream connections, and the name server hears only refreshes', async () => {
  const startedAt = Date.now();
  const askedBefore = asked('steady.svc.test');
  const acceptedBefore = accepted.one;
  const requests = 200;
  for (let i = 0; i < requests; i++) {
    const reply = await request(`${runtime.proxy}/steady`);
    assert.equal(reply.status, 200);
    assert.equal(reply.body, 'one');
  }
  // The upstream closes every connection: each request opened a new one.
  assert.ok(accepted.one - acceptedBefore >= requests, `${accepted.one - acceptedBefore} upstream connections for ${requests} requests`);
  // TTL 1 s: one refresh every 0.9 s at most, whatever the number of connections.
  const seconds = (Date.now() - startedAt) / 1000;
  const queries = asked('steady.svc.test') - askedBefore;
  assert.ok(queries <= Math.ceil(seconds / 0.9) + 2, `${queries} queries in ${seconds} s for ${requests} new connections`);
  // Connected by address, yet the upstream sees the service's name.
  assert.ok(hostHeaders.has(`steady.svc.test:${port}`), [...hostHeaders].join(','));
});

test('an address change under load moves traffic with no error and rebuilds only that service\'s addresses', async () => {
  const was = await rebuilds();
  let requests = 0;
  let errors = 0;
  const seen = new Set<string>();
  let running = true;
  const load = async (path: string): Promise<void> => {
    while (running) {
      const reply = await request(`${runtime.proxy}${path}`);
      requests++;
      if (reply.status !== 200) errors++;
      if (path === '/moving') seen.add(reply.body);
    }
  };
  const clients = Promise.all([load('/moving'), load('/moving'), load('/moving'), load('/steady')]);
  await delay(500);
  dns.a.set('moving.svc.test', ['127.0.0.2']);
  await until('every answer from the new address', async () => {
    const bodies = new Set<string>();
    for (let i = 0; i < 10; i++) bodies.add((await request(`${runtime.proxy}/moving`)).body);
    return bodies.size === 1 && bodies.has('two');
  });
  await delay(500);
  running = false;
  await clients;
  assert.equal(errors, 0, `${errors} errors in ${requests} requests`);
  assert.ok(seen.has('one') && seen.has('two'));
  assert.ok(hostHeaders.has(`moving.svc.test:${port}`));
  const now = await rebuilds();
  for (let w = 0; w < now.data.length; w++) {
    const before = was.data[w]!.status.rebuilds;
    const after = now.data[w]!.status.rebuilds;
    // One service's answer changed once: one rebuild of its addresses per worker, and no balancer
    // (the upstream's target name kept its answer) and no other component was rebuilt.
    assert.equal((after['service-targets']?.dns ?? 0) - (before['service-targets']?.dns ?? 0), 1, `worker ${w}: ${JSON.stringify(after)}`);
    assert.deepEqual(after.balancer, before.balancer, `worker ${w}`);
    assert.deepEqual(after.router, before.router, `worker ${w}`);
    assert.deepEqual(after.plugins, before.plugins, `worker ${w}`);
  }
  assert.equal((await request(`${runtime.proxy}/balanced`)).body, 'one');
});

test('a name without an answer: Kong\'s 503 "name resolution failed", and no query per request', async () => {
  // The DNS thread asked for it with the other names at start (and got an empty answer).
  const askedBefore = asked('missing.svc.test');
  assert.ok(askedBefore > 0);
  const startedAt = Date.now();
  for (let i = 0; i < 30; i++) {
    const reply = await request(`${runtime.proxy}/missing`);
    assert.equal(reply.status, 503);
    assert.deepEqual(reply.json(), { message: 'name resolution failed' });
  }
  // Retried once a second per record type (SRV, A, AAAA) by the DNS thread, not per request.
  const seconds = (Date.now() - startedAt) / 1000;
  const queries = asked('missing.svc.test') - askedBefore;
  assert.ok(queries <= 3 * (Math.ceil(seconds) + 2), `${queries} queries in ${seconds} s for 30 requests`);
  // A name that gets an answer later serves from then on.
  dns.a.set('missing.svc.test', ['127.0.0.2']);
  await until('the late answer serves', async () => (await request(`${runtime.proxy}/missing`)).body === 'two');
});

test('hosts-file names are answered from the file (its IPv4 address first), never asked of the name server', async () => {
  for (let i = 0; i < 10; i++) {
    assert.equal((await request(`${runtime.proxy}/file`)).body, 'two');
    assert.equal((await request(`${runtime.proxy}/local`)).body, 'one');
  }
  assert.equal(asked('from-file.svc.test'), 0);
  assert.equal(asked('localhost'), 0);
  assert.ok(hostHeaders.has(`from-file.svc.test:${port}`));
});

test('a name server that stops answering: the last answer of a service host keeps serving, counted', async () => {
  const stale = async (): Promise<number> => Number(/^sluice_dns_stale_answers_total (\d+)/m.exec((await request(`${runtime.admin}/metrics`)).body)?.[1]);
  const staleBefore = await stale();
  dns.failing = true;
  try {
    await delay(2500);
    for (let i = 0; i < 20; i++) {
      const reply = await request(`${runtime.proxy}/steady`);
      assert.equal(reply.status, 200);
      assert.equal(reply.body, 'one');
    }
    assert.ok((await stale()) > staleBefore, 'stale answers are counted');
  } finally {
    dns.failing = false;
  }
});
