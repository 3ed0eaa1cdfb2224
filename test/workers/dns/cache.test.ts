import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { test, type TestContext } from 'node:test';
import { createDnsMemory, DnsMemory } from '../../../runtime/protocol/dns-memory.ts';
import { DnsCache, wireQuery, type DnsSettings } from '../../../workers/dns/cache.ts';
import { parseHosts } from '../../../workers/dns/hosts.ts';
import { TimerWheel } from '../../../workers/timers/wheel.ts';
import { startDnsServer, type TestDnsServer } from '../../helpers/dns-server.ts';

async function until(what: string, test: () => boolean, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!test()) {
    if (Date.now() > end) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await delay(20);
  }
}

async function setup(t: TestContext, settings: Partial<DnsSettings> = {}, hosts = ''): Promise<{ server: TestDnsServer; cache: DnsCache; memory: DnsMemory }> {
  const server = await startDnsServer();
  t.after(() => server.close());
  const full: DnsSettings = { servers: [`127.0.0.1:${server.port}`], hostsFile: null, order: ['LAST', 'SRV', 'A'], minTtl: 0, maxTtl: 3600, staleTtl: 3600, timeoutMs: 500, maxConcurrent: 16, ...settings };
  const memory = new DnsMemory(createDnsMemory(64 * 1024));
  const cache = new DnsCache(full, new TimerWheel(), memory, wireQuery(full.servers, full.timeoutMs, []), parseHosts(hosts));
  t.after(() => cache.close());
  return { server, cache, memory };
}

test('an A answer is published to the shared memory, and refreshed before its TTL runs out: a change lands', async (t) => {
  const { server, cache, memory } = await setup(t);
  server.a.set('api.test', ['10.0.0.1', '10.0.0.2']);
  await cache.watch(['api.test']);
  assert.deepEqual(memory.read()!.answers['api.test']!.map((a) => a.ip).sort(), ['10.0.0.1', '10.0.0.2']);
  server.a.set('api.test', ['10.0.0.3']);
  await until('the new address published', () => memory.read()?.answers['api.test']?.[0]?.ip === '10.0.0.3');
  // Refreshed on the TTL (1 s): a few queries, not a flood.
  assert.ok(server.questions.filter((q) => q === 'A api.test').length >= 2);
});

test('the TTL is held within [min, max]: with min 4 s, a 1 s TTL is refreshed after ~3.6 s, not 0.9 s', async (t) => {
  const { server, cache } = await setup(t, { minTtl: 4 });
  server.a.set('slow.test', ['10.0.0.1']);
  await cache.watch(['slow.test']);
  const asked = (): number => server.questions.filter((q) => q === 'A slow.test').length;
  assert.equal(asked(), 1);
  await delay(1200);
  assert.equal(asked(), 1, 'not refreshed at the raw TTL');
  await until('refreshed at the minimum TTL', () => asked() >= 2);
});

test('stale on error: while the name server fails, the last answer keeps serving and each failure is counted', async (t) => {
  const { server, cache, memory } = await setup(t);
  server.a.set('flaky.test', ['10.0.0.9']);
  await cache.watch(['flaky.test']);
  server.failing = true;
  await until('stale answers counted', () => memory.counter('stale') >= 2);
  assert.deepEqual(memory.read()!.answers['flaky.test'], [{ ip: '10.0.0.9', port: null, weight: null }]);
  assert.ok(memory.counter('failures') >= 2);
  server.failing = false;
  server.a.set('flaky.test', ['10.0.0.10']);
  await until('recovered', () => memory.read()?.answers['flaky.test']?.[0]?.ip === '10.0.0.10');
});

test('stale answers expire after staleTtl: then the name has no answer (Kong: DNS_ERROR)', async (t) => {
  const { server, cache, memory } = await setup(t, { staleTtl: 0 });
  server.a.set('gone.test', ['10.0.0.1']);
  await cache.watch(['gone.test']);
  server.failing = true;
  await until('answer withdrawn', () => memory.read()?.answers['gone.test'] === null);
});

test('concurrent lookups of one name are coalesced into one query', async (t) => {
  const { server, cache, memory } = await setup(t, { order: ['A'] });
  server.a.set('busy.test', ['10.0.0.1']);
  server.delayMs = 200;
  const answers = await Promise.all(Array.from({ length: 50 }, () => cache.resolve('busy.test')));
  assert.ok(answers.every((a) => a?.[0]?.ip === '10.0.0.1'));
  assert.equal(server.questions.filter((q) => q === 'A busy.test').length, 1);
  assert.equal(memory.counter('coalesced'), 49);
});

test('resolver concurrency is bounded', async (t) => {
  const { server, cache } = await setup(t, { order: ['A'], maxConcurrent: 3 });
  server.delayMs = 100;
  const names = Array.from({ length: 12 }, (_, i) => `n${i}.test`);
  for (const name of names) server.a.set(name, ['10.0.0.1']);
  await cache.watch(names);
  assert.equal(cache.peakConcurrent, 3);
  assert.equal(server.questions.length, 12);
});

test('SRV: each address gets the record\'s port and weight (weight 0 as 1); only the lowest priority is used', async (t) => {
  const { server, cache } = await setup(t);
  server.srv.set('_http._tcp.svc.test', [
    { priority: 10, weight: 30, port: 9001, target: 'a.svc.test' },
    { priority: 10, weight: 0, port: 9002, target: 'b.svc.test' },
    { priority: 20, weight: 99, port: 9003, target: 'c.svc.test' },
  ]);
  server.a.set('a.svc.test', ['10.1.0.1']);
  server.a.set('b.svc.test', ['10.1.0.2']);
  server.a.set('c.svc.test', ['10.1.0.3']);
  await cache.watch(['_http._tcp.svc.test']);
  assert.deepEqual(cache.answer('_http._tcp.svc.test'), [
    { ip: '10.1.0.1', port: 9001, weight: 30 },
    { ip: '10.1.0.2', port: 9002, weight: 1 },
  ]);
});

test('the hosts file is honoured: a name listed there is never queried', async (t) => {
  const { server, cache } = await setup(t, {}, '# comment\n10.5.5.5  pinned.test other.test\n::1 localhost6\n');
  server.a.set('pinned.test', ['10.0.0.1']);
  await cache.watch(['pinned.test']);
  assert.deepEqual(cache.answer('pinned.test'), [{ ip: '10.5.5.5', port: null, weight: null }]);
  assert.equal(server.questions.length, 0);
});

test('a name no longer watched is dropped from the answers and not refreshed', async (t) => {
  const { server, cache, memory } = await setup(t);
  server.a.set('x.test', ['10.0.0.1']);
  server.a.set('y.test', ['10.0.0.2']);
  await cache.watch(['x.test', 'y.test']);
  await cache.watch(['y.test']);
  assert.deepEqual(Object.keys(memory.read()!.answers), ['y.test']);
  const asked = server.questions.filter((q) => q === 'A x.test').length;
  await delay(1500);
  assert.equal(server.questions.filter((q) => q === 'A x.test').length, asked);
});
