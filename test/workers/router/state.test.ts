// The worker's state follows route and service changes by updating its router in place (counted as
// "updated"), rebuilds it only when asked to (--rebuild-all) or when most routes changed, and a delta
// it cannot apply leaves the previous state exactly as it was, records included.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { diff } from '../../../config/diff.ts';
import { entityHash } from '../../../config/hash.ts';
import { pluginSchemas } from '../../../config/plugins/index.ts';
import { prepareConfig, toSnapshot } from '../../../config/prepare.ts';
import type { Delta, Route, Snapshot } from '../../../config/types.ts';
import { createCounterMemory } from '../../../runtime/protocol/counters.ts';
import { createLogger } from '../../../runtime/protocol/log.ts';
import { PluginInstances } from '../../../workers/plugins/instances.ts';
import { createRegistry } from '../../../workers/plugins/registry.ts';
import { RebuildCounter } from '../../../workers/rebuilds.ts';
import { buildState, nextSnapshot, type StateDeps } from '../../../workers/state.ts';
import { TimerWheel } from '../../../workers/timers/wheel.ts';

function snapshotOf(routes: Array<Record<string, unknown>>, version: number, servicePath = '/base'): Snapshot {
  const text = JSON.stringify({ _format_version: '3.0', services: [{ name: 's', url: `http://127.0.0.1:9${servicePath}`, routes }] });
  const result = prepareConfig(text, { plugins: pluginSchemas });
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return toSnapshot(result, version);
}

function deps(t: { after(fn: () => void): void }, rebuildAll = false): StateDeps {
  const wheel = new TimerWheel();
  t.after(() => wheel.close());
  const log = createLogger({ test: 'state' });
  const env = { worker: 0, wheel, counters: createCounterMemory(64), credentials: (): never => assert.fail('no credentials in these configs'), log };
  return { registry: createRegistry(), instances: new PluginInstances(log), env, rebuilds: new RebuildCounter(), rebuildAll, listenPort: 8000 };
}

const ROUTES = Array.from({ length: 100 }, (_, i) => ({ name: `r${i}`, paths: [`/r${i}`] }));

describe('worker state and route changes', () => {
  it('a one-route delta updates the same router in place and counts it as updated', (t) => {
    const d = deps(t);
    const first = buildState(null, snapshotOf(ROUTES, 1), d);
    const changed = ROUTES.map((r, i) => (i === 3 ? { ...r, paths: ['/moved'] } : r));
    const second = buildState(first, nextSnapshot(first, diff(first.snapshot, snapshotOf(changed, 2))), d);
    assert.equal(second.router, first.router);
    assert.equal(second.router.match('GET', 'h', '/moved/x', {})?.route.name, 'r3');
    assert.equal(second.router.match('GET', 'h', '/r3', {}), null);
    assert.deepEqual(d.rebuilds.counts.router, { initial: 1 });
    assert.deepEqual(d.rebuilds.updates.router, { routes: { times: 1, entities: 1 } });

    const third = buildState(second, nextSnapshot(second, diff(second.snapshot, snapshotOf(changed, 3, '/other'))), d);
    assert.equal(third.router.match('GET', 'h', '/r7/x', {})?.upstreamPath, '/other/x');
    assert.deepEqual(d.rebuilds.updates.router, { routes: { times: 1, entities: 1 }, services: { times: 1, entities: 1 } });
  });

  it('--rebuild-all rebuilds the router for the same delta', (t) => {
    const d = deps(t, true);
    const first = buildState(null, snapshotOf(ROUTES, 1), d);
    const changed = ROUTES.map((r, i) => (i === 3 ? { ...r, paths: ['/moved'] } : r));
    const second = buildState(first, nextSnapshot(first, diff(first.snapshot, snapshotOf(changed, 2))), d);
    assert.notEqual(second.router, first.router);
    assert.equal(second.router.match('GET', 'h', '/moved', {})?.route.name, 'r3');
    assert.deepEqual(d.rebuilds.counts.router, { initial: 1, routes: 1 });
    assert.deepEqual(d.rebuilds.updates.router, {});
  });

  it('a full replacement (most routes changed) rebuilds instead of updating', (t) => {
    const d = deps(t);
    const first = buildState(null, snapshotOf(ROUTES, 1), d);
    const replaced = ROUTES.map((r, i) => ({ ...r, name: `n${i}` }));
    const second = buildState(first, nextSnapshot(first, diff(first.snapshot, snapshotOf(replaced, 2))), d);
    assert.notEqual(second.router, first.router);
    assert.equal(second.router.match('GET', 'h', '/r5', {})?.route.name, 'n5');
    assert.deepEqual(d.rebuilds.counts.router, { initial: 1, routes: 1 });
  });

  it('a delta whose route cannot compile throws and leaves the previous state, router and records as they were', (t) => {
    const d = deps(t);
    const first = buildState(null, snapshotOf(ROUTES, 1), d);
    const routesBefore = structuredClone(first.snapshot.entities.routes);
    const hashesBefore = structuredClone(first.snapshot.entityHashes.routes);
    // Validation would refuse this regex; a delta is built by hand to reach the worker's last line of defence.
    const victim = Object.values(first.snapshot.entities.routes).find((r) => r.name === 'r4')!;
    const broken: Route = { ...victim, paths: ['~/(unclosed'] };
    const delta: Delta = {
      version: 2, fromVersion: 1, hash: 'h2', upserts: { routes: [broken] }, removes: {},
      groupHashes: { ...first.snapshot.groupHashes, routes: 'changed' }, upsertHashes: { routes: { [broken.id]: entityHash(broken) } },
    };
    assert.throws(() => buildState(first, nextSnapshot(first, delta), d), { code: 'SLUICE_ERR_CONFIG_INVALID' });
    assert.deepEqual(first.snapshot.entities.routes, routesBefore);
    assert.deepEqual(first.snapshot.entityHashes.routes, hashesBefore);
    assert.equal(first.router.match('GET', 'h', '/r4', {})?.route.name, 'r4');
    assert.deepEqual(d.rebuilds.updates.router, {});
  });
});
