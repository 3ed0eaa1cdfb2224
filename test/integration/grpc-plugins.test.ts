// gRPC through a spawned `node runtime` (--h2c) with an upstream entity and plugins: a dead
// target is skipped by the retry to the next one (round robin over both), rate-limiting on a
// grpc route answers RESOURCE_EXHAUSTED as Kong does (429 → grpc-status 8), and file-log's log
// phase sees each gRPC request with its route, status and upstream.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtemp, readFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { echoClient, grpc, startEchoServer, unary, type EchoClient, type EchoServer } from '../helpers/grpc.ts';
import { startRuntime, writeConfig, type Runtime } from '../helpers/runtime.ts';

let runtime: Runtime;
let server: EchoServer;
let logPath: string;
const clients: EchoClient[] = [];

before(async () => {
  server = await startEchoServer(['test.Echo', 'test.Limited', 'test.Logged']);
  const probe = createServer().listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const deadPort = (probe.address() as AddressInfo).port;
  probe.close();
  logPath = join(await mkdtemp(join(tmpdir(), 'sluice-grpc-log-')), 'access.log');
  const config = await writeConfig(`_format_version: "3.0"
upstreams:
  - name: pool
    targets:
      - target: 127.0.0.1:${deadPort}
      - target: 127.0.0.1:${server.port}
services:
  - name: pooled
    url: grpc://pool:80
    retries: 2
    routes:
      - name: pooled
        protocols: [grpc]
        paths: [/test.Echo/]
  - name: direct
    url: grpc://127.0.0.1:${server.port}
    routes:
      - name: limited
        protocols: [grpc]
        paths: [/test.Limited/]
        plugins:
          - name: rate-limiting
            config: { minute: 2, policy: local }
      - name: logged
        protocols: [grpc]
        paths: [/test.Logged/]
        plugins:
          - name: file-log
            config: { path: ${JSON.stringify(logPath)} }
`);
  runtime = await startRuntime(['--config', config, '--workers', '1', '--h2c']);
});

after(async () => {
  for (const c of clients) c.close();
  await runtime?.stop();
  await server?.close();
});

function client(service: string): EchoClient {
  const c = echoClient(new URL(runtime.proxy).host, service);
  clients.push(c);
  return c;
}

test('a dead target of the upstream is retried on the live one: every call succeeds', async () => {
  const c = client('test.Echo');
  for (let i = 0; i < 6; i++) {
    const r = await unary(c, { i });
    assert.equal(r.error, null, `call ${i}: ${String(r.error)}`);
    assert.deepEqual(r.value!['echo'], { i });
  }
});

test('rate-limiting on a grpc route: past the limit, RESOURCE_EXHAUSTED with Kong\'s message', async () => {
  const c = client('test.Limited');
  const first = await unary(c, { n: 1 });
  const second = await unary(c, { n: 2 });
  assert.equal(first.error, null);
  assert.equal(second.error, null);
  // The counters ride along as response metadata.
  assert.deepEqual(second.headers!.get('x-ratelimit-remaining-minute'), ['0']);
  const third = await unary(c, { n: 3 });
  assert.equal(third.error?.code, grpc.status.RESOURCE_EXHAUSTED);
  assert.equal(third.error?.details, 'API rate limit exceeded');
});

test('the log phase sees a gRPC request: route, status, upstream', async () => {
  const c = client('test.Logged');
  const r = await unary(c, { logged: true });
  assert.equal(r.error, null);
  interface LogEntry {
    request: { uri: string; method: string };
    response: { status: number };
    route: { name: string };
    service: { protocol: string };
    latencies: { proxy: number };
  }
  let entry: LogEntry | undefined;
  for (let i = 0; i < 100 && entry === undefined; i++) {
    const text = await readFile(logPath, 'utf8').catch(() => '');
    entry = text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as LogEntry)[0];
    if (entry === undefined) await new Promise((res) => setTimeout(res, 50));
  }
  assert.ok(entry !== undefined, 'no log line');
  assert.equal(entry.request.uri, '/test.Logged/Unary');
  assert.equal(entry.request.method, 'POST');
  assert.equal(entry.response.status, 200);
  assert.equal(entry.route.name, 'logged');
  assert.equal(entry.service.protocol, 'grpc');
  assert.ok(entry.latencies.proxy >= 0);
});
