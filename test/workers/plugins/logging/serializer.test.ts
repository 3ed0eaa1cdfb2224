// Kong's log serializer fields that come from the proxy path, through the worker's real data path
// (proxy-harness.ts), a real upstream and file-log's real file: `tries` (one per try at the
// upstream, a failed one with Kong's state "failed" and its status), `request.id` (32 hex digits,
// one per request), `latencies.receive` (the upstream body's time). Routes without a log-phase
// plugin record no tries.
import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { RequestContext } from '../../../../workers/proxy/context.ts';
import { definePlugin } from '../../../../workers/plugins/define.ts';
import type { PluginInstance } from '../../../../workers/plugins/types.ts';
import { request } from '../../../helpers/http.ts';
import { echoHandler, startUpstream } from '../../../helpers/upstream.ts';
import { openSchema, snapshotOf } from '../helpers.ts';
import { eventually, type Entry } from './entries.ts';
import { startProxy } from '../proxy-harness.ts';

async function linesWith(path: string, n: number): Promise<Entry[]> {
  return eventually(async () => {
    const text = await readFile(path, 'utf8').catch(() => '');
    const got = text.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as Entry);
    return got.length >= n ? got : undefined;
  }, `${n} lines in ${path}`);
}

async function logPath(): Promise<string> {
  return join(await mkdtemp(join(tmpdir(), 'sluice-serializer-')), 'access.log');
}

/** A port on 127.0.0.1 with nothing listening: connecting to it is refused. */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A service on the upstream entity `pool` (the given targets, round robin) with a logged route /log. */
function poolDoc(targets: string[], path: string, retries?: number): Record<string, unknown> {
  return {
    upstreams: [{ name: 'pool', targets: targets.map((target) => ({ target })) }],
    services: [{ name: 'pooled', host: 'pool', port: 80, ...(retries === undefined ? {} : { retries }), routes: [{ name: 'log-route', paths: ['/log'], plugins: [{ name: 'file-log', config: { path } }] }] }],
  };
}

test('a retry after a refused target shows two tries: the failed one (state, code) and the one that answered', async (t) => {
  const upstream = await startUpstream(echoHandler);
  t.after(() => upstream.close());
  const dead = await deadPort();
  const path = await logPath();
  const proxy = await startProxy(t, snapshotOf(poolDoc([`127.0.0.1:${dead}`, `127.0.0.1:${upstream.port}`], path)));
  // Round robin over two targets: of two requests, at least one picks the dead target first.
  for (let i = 0; i < 2; i++) assert.equal((await request(`${proxy.url}/log/${i}`)).status, 200);
  const entries = await linesWith(path, 2);
  const retried = entries.find((entry) => entry.tries!.length === 2);
  assert.ok(retried !== undefined, `one entry has two tries: ${JSON.stringify(entries.map((e) => e.tries))}`);
  const [first, second] = retried.tries!;
  assert.deepEqual({ ip: first!.ip, port: first!.port, state: first!.state, code: first!.code }, { ip: '127.0.0.1', port: dead, state: 'failed', code: 502 });
  assert.deepEqual({ ip: second!.ip, port: second!.port, state: second!.state, code: second!.code }, { ip: '127.0.0.1', port: upstream.port, state: undefined, code: undefined });
  for (const entry of entries) {
    const tries = entry.tries!;
    const last = tries[tries.length - 1]!;
    assert.equal(last.port, upstream.port, 'every request ends on the live target');
    assert.equal(entry.response.status, 200);
    for (const one of tries) {
      assert.equal(typeof one.balancer_latency, 'number');
      assert.ok(one.balancer_latency >= 0);
      assert.ok(Math.abs(one.balancer_start - Date.now()) < 120_000, 'balancer_start is epoch ms');
    }
  }
  // request.id: Kong's 32 hex digits, a new one per request.
  for (const entry of entries) assert.match(entry.request.id, /^[0-9a-f]{32}$/);
  assert.notEqual(entries[0]!.request.id, entries[1]!.request.id);
});

test('every try refused: each is failed, the client gets 502, retries + 1 tries', async (t) => {
  const dead = await deadPort();
  const path = await logPath();
  const proxy = await startProxy(t, snapshotOf(poolDoc([`127.0.0.1:${dead}`], path, 2)));
  assert.equal((await request(`${proxy.url}/log/x`)).status, 502);
  const [entry] = await linesWith(path, 1);
  assert.deepEqual(
    entry!.tries!.map((one) => [one.ip, one.port, one.state, one.code]),
    [0, 1, 2].map(() => ['127.0.0.1', dead, 'failed', 502]),
  );
  assert.equal(entry!.response.status, 502);
  assert.equal(entry!.upstream_status, '');
});

test('a plain service records its one try; a plugin that answers leaves tries empty, as Kong', async (t) => {
  const upstream = await startUpstream(echoHandler);
  t.after(() => upstream.close());
  const path = await logPath();
  const logged = { name: 'file-log', config: { path } };
  const proxy = await startProxy(t, snapshotOf({
    services: [{
      name: 's', url: upstream.url,
      routes: [
        { name: 'proxied', paths: ['/log'], plugins: [logged] },
        { name: 'terminated', paths: ['/stop'], plugins: [logged, { name: 'request-termination', config: { status_code: 418 } }] },
      ],
    }],
  }));
  assert.equal((await request(`${proxy.url}/log/a`)).status, 200);
  const [proxied] = await linesWith(path, 1);
  assert.equal(proxied!.tries!.length, 1);
  assert.equal(proxied!.tries![0]!.ip, '127.0.0.1');
  assert.equal(proxied!.tries![0]!.port, upstream.port);
  assert.equal(proxied!.tries![0]!.state, undefined);
  assert.equal((await request(`${proxy.url}/stop`)).status, 418);
  const [, stopped] = await linesWith(path, 2);
  assert.equal(stopped!.response.status, 418);
  assert.deepEqual(stopped!.tries, []);
});

test('latencies.receive is the time the upstream body took; kong + proxy + receive stay within the request', async (t) => {
  const BODY_DELAY_MS = 300;
  const upstream = await startUpstream((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.write('head now, ');
    setTimeout(() => res.end('the rest later'), BODY_DELAY_MS);
  });
  t.after(() => upstream.close());
  const path = await logPath();
  const proxy = await startProxy(t, snapshotOf({
    services: [{ name: 's', url: upstream.url, routes: [{ name: 'r', paths: ['/log'], plugins: [{ name: 'file-log', config: { path } }] }] }],
  }));
  const reply = await request(`${proxy.url}/log/slow`);
  assert.equal(reply.body, 'head now, the rest later');
  const [entry] = await linesWith(path, 1);
  const { kong, proxy: waiting, receive, request: total } = entry!.latencies;
  // The body cannot arrive much before the upstream sends it (the upstream's timer and the head's
  // trip may shave a few ms off; before this field was filled it was 0).
  assert.ok(receive >= BODY_DELAY_MS - 50, `receive ${receive} ms covers the body's ${BODY_DELAY_MS} ms`);
  assert.ok(waiting >= 0 && kong >= 0);
  assert.ok(kong + waiting + receive <= total + 1, JSON.stringify(entry!.latencies));
});

test('a route without a log-phase plugin records no tries', async (t) => {
  const seen: (unknown[] | null)[] = [];
  const schema = openSchema('tries-probe', 5);
  class Probe implements PluginInstance {
    headerFilter(ctx: RequestContext): void {
      seen.push(ctx.tries);
    }
  }
  class LoggingProbe extends Probe {
    log(): void {}
  }
  const upstream = await startUpstream(echoHandler);
  t.after(() => upstream.close());
  const loggingSchema = openSchema('tries-probe-log', 5);
  const proxy = await startProxy(
    t,
    snapshotOf({
      services: [{
        name: 's', url: upstream.url,
        routes: [
          { name: 'quiet', paths: ['/quiet'], plugins: [{ name: 'tries-probe' }] },
          { name: 'logged', paths: ['/logged'], plugins: [{ name: 'tries-probe-log' }] },
        ],
      }],
    }, [schema, loggingSchema]),
    [definePlugin(schema, Probe), definePlugin(loggingSchema, LoggingProbe)],
  );
  assert.equal((await request(`${proxy.url}/quiet`)).status, 200);
  assert.equal((await request(`${proxy.url}/logged`)).status, 200);
  assert.equal(seen[0], null);
  assert.equal(seen[1]!.length, 1);
});
