// The plugins iterator updated in O(changed) (issue 18 item 2): a plugin added, changed or removed
// touches only the compiled phase lists of the routes it applies to; a global change drops them
// all without rebuilding the precedence index; instances keep their identity. And after any
// sequence of changes the updated iterator answers as a freshly built one.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Route, Service, Snapshot } from '../../../config/types.ts';
import { buildPluginsIterator, type PluginsIterator } from '../../../workers/plugins/iterator.ts';
import { PluginInstances } from '../../../workers/plugins/instances.ts';
import { RebuildCounter } from '../../../workers/rebuilds.ts';
import { mulberry32 } from '../../helpers/prng.ts';
import { request } from '../../helpers/http.ts';
import { echoHandler, startUpstream } from '../../helpers/upstream.ts';
import { captureLog, snapshotOf } from './helpers.ts';
import { startProxy } from './proxy-harness.ts';
import { tagPlugin } from './test-plugins.ts';

const NAMES = ['tag-a', 'tag-b', 'tag-c'];
const tags = NAMES.map((name, i) => tagPlugin(name, 1000 - i * 100));
const schemas = tags.map((t) => t.schema);
const extra = tags.map((t) => t.definition);

function uuid(n: number): string {
  return `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
}

function routeNamed(snapshot: Snapshot, name: string): { route: Route; service: Service | null } {
  const route = Object.values(snapshot.entities.routes).find((r) => r.name === name)!;
  return { route, service: route.service === null ? null : snapshot.entities.services[route.service.id]! };
}

describe('O(changed) updates through the worker state', () => {
  test('a route-scoped change recompiles that route only; a global one drops all compiled lists but keeps the index and every instance', async (t) => {
    const upstream = await startUpstream(echoHandler);
    t.after(() => upstream.close());
    const services = [
      { name: 's1', url: upstream.url, routes: [{ name: 'r1', paths: ['/r1'] }, { name: 'r2', paths: ['/r2'] }] },
      { name: 's2', url: upstream.url, routes: [{ name: 'r3', paths: ['/r3'] }] },
    ];
    const plugins = [
      { id: uuid(1), name: 'tag-a', config: { tag: 'global' } },
      { id: uuid(2), name: 'tag-b', route: 'r1', config: { tag: 'r1' } },
      { id: uuid(3), name: 'tag-b', service: 's2', config: { tag: 's2' } },
    ];
    const first = snapshotOf({ services, plugins }, schemas);
    const proxy = await startProxy(t, first, extra);
    for (const path of ['/r1', '/r2', '/r3']) assert.equal((await request(`${proxy.url}${path}`)).status, 200);
    const iterator = proxy.state.plugins;
    const runners = ['r1', 'r2', 'r3'].map((name) => {
      const { route, service } = routeNamed(proxy.state.snapshot, name);
      return iterator.forRoute(route, service);
    });
    assert.equal(iterator.compiledRoutes, 3);
    const rebuildsBefore = proxy.deps.rebuilds.total('plugins');
    const created = proxy.deps.instances.created;

    // Edit the r1-scoped config.
    proxy.install(snapshotOf({ services, plugins: [plugins[0], { ...plugins[1], config: { tag: 'r1-edited' } }, plugins[2]] }, schemas));
    assert.equal(proxy.state.plugins, iterator, 'updated in place, not rebuilt');
    assert.deepEqual(proxy.deps.rebuilds.updates.plugins.plugins, { times: 1, entities: 1 }, 'counted as updated (1 entity)');
    assert.equal(proxy.deps.rebuilds.total('plugins'), rebuildsBefore, 'no full rebuild');
    assert.equal(iterator.compiledRoutes, 2, 'only r1 dropped');
    const [r2, r3] = ['r2', 'r3'].map((name) => routeNamed(proxy.state.snapshot, name));
    assert.equal(iterator.forRoute(r2!.route, r2!.service), runners[1], 'r2 keeps its compiled lists');
    assert.equal(iterator.forRoute(r3!.route, r3!.service), runners[2], 'r3 keeps its compiled lists');
    const r1Reply = await request(`${proxy.url}/r1`);
    assert.match(JSON.parse(r1Reply.body).headers['x-trail'], /tag-b:r1-edited/);
    assert.equal(proxy.deps.instances.created, created + 1, 'one new instance (the edited config), the others kept');

    // A service-scoped change drops the routes of that service only.
    proxy.install(snapshotOf({ services, plugins: [plugins[0], { ...plugins[1], config: { tag: 'r1-edited' } }, { ...plugins[2], config: { tag: 's2-edited' } }] }, schemas));
    assert.equal(iterator.forRoute(r2!.route, r2!.service), runners[1], 'r2 (service s1) untouched by an s2 change');
    assert.match(JSON.parse((await request(`${proxy.url}/r3`)).body).headers['x-trail'], /tag-b:s2-edited/);

    // A global change: every compiled list goes, the iterator (its index) stays.
    proxy.install(snapshotOf({ services, plugins: [{ ...plugins[0], config: { tag: 'global-2' } }, { ...plugins[1], config: { tag: 'r1-edited' } }, { ...plugins[2], config: { tag: 's2-edited' } }] }, schemas));
    assert.equal(proxy.state.plugins, iterator);
    assert.equal(iterator.compiledRoutes, 0);
    assert.match(JSON.parse((await request(`${proxy.url}/r2`)).body).headers['x-trail'], /tag-a:global-2/);
    assert.equal(iterator.size, 3);
  });

  test('a change to routes alone leaves the plugins iterator and its compiled lists; a removed route drops its compiled lists', async (t) => {
    const upstream = await startUpstream(echoHandler);
    t.after(() => upstream.close());
    const plugins = [{ id: uuid(1), name: 'tag-a', config: { tag: 'g' } }];
    const services = (extraRoute: boolean) => [{ name: 's1', url: upstream.url, routes: [{ name: 'r1', paths: ['/r1'] }, ...(extraRoute ? [{ name: 'r2', paths: ['/r2'] }] : [])] }];
    const proxy = await startProxy(t, snapshotOf({ services: services(true), plugins }, schemas), extra);
    await request(`${proxy.url}/r1`);
    await request(`${proxy.url}/r2`);
    const iterator = proxy.state.plugins;
    assert.equal(iterator.compiledRoutes, 2);
    const before = proxy.deps.rebuilds.total('plugins');
    proxy.install(snapshotOf({ services: services(false), plugins }, schemas));
    assert.equal(proxy.state.plugins, iterator);
    assert.equal(proxy.deps.rebuilds.total('plugins'), before, 'no rebuild');
    assert.equal(proxy.deps.rebuilds.totalUpdates('plugins'), 0, 'no plugin touched');
    assert.equal(iterator.compiledRoutes, 1, 'the removed route is forgotten');
  });
});

describe('property: an updated iterator answers as a fresh one', () => {
  test('random sequences of plugin adds, edits, removes and scope moves', () => {
    const random = mulberry32(1816);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
    const services = ['s1', 's2', 's3'].map((s) => ({ name: s, url: 'http://127.0.0.1:9', routes: [1, 2, 3].map((i) => ({ name: `${s}-r${i}`, paths: [`/${s}/${i}`] })) }));
    const routes = services.flatMap((s) => s.routes.map((r) => r.name));
    const consumers = ['alice', 'bob', 'carol'].map((username) => ({ username }));
    const live = new Map<string, Record<string, unknown>>();
    let nextId = 1;
    const scopeKey = (p: Record<string, unknown>): string => `${String(p.name)}|${String(p.route ?? '')}|${String(p.service ?? '')}|${String(p.consumer ?? '')}`;
    const randomScope = (): Record<string, unknown> => {
      const scope: Record<string, unknown> = {};
      if (random() < 0.4) scope.route = pick(routes);
      if (random() < 0.4) scope.service = pick(services).name;
      if (random() < 0.35) scope.consumer = pick(consumers).username;
      return scope;
    };
    const { log } = captureLog();
    const instances = new PluginInstances(log);
    const env = { worker: 0, wheel: null as never, counters: new SharedArrayBuffer(8), credentials: () => null as never, log };
    const registry = new Map(extra.map((d) => [d.name, d]));
    let snapshot = snapshotOf({ services, consumers }, schemas);
    const iterator: PluginsIterator = buildPluginsIterator(snapshot, registry, instances, env);
    const rebuilds = new RebuildCounter();
    let checked = 0;
    for (let step = 0; step < 150; step++) {
      const changes = 1 + Math.floor(random() * 3);
      for (let c = 0; c < changes; c++) {
        const roll = random();
        const ids = [...live.keys()];
        if (roll < 0.45 || ids.length === 0) {
          const plugin = { id: uuid(nextId++), name: pick(NAMES), ...randomScope(), config: { tag: `v${step}` } };
          if (![...live.values()].some((p) => scopeKey(p) === scopeKey(plugin))) live.set(plugin.id, plugin);
        } else if (roll < 0.7) {
          const id = pick(ids);
          live.set(id, { ...live.get(id)!, config: { tag: `edit${step}` }, enabled: random() < 0.85 });
        } else if (roll < 0.85) {
          const id = pick(ids);
          const moved: Record<string, unknown> = { ...live.get(id)!, route: undefined, service: undefined, consumer: undefined, ...randomScope() };
          for (const k of ['route', 'service', 'consumer']) if (moved[k] === undefined) delete moved[k];
          if (![...live.values()].some((p) => p.id !== id && scopeKey(p) === scopeKey(moved))) live.set(id, moved);
        } else {
          live.delete(pick(ids));
        }
      }
      const next = snapshotOf({ services, consumers, plugins: [...live.values()] }, schemas, snapshot.version + 1);
      const changed = Object.keys({ ...next.entityHashes.plugins, ...snapshot.entityHashes.plugins }).filter((id) => next.entityHashes.plugins[id] !== snapshot.entityHashes.plugins[id]);
      rebuilds.updated('plugins', 'plugins', iterator.update(next, { plugins: changed, removedRoutes: [] }));
      snapshot = next;
      instances.retain(snapshot);
      const fresh = buildPluginsIterator(snapshot, registry, instances, env);
      assert.equal(iterator.size, fresh.size, `step ${step}: size`);
      for (const name of routes) {
        const { route, service } = routeNamed(snapshot, name);
        for (const consumer of [null, ...Object.values(snapshot.entities.consumers).map((c) => c.id)]) {
          assert.deepEqual(iterator.explain(route, service, consumer), fresh.explain(route, service, consumer), `step ${step}: route ${name}, consumer ${consumer}`);
          checked++;
        }
      }
    }
    assert.ok(checked > 1000);
  });
});
