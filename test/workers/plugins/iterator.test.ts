// The plugins iterator: Kong's precedence per plugin name, consumer-scoped configs resolved once
// the consumer is known, phase order by priority, memoized runners that need no rebuild when
// routes change. Requests are real (helpers.ts).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Route } from '../../../config/types.ts';
import type { AnyPluginDefinition } from '../../../workers/plugins/instances.ts';
import { buildPluginsIterator } from '../../../workers/plugins/iterator.ts';
import type { RequestContext } from '../../../workers/proxy/context.ts';
import { request } from '../../helpers/http.ts';
import { snapshotOf, startGateway, until, type UpstreamEcho } from './helpers.ts';
import { headerAuthPlugin, tagPlugin } from './test-plugins.ts';

const tag = tagPlugin('tag', 800);
const auth = headerAuthPlugin();
const extra = [tag.definition, auth.definition];
const schemas = [tag.schema, auth.schema];

const services = [
  { name: 's1', url: 'http://127.0.0.1:9', routes: [{ name: 'r1', paths: ['/r1'] }] },
  { name: 's2', url: 'http://127.0.0.1:9', routes: [{ name: 'r2', paths: ['/r2'] }] },
];
const consumers = [{ username: 'alice' }, { username: 'bob' }];

// Most specific first: Kong's lookup order.
const LEVELS = [
  { tag: 'route+service+consumer', route: 'r1', service: 's1', consumer: 'alice' },
  { tag: 'route+consumer', route: 'r1', consumer: 'alice' },
  { tag: 'service+consumer', service: 's1', consumer: 'alice' },
  { tag: 'route+service', route: 'r1', service: 's1' },
  { tag: 'consumer', consumer: 'alice' },
  { tag: 'route', route: 'r1' },
  { tag: 'service', service: 's1' },
  { tag: 'global' },
] as const;

function tagPlugins(levels: readonly (typeof LEVELS)[number][]): Record<string, unknown>[] {
  return levels.map(({ tag: value, ...scope }) => ({ name: 'tag', ...scope, config: { tag: value } }));
}

async function trail(url: string, consumer?: string): Promise<string> {
  const reply = await request(url, { headers: consumer === undefined ? {} : { 'x-consumer': consumer } });
  assert.equal(reply.status, 200, reply.body);
  return reply.json<UpstreamEcho>().headers['x-trail'] ?? '';
}

describe('precedence', () => {
  for (let level = 0; level < LEVELS.length; level++) {
    const expected = LEVELS[level]!.tag;
    test(`${expected} wins over every less specific scope`, async (t) => {
      const snapshot = snapshotOf({ services, consumers, plugins: [{ name: 'test-auth' }, ...tagPlugins(LEVELS.slice(level))] }, schemas);
      const gateway = await startGateway(t, snapshot, { extra });
      assert.equal(await trail(`${gateway.url}/r1`, 'alice'), `tag:${expected},`);
    });
  }

  test('consumer-scoped configs apply only to their consumer, route and service', async (t) => {
    const snapshot = snapshotOf({ services, consumers, plugins: [{ name: 'test-auth' }, ...tagPlugins(LEVELS)] }, schemas);
    const gateway = await startGateway(t, snapshot, { extra });
    assert.equal(await trail(`${gateway.url}/r1`), 'tag:route+service,', 'no consumer');
    assert.equal(await trail(`${gateway.url}/r1`, 'bob'), 'tag:route+service,', 'a consumer with no config of its own');
    assert.equal(await trail(`${gateway.url}/r2`, 'alice'), 'tag:consumer,', 'another route and service: only the consumer-wide config');
    assert.equal(await trail(`${gateway.url}/r2`, 'bob'), 'tag:global,');
  });

  test('route+service beats consumer alone', async (t) => {
    const snapshot = snapshotOf({ services, consumers, plugins: [{ name: 'test-auth' }, ...tagPlugins([LEVELS[3], LEVELS[4]])] }, schemas);
    const gateway = await startGateway(t, snapshot, { extra });
    assert.equal(await trail(`${gateway.url}/r1`, 'alice'), 'tag:route+service,');
    assert.equal(await trail(`${gateway.url}/r2`, 'alice'), 'tag:consumer,');
  });

  test('a consumer-scoped config of a plugin that runs before authentication does not apply (as in Kong)', async (t) => {
    const early = tagPlugin('early', 2000);
    const snapshot = snapshotOf(
      { services, consumers, plugins: [{ name: 'test-auth' }, { name: 'early', config: { tag: 'global' } }, { name: 'early', consumer: 'alice', config: { tag: 'alice' } }] },
      [...schemas, early.schema],
    );
    const gateway = await startGateway(t, snapshot, { extra: [...extra, early.definition] });
    assert.equal(await trail(`${gateway.url}/r1`, 'alice'), 'early:global,');
  });

  test('disabled plugins are skipped; a route no plugin applies to gets no runner', async (t) => {
    const snapshot = snapshotOf(
      { services, consumers, plugins: [{ name: 'tag', route: 'r1', config: { tag: 'on' } }, { name: 'tag', service: 's1', enabled: false, config: { tag: 'off' } }] },
      schemas,
    );
    const gateway = await startGateway(t, snapshot, { extra });
    assert.equal(await trail(`${gateway.url}/r1`), 'tag:on,');
    const r2 = Object.values(snapshot.entities.routes).find((r) => r.name === 'r2')!;
    assert.equal(gateway.iterator.forRoute(r2, snapshot.entities.services[r2.service!.id]!), null);
    assert.equal(gateway.iterator.size, 1);
  });
});

describe('phases', () => {
  test('access, response and log run by priority (higher first, ties by name descending); rewrite runs global configs only', async (t) => {
    const logged: string[] = [];
    const plugins = [tagPlugin('p-high', 3000, { rewrite: true, log: logged }), tagPlugin('p-low', 10, { rewrite: true, log: logged }), tagPlugin('p-a', 500, { log: logged }), tagPlugin('p-b', 500, { log: logged }), tagPlugin('p-route', 900, { rewrite: true, log: logged })];
    const snapshot = snapshotOf(
      {
        services,
        plugins: [
          { name: 'p-low', config: { tag: 'g' } },
          { name: 'p-a', config: { tag: 'g' } },
          { name: 'p-high', config: { tag: 'g' } },
          { name: 'p-b', config: { tag: 'g' } },
          { name: 'p-route', route: 'r1', config: { tag: 'r' } },
        ],
      },
      plugins.map((p) => p.schema),
    );
    const gateway = await startGateway(t, snapshot, { extra: plugins.map((p) => p.definition) });
    const reply = await request(`${gateway.url}/r1`);
    const echo = reply.json<UpstreamEcho>();
    const order = 'p-high:g,p-route:r,p-b:g,p-a:g,p-low:g,';
    assert.equal(echo.headers['x-trail'], order);
    assert.equal(reply.headers['x-response-trail'], order, 'response phase: the same order as access (Kong header_filter)');
    assert.equal(echo.headers['x-rewrite-trail'], 'p-high:g,p-low:g,', 'rewrite: global configs only');
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.deepEqual(logged, ['p-high:g', 'p-route:r', 'p-b:g', 'p-a:g', 'p-low:g']);
  });

  test('an exit stops the access phase: later plugins do not run access, but do run log (as Kong)', async (t) => {
    const stop = tagPlugin('p-stop', 600);
    const after = tagPlugin('p-after', 5);
    const ran: string[] = [];
    const stopper: AnyPluginDefinition = { ...stop.definition, create: () => ({ access: (ctx: RequestContext) => ctx.exit(418, { message: 'stopped' }) }) };
    const later: AnyPluginDefinition = {
      ...after.definition,
      phases: new Set(['access', 'log'] as const),
      create: () => ({ access: () => void ran.push('access'), log: () => void ran.push('log') }),
    };
    const snapshot = snapshotOf({ services, plugins: [{ name: 'p-stop' }, { name: 'p-after' }] }, [stop.schema, after.schema]);
    const gateway = await startGateway(t, snapshot, { extra: [stopper, later] });
    const first = await request(`${gateway.url}/r1`);
    assert.equal(first.status, 418);
    assert.deepEqual(first.json(), { message: 'stopped' });
    await until(() => gateway.finished === 1);
    assert.deepEqual(ran, ['log']);
  });
});

describe('memoization', () => {
  test('one runner per (route, service), built on first use; routes added later need no rebuild', async (t) => {
    const snapshot = snapshotOf({ services, plugins: [{ name: 'tag', config: { tag: 'g' } }, { name: 'tag', service: 's2', config: { tag: 's2' } }] }, schemas);
    const gateway = await startGateway(t, snapshot, { extra });
    const iterator = buildPluginsIterator(snapshot, gateway.registry, gateway.instances, gateway.env);
    const r1 = Object.values(snapshot.entities.routes).find((r) => r.name === 'r1')!;
    const s1 = snapshot.entities.services[r1.service!.id]!;
    const s2 = Object.values(snapshot.entities.services).find((s) => s.name === 's2')!;
    const first = iterator.forRoute(r1, s1);
    assert.notEqual(first, null);
    assert.equal(iterator.forRoute(r1, s1), first, 'memoized');
    // The same route pointed at another service (a route edit the iterator was not rebuilt for).
    const moved = iterator.forRoute({ ...r1, service: { id: s2.id } }, s2);
    assert.notEqual(moved, first);
    // A route this iterator has never seen.
    const fresh: Route = { ...r1, id: '00000000-0000-4000-8000-000000000001', name: 'new' };
    assert.notEqual(iterator.forRoute(fresh, s1), null);
  });
});
