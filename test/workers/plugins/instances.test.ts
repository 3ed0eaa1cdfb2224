// Plugin instances: kept across unrelated reconfigures, replaced and closed after their in-flight
// requests when their config changes, single-flight creation, and no request ever stuck on a failed
// or dead creation (the wedge of Kong #11173). Every request here is a real HTTP request.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { PluginInstance } from '../../../workers/plugins/types.ts';
import type { AnyPluginDefinition } from '../../../workers/plugins/instances.ts';
import type { RequestContext } from '../../../workers/proxy/context.ts';
import { request, type Reply } from '../../helpers/http.ts';
import { deferred, openSchema, snapshotOf, startGateway, until, type UpstreamEcho } from './helpers.ts';

const schema = openSchema('probe', 1000);

const services = [
  { name: 's1', url: 'http://127.0.0.1:9', routes: [{ name: 'r1', paths: ['/r1'] }] },
  { name: 's2', url: 'http://127.0.0.1:9', routes: [{ name: 'r2', paths: ['/r2'] }] },
];

/** A probe plugin whose `create` is supplied per test; each instance stamps its serial on the upstream request. */
function probe(create: (config: Record<string, unknown>, serial: number) => PluginInstance | Promise<PluginInstance>): { definition: AnyPluginDefinition; calls: () => number } {
  let calls = 0;
  const definition: AnyPluginDefinition = {
    name: 'probe',
    priority: 1000,
    schema,
    // Every phase a probe may have: a phase it lacks is skipped at run time.
    phases: new Set(['access', 'headerFilter', 'log'] as const),
    create(config: Record<string, unknown>) {
      calls++;
      return create(config, calls);
    },
  };
  return { definition, calls: () => calls };
}

function stamping(serial: number, extra: Partial<PluginInstance> = {}): PluginInstance {
  return {
    access(ctx: RequestContext) {
      ctx.setUpstreamHeader('x-instance', String(serial));
    },
    ...extra,
  };
}

const INTERNAL = { message: 'An unexpected error occurred' };

function failures(lines: readonly Record<string, unknown>[]): Record<string, unknown>[] {
  return lines.filter((line) => line.code === 'SLUICE_ERR_PLUGIN_FAILED');
}

async function burst(url: string, n: number): Promise<Reply[]> {
  return Promise.all(Array.from({ length: n }, () => request(url)));
}

describe('lifecycle across reconfigures', () => {
  test('an unchanged plugin keeps its instance (same object) across unrelated rebuilds', async (t) => {
    const seen = new Set<PluginInstance>();
    const plugin = probe((_config, serial) => {
      const instance = stamping(serial);
      seen.add(instance);
      return instance;
    });
    const first = snapshotOf({ services, plugins: [{ name: 'probe', config: { v: 1 } }] }, [schema]);
    const gateway = await startGateway(t, first, { extra: [plugin.definition] });
    assert.equal((await request(`${gateway.url}/r1`)).json<UpstreamEcho>().headers['x-instance'], '1');
    // Routes, services and targets change; the plugin does not.
    const second = snapshotOf(
      { services: [...services, { name: 's3', url: 'http://127.0.0.1:10', routes: [{ name: 'r3', paths: ['/r3'] }] }], plugins: [{ name: 'probe', config: { v: 1 } }] },
      [schema],
      2,
    );
    gateway.install(second);
    gateway.install(second); // rebuild-all mode: the same config installed again
    assert.equal((await request(`${gateway.url}/r3`)).json<UpstreamEcho>().headers['x-instance'], '1');
    assert.equal((await request(`${gateway.url}/r1`)).json<UpstreamEcho>().headers['x-instance'], '1');
    assert.equal(plugin.calls(), 1);
    assert.equal(seen.size, 1);
    assert.equal(gateway.instances.closed, 0);
  });

  test('a changed config gets a new instance; the old one closes only after its in-flight requests', async (t) => {
    const closed: number[] = [];
    const gate = deferred();
    const plugin = probe((_config, serial) =>
      stamping(serial, {
        access(ctx: RequestContext) {
          ctx.setUpstreamHeader('x-instance', String(serial));
          if (ctx.req.headers['x-hold'] !== undefined) return gate.promise;
        },
        close: () => void closed.push(serial),
      }),
    );
    const gateway = await startGateway(t, snapshotOf({ services, plugins: [{ name: 'probe', config: { v: 1 } }] }, [schema]), { extra: [plugin.definition] });
    const held = request(`${gateway.url}/r1`, { headers: { 'x-hold': '1' } });
    await until(() => plugin.calls() === 1);

    gateway.install(snapshotOf({ services, plugins: [{ name: 'probe', config: { v: 2 } }] }, [schema], 2));
    assert.equal((await request(`${gateway.url}/r1`)).json<UpstreamEcho>().headers['x-instance'], '2');
    assert.deepEqual(closed, [], 'instance 1 still serves a request');

    gate.resolve();
    assert.equal((await held).json<UpstreamEcho>().headers['x-instance'], '1');
    await until(() => closed.length === 1);
    assert.deepEqual(closed, [1]);

    // Removed from the config: closed at once when idle.
    gateway.install(snapshotOf({ services, plugins: [] }, [schema], 3));
    assert.deepEqual(closed, [1, 2]);
  });
});

describe('creation', () => {
  test('single-flight: 50 concurrent requests on an async create call it once', async (t) => {
    const plugin = probe(async (_config, serial) => {
      await new Promise((resolve) => setTimeout(resolve, 50));
      return stamping(serial);
    });
    const gateway = await startGateway(t, snapshotOf({ services, plugins: [{ name: 'probe' }] }, [schema]), { extra: [plugin.definition] });
    const replies = await burst(`${gateway.url}/r1`, 50);
    assert.deepEqual(new Set(replies.map((r) => r.status)), new Set([200]));
    assert.equal(plugin.calls(), 1);
  });

  test('wedge: a failed async creation fails its 50 waiters at once, logs one line, and the next request retries', async (t) => {
    const failing = deferred();
    const plugin = probe(async (_config, serial) => {
      if (serial === 1) {
        await failing.promise;
        throw new Error('backend not reachable');
      }
      return stamping(serial);
    });
    const gateway = await startGateway(t, snapshotOf({ services, plugins: [{ name: 'probe' }] }, [schema]), { extra: [plugin.definition] });
    const pending = burst(`${gateway.url}/r1`, 50);
    // All 50 wait on the one creation before it fails.
    await until(() => gateway.started === 50);
    const started = Date.now();
    failing.resolve();
    const replies = await pending;
    assert.ok(Date.now() - started < 5000, 'answered promptly');
    assert.deepEqual(new Set(replies.map((r) => r.status)), new Set([500]));
    for (const reply of replies) assert.deepEqual(reply.json(), INTERNAL);
    const logged = failures(gateway.lines);
    assert.equal(logged.length, 1, 'one log line for the failure');
    assert.equal(logged[0]!.waiting_requests, 50);

    const next = await burst(`${gateway.url}/r1`, 10);
    assert.deepEqual(new Set(next.map((r) => r.status)), new Set([200]));
    assert.equal(plugin.calls(), 2);
    assert.equal(gateway.instances.failures, 1);
  });

  test('wedge: a create that throws synchronously fails only the request that ran it', async (t) => {
    const plugin = probe((_config, serial) => {
      if (serial === 1) throw new Error('bad config file');
      return stamping(serial);
    });
    const gateway = await startGateway(t, snapshotOf({ services, plugins: [{ name: 'probe' }] }, [schema]), { extra: [plugin.definition] });
    const replies = await burst(`${gateway.url}/r1`, 50);
    assert.equal(replies.filter((r) => r.status === 500).length, 1);
    assert.equal(replies.filter((r) => r.status === 200).length, 49);
    assert.equal(plugin.calls(), 2);
    assert.equal(failures(gateway.lines).length, 1);
  });

  test('a creation that never answers is abandoned after createTimeoutMs; its late instance is closed', async (t) => {
    const closed: number[] = [];
    const late = deferred<PluginInstance>();
    const plugin = probe((_config, serial) => (serial === 1 ? late.promise : stamping(serial)));
    const gateway = await startGateway(t, snapshotOf({ services, plugins: [{ name: 'probe' }] }, [schema]), { extra: [plugin.definition], createTimeoutMs: 1000 });
    const started = Date.now();
    const replies = await burst(`${gateway.url}/r1`, 20);
    assert.ok(Date.now() - started < 5000);
    assert.deepEqual(new Set(replies.map((r) => r.status)), new Set([500]));
    assert.equal((await request(`${gateway.url}/r1`)).status, 200, 'the next request creates again');
    late.resolve(stamping(1, { close: () => void closed.push(1) }));
    await until(() => closed.length === 1);
    assert.equal(plugin.calls(), 2);
  });

  test('an init that fails closes the half-made instance (sync and async), and the next request retries', async (t) => {
    const closed: number[] = [];
    const plugin = probe((_config, serial) =>
      stamping(serial, {
        init: serial === 1 ? () => { throw new Error('sync init'); } : serial === 2 ? () => Promise.reject(new Error('async init')) : undefined,
        close: () => void closed.push(serial),
      }),
    );
    const gateway = await startGateway(t, snapshotOf({ services, plugins: [{ name: 'probe' }] }, [schema]), { extra: [plugin.definition] });
    assert.equal((await request(`${gateway.url}/r1`)).status, 500);
    assert.equal((await request(`${gateway.url}/r1`)).status, 500);
    const ok = await request(`${gateway.url}/r1`);
    assert.equal(ok.status, 200);
    assert.equal(ok.json<UpstreamEcho>().headers['x-instance'], '3');
    assert.deepEqual(closed, [1, 2]);
    assert.equal(failures(gateway.lines).length, 2);
  });
});

describe('a throwing plugin', () => {
  for (const phase of ['access-sync', 'access-async', 'header_filter'] as const) {
    test(`${phase}: answers 500 with one log line and the worker keeps serving`, async (t) => {
      const plugin = probe((_config, serial) => ({
        access(ctx: RequestContext) {
          ctx.setUpstreamHeader('x-instance', String(serial));
          if (ctx.req.url !== '/r1/boom') return;
          if (phase === 'access-sync') throw new Error('boom');
          if (phase === 'access-async') return Promise.reject(new Error('boom'));
        },
        headerFilter(ctx: RequestContext) {
          if (phase === 'header_filter' && ctx.req.url === '/r1/boom') throw new Error('boom');
        },
      }));
      const gateway = await startGateway(t, snapshotOf({ services, plugins: [{ name: 'probe' }] }, [schema]), { extra: [plugin.definition] });
      const boom = await request(`${gateway.url}/r1/boom`);
      assert.equal(boom.status, 500);
      assert.deepEqual(boom.json(), INTERNAL);
      const logged = failures(gateway.lines);
      assert.equal(logged.length, 1);
      assert.equal(logged[0]!.plugin, 'probe');
      assert.equal(logged[0]!.phase, phase === 'header_filter' ? 'header_filter' : 'access');
      assert.equal((await request(`${gateway.url}/r1`)).status, 200);
      assert.equal((await request(`${gateway.url}/r2`)).status, 200);
      assert.equal(plugin.calls(), 1, 'the instance itself stays');
    });
  }

  test('log: the error is logged, the client already has its answer', async (t) => {
    const plugin = probe(() => ({
      log() {
        throw new Error('log sink down');
      },
    }));
    const gateway = await startGateway(t, snapshotOf({ services, plugins: [{ name: 'probe' }] }, [schema]), { extra: [plugin.definition] });
    assert.equal((await request(`${gateway.url}/r1`)).status, 200);
    await until(() => failures(gateway.lines).length === 1);
    assert.equal(failures(gateway.lines)[0]!.phase, 'log');
    assert.equal((await request(`${gateway.url}/r1`)).status, 200);
  });
});
