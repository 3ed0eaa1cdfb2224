// The worker's side of the primary–worker conversation (workers/worker.ts), driven through a real
// MessageChannel from this thread: snapshots, deltas, gaps, a config it cannot apply, queries, drain.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { test, type TestContext } from 'node:test';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { diff } from '../../config/diff.ts';
import type { Snapshot } from '../../config/types.ts';
import { DEFAULT_LISTENER_LIMITS } from '../../runtime/protocol/listener-limits.ts';
import { createCounterMemory } from '../../runtime/protocol/counters.ts';
import type { FromWorker, ToWorker, WorkerBoot } from '../../runtime/protocol/messages.ts';
import { createVersionMemory, VersionMemory } from '../../runtime/protocol/shared-memory.ts';
import { createUpstreamMemory } from '../../runtime/protocol/upstream-memory.ts';
import { createDnsMemory } from '../../runtime/protocol/dns-memory.ts';
import { GatewayWorker } from '../../workers/worker.ts';
import { snapshot } from '../config/helpers.ts';
import { request } from '../helpers/http.ts';

/** A config whose one route answers `body` itself (request-termination), so no upstream is needed. */
function configSaying(body: string, version: number): Snapshot {
  return snapshot(
    JSON.stringify({
      _format_version: '3.0',
      services: [{ name: 'app', url: 'http://127.0.0.1:1', routes: [{ name: 'app', paths: ['/'] }] }],
      plugins: [{ name: 'request-termination', config: { status_code: 200, body } }],
    }),
    version,
  );
}

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

/** The primary's end of the channel: sends, and collects what the worker says in order. */
class PrimaryEnd {
  readonly received: FromWorker[] = [];
  readonly #port: MessagePort;
  readonly #waiters: Array<{ test: (m: FromWorker) => boolean; resolve: (m: FromWorker) => void }> = [];

  constructor(port: MessagePort) {
    this.#port = port;
    port.on('message', (message: FromWorker) => {
      this.received.push(message);
      for (let i = this.#waiters.length - 1; i >= 0; i--) if (this.#waiters[i]!.test(message)) this.#waiters.splice(i, 1)[0]!.resolve(message);
    });
  }

  send(message: ToWorker): void {
    this.#port.postMessage(message);
  }

  /** The first message (already received or future) that passes `test`. */
  next<T extends FromWorker['type']>(type: T, test: (m: Extract<FromWorker, { type: T }>) => boolean = () => true): Promise<Extract<FromWorker, { type: T }>> {
    const match = (m: FromWorker): boolean => m.type === type && test(m as Extract<FromWorker, { type: T }>);
    const seen = this.received.find(match);
    if (seen !== undefined) return Promise.resolve(seen as Extract<FromWorker, { type: T }>);
    return new Promise((resolve) => this.#waiters.push({ test: match, resolve: resolve as (m: FromWorker) => void }));
  }

  /** Sends a query and resolves with its reply. */
  async query(id: number, kind: 'status' | 'timers'): Promise<Record<string, unknown>> {
    this.send({ type: 'query', id, kind });
    const reply = await this.next('reply', (m) => m.id === id);
    assert.equal(reply.error, undefined);
    return reply.data as Record<string, unknown>;
  }

  /** Every message so far of this type. */
  all<T extends FromWorker['type']>(type: T): Array<Extract<FromWorker, { type: T }>> {
    return this.received.filter((m) => m.type === type) as Array<Extract<FromWorker, { type: T }>>;
  }
}

async function startWorker(t: TestContext, failVersion: number | null = null): Promise<{ primary: PrimaryEnd; proxy: string; versions: VersionMemory }> {
  const channel = new MessageChannel();
  const proxyPort = await freePort();
  const boot: WorkerBoot = {
    workerCount: 1,
    proxyHost: '127.0.0.1',
    proxyPort,
    versions: createVersionMemory(),
    counters: createCounterMemory(),
    upstreams: createUpstreamMemory(64),
    dns: createDnsMemory(1024),
    rebuildAll: false,
    clientTimeouts: { idleMs: 60_000, bodyMs: 60_000, sendMs: 60_000 },
    listenerLimits: DEFAULT_LISTENER_LIMITS,
    upstreamTls: { verify: false, trustedCa: null },
  };
  const worker = new GatewayWorker(channel.port1, boot, { index: 0, generation: 1 }, { failVersion, log: pino({ level: 'silent' }), registry: new Registry() });
  worker.start();
  const primary = new PrimaryEnd(channel.port2);
  t.after(async () => {
    primary.send({ type: 'drain', timeoutMs: 1000, idleGraceMs: 1000 });
    await primary.next('drained');
    channel.port2.close();
  });
  return { primary, proxy: `http://127.0.0.1:${proxyPort}`, versions: new VersionMemory(boot.versions) };
}

test('a snapshot is applied, then the worker listens, says ready and serves it', async (t) => {
  const { primary, proxy, versions } = await startWorker(t);
  primary.send({ type: 'snapshot', snapshot: configSaying('one', 1) });
  const applied = await primary.next('applied');
  assert.equal(applied.version, 1);
  assert.equal(applied.full, true);
  assert.equal((await primary.next('ready')).index, 0);
  assert.equal(versions.applied(0), 1, 'the applied version is in shared memory');
  const reply = await request(`${proxy}/x`);
  assert.equal(reply.status, 200);
  assert.match(reply.body, /one/);
});

test('deltas in order are applied as deltas; the listener is opened once', async (t) => {
  const { primary, proxy } = await startWorker(t);
  const v1 = configSaying('one', 1);
  const v2 = configSaying('two', 2);
  const v3 = configSaying('three', 3);
  primary.send({ type: 'snapshot', snapshot: v1 });
  primary.send({ type: 'delta', delta: diff(v1, v2) });
  primary.send({ type: 'delta', delta: diff(v2, v3) });
  await primary.next('applied', (m) => m.version === 3);
  await primary.next('ready');
  assert.deepEqual(primary.all('applied').map((m) => [m.version, m.full]), [[1, true], [2, false], [3, false]]);
  assert.equal(primary.all('ready').length, 1);
  assert.match((await request(`${proxy}/x`)).body, /three/);
  const status = await primary.query(1, 'status');
  assert.deepEqual(status['config_applies'], { full: 1, delta: 2, failed: 0 });
  assert.equal(status['version'], 3);
});

test('a delta with a gap asks for a snapshot once and drops the deltas that follow until it arrives', async (t) => {
  const { primary, proxy } = await startWorker(t);
  const v1 = configSaying('one', 1);
  const v2 = configSaying('two', 2);
  const v3 = configSaying('three', 3);
  const v4 = configSaying('four', 4);
  primary.send({ type: 'snapshot', snapshot: v1 });
  // v2 never reaches the worker: v2→v3 does not follow v1.
  primary.send({ type: 'delta', delta: diff(v2, v3) });
  primary.send({ type: 'delta', delta: diff(v3, v4) });
  const asked = await primary.next('need-snapshot');
  assert.deepEqual({ have: asked.have, got: asked.got }, { have: 1, got: 3 });
  // A query answered after both deltas proves they were both handled.
  await primary.query(1, 'status');
  assert.equal(primary.all('need-snapshot').length, 1, 'one request for a snapshot, not one per delta');
  assert.deepEqual(primary.all('applied').map((m) => m.version), [1]);
  primary.send({ type: 'snapshot', snapshot: v4 });
  await primary.next('applied', (m) => m.version === 4);
  assert.match((await request(`${proxy}/x`)).body, /four/);
  // Deltas flow again after the snapshot.
  primary.send({ type: 'delta', delta: diff(v4, configSaying('five', 5)) });
  assert.equal((await primary.next('applied', (m) => m.version === 5)).full, false);
});

test('a delta before any snapshot asks for one instead of throwing', async (t) => {
  const { primary } = await startWorker(t);
  primary.send({ type: 'delta', delta: diff(configSaying('one', 1), configSaying('two', 2)) });
  const asked = await primary.next('need-snapshot');
  assert.deepEqual({ have: asked.have, got: asked.got }, { have: 0, got: 2 });
  primary.send({ type: 'snapshot', snapshot: configSaying('two', 2) });
  assert.equal((await primary.next('applied')).version, 2);
});

test('a config the worker cannot apply is reported, and the last good one keeps serving', async (t) => {
  const { primary, proxy, versions } = await startWorker(t, 2);
  const v1 = configSaying('one', 1);
  const v2 = configSaying('two', 2);
  const v3 = configSaying('three', 3);
  primary.send({ type: 'snapshot', snapshot: v1 });
  await primary.next('ready');
  // The delta fails: the worker asks for the snapshot of the same version, a second chance.
  primary.send({ type: 'delta', delta: diff(v1, v2) });
  const asked = await primary.next('need-snapshot');
  assert.deepEqual({ have: asked.have, got: asked.got }, { have: 1, got: 2 });
  // The snapshot fails too: that is reported, with what the worker still serves.
  primary.send({ type: 'snapshot', snapshot: v2 });
  const failed = await primary.next('apply-failed');
  assert.equal(failed.version, 2);
  assert.equal(failed.have, 1);
  assert.equal(failed.error.code, 'SLUICE_ERR_CONFIG_APPLY_FAILED');
  assert.equal(versions.applied(0), 1);
  assert.match((await request(`${proxy}/x`)).body, /one/);
  // The next config arrives as a snapshot (the primary knows the worker is at 1) and applies.
  primary.send({ type: 'snapshot', snapshot: v3 });
  await primary.next('applied', (m) => m.version === 3);
  assert.match((await request(`${proxy}/x`)).body, /three/);
  assert.deepEqual((await primary.query(7, 'status'))['config_applies'], { full: 2, delta: 0, failed: 1 });
});

test('a snapshot the worker cannot apply before it has any config leaves it unready, not dead', async (t) => {
  const { primary } = await startWorker(t, 1);
  primary.send({ type: 'snapshot', snapshot: configSaying('one', 1) });
  const failed = await primary.next('apply-failed');
  assert.deepEqual({ version: failed.version, have: failed.have }, { version: 1, have: 0 });
  assert.equal(primary.all('ready').length, 0);
  primary.send({ type: 'snapshot', snapshot: configSaying('two', 2) });
  await primary.next('ready');
  assert.equal((await primary.query(2, 'status'))['version'], 2);
});

test('stop-accepting closes the listener at once; drain then answers drained', async (t) => {
  const channel = new MessageChannel();
  const proxyPort = await freePort();
  const boot: WorkerBoot = {
    workerCount: 1,
    proxyHost: '127.0.0.1',
    proxyPort,
    versions: createVersionMemory(),
    counters: createCounterMemory(),
    upstreams: createUpstreamMemory(64),
    dns: createDnsMemory(1024),
    rebuildAll: false,
    clientTimeouts: { idleMs: 60_000, bodyMs: 60_000, sendMs: 60_000 },
    listenerLimits: DEFAULT_LISTENER_LIMITS,
    upstreamTls: { verify: false, trustedCa: null },
  };
  new GatewayWorker(channel.port1, boot, { index: 0, generation: 1 }, { log: pino({ level: 'silent' }), registry: new Registry() }).start();
  const primary = new PrimaryEnd(channel.port2);
  t.after(() => channel.port2.close());
  primary.send({ type: 'snapshot', snapshot: configSaying('one', 1) });
  await primary.next('ready');
  primary.send({ type: 'stop-accepting' });
  await primary.next('not-accepting');
  await assert.rejects(request(`http://127.0.0.1:${proxyPort}/x`), { code: 'ECONNREFUSED' });
  primary.send({ type: 'drain', timeoutMs: 1000, idleGraceMs: 1000 });
  assert.equal((await primary.next('drained')).inFlight, 0);
});
