// Worker side of a route change (issue 18), in one process on one thread: how long a worker takes to
// apply a one-route delta — the same steps as its `install` (applyDelta, buildState, retain) — with
// the router updated in place, against the same delta under --rebuild-all (Kong's way) and against
// applyDelta + a router rebuild alone (what the worker did before), measured in the same run. At each
// size also the load time (prepare + first state) and the heap per route (snapshot; worker structures).
// With --startup, each size is also started as a real Sluice (`node runtime`, 2 workers): time from
// spawn to "sluice ready", and the process RSS then.
// With --deltas N (e.g. 10000), memory over N more one-route deltas as bench/memory.ts judges it: the
// heap (after a full GC) sampled after a 100-delta warm-up and every N/10 deltas, each sample against
// the warm-up one, goal within 5% — whether the updated structures keep removed routes.
// Run: SLUICE_LOG_LEVEL=silent node --expose-gc bench/route-apply.ts [--sizes 10000,100000] [--changes 300] [--rebuilds 10] [--startup] [--deltas 10000]
//      (--changes 0 --startup: start-up only)
import { getHeapStatistics } from 'node:v8';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { applyDelta } from '../config/apply.ts';
import { entityHash } from '../config/hash.ts';
import { pluginSchemas } from '../config/plugins/index.ts';
import { prepareConfig, toSnapshot } from '../config/prepare.ts';
import type { Delta, Route, Snapshot } from '../config/types.ts';
import { createCounterMemory } from '../runtime/protocol/counters.ts';
import { createLogger } from '../runtime/protocol/log.ts';
import { PluginInstances } from '../workers/plugins/instances.ts';
import { createRegistry } from '../workers/plugins/registry.ts';
import { RebuildCounter } from '../workers/rebuilds.ts';
import { buildRouter } from '../workers/router/router.ts';
import { buildState, nextSnapshot, type StateDeps, type WorkerState } from '../workers/state.ts';
import { TimerWheel } from '../workers/timers/wheel.ts';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeBackground } from './harness/report/machine.ts';
import { stop } from './harness/proc.ts';
import { startSluice } from './harness/targets/sluice.ts';
import { routeTableConfig } from './harness/targets/route-table.ts';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '10000,100000' },
    changes: { type: 'string', default: '300' },
    rebuilds: { type: 'string', default: '10' },
    startup: { type: 'boolean', default: false },
    deltas: { type: 'string', default: '0' },
  },
});
const SIZES = values.sizes.split(',').map(Number);
const CHANGES = Number(values.changes);
const REBUILDS = Number(values.rebuilds);
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with node --expose-gc');

function heapUsed(): number {
  gc!();
  gc!();
  return getHeapStatistics().used_heap_size;
}

function deps(rebuildAll: boolean, wheel: TimerWheel): StateDeps {
  const log = createLogger({ bench: 'route-apply' });
  // No plugin in these configs reads credentials.
  const env = { worker: 0, wheel, counters: createCounterMemory(1024), credentials: (): never => { throw new Error('no credentials here'); }, log };
  const d: StateDeps = { registry: createRegistry(), instances: new PluginInstances(log), env, rebuilds: new RebuildCounter(), rebuildAll, listenPort: 8000 };
  return d;
}

/** The delta the primary sends when route `changing` gets path `/churn/n` and host `cn.example.com`. */
function oneRouteDelta(before: Snapshot, changing: Route, n: number): Delta {
  const route: Route = { ...changing, paths: [`/churn/${n}`], hosts: [`c${n}.example.com`] };
  return {
    version: before.version + 1,
    fromVersion: before.version,
    hash: `bench-${before.version + 1}`,
    upserts: { routes: [route] },
    removes: {},
    groupHashes: { ...before.groupHashes, routes: `bench-routes-${before.version + 1}` },
    upsertHashes: { routes: { [route.id]: entityHash(route) } },
  };
}

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

function stats(ms: number[]): string {
  const sorted = [...ms].sort((a, b) => a - b);
  return `median ${quantile(sorted, 0.5).toFixed(3)} ms, p99 ${quantile(sorted, 0.99).toFixed(3)} ms, max ${sorted[sorted.length - 1]!.toFixed(3)} ms (n=${ms.length})`;
}

/** Like the worker's install: nextSnapshot (applyDelta), buildState, retain. Returns the new state and ms per step. */
function install(state: WorkerState, delta: Delta, d: StateDeps): { state: WorkerState; apply: number; build: number; total: number } {
  const t0 = performance.now();
  const snapshot = nextSnapshot(state, delta);
  const t1 = performance.now();
  const next = buildState(state, snapshot, d);
  d.instances.retain(snapshot);
  const t2 = performance.now();
  return { state: next, apply: t1 - t0, build: t2 - t1, total: t2 - t0 };
}

console.log(`machine: ${cpus().length} cores (${cpus()[0]?.model.trim() ?? '?'}), Node ${process.version}`);
console.log(await describeBackground());
const wheel = new TimerWheel();
// --changes 0: only the start-up figures.
for (const size of CHANGES > 0 ? SIZES : []) {
  const base = heapUsed();
  const t0 = performance.now();
  const prepared = prepareConfig(JSON.stringify(routeTableConfig(size, 0)), { plugins: pluginSchemas });
  if (!prepared.ok) throw new Error(JSON.stringify(prepared.errors.slice(0, 3)));
  const snapshot: Snapshot = toSnapshot(prepared, 1);
  const t1 = performance.now();
  const afterSnapshot = heapUsed();
  const incremental = deps(false, wheel);
  let state = buildState(null, snapshot, incremental);
  const t2 = performance.now();
  const afterState = heapUsed();
  const changing = Object.values(state.snapshot.entities.routes).find((r) => r.name === 'changing')!;
  console.log(`\n${size} routes (${size / 10} services): prepare ${(t1 - t0).toFixed(0)} ms, first worker state ${(t2 - t1).toFixed(0)} ms (router ${state.router.routeCount} routes); ` +
    `heap per route: snapshot ${((afterSnapshot - base) / size).toFixed(0)} B, worker structures ${((afterState - afterSnapshot) / size).toFixed(0)} B`);

  // Incremental: CHANGES one-route deltas in a row, each as the worker installs it.
  const totals: number[] = [];
  const applies: number[] = [];
  const builds: number[] = [];
  for (let n = 1; n <= CHANGES; n++) {
    const r = install(state, oneRouteDelta(state.snapshot, changing, n), incremental);
    state = r.state;
    totals.push(r.total);
    applies.push(r.apply);
    builds.push(r.build);
  }
  const probe = state.router.match('GET', `c${CHANGES}.example.com`, `/churn/${CHANGES}/x`, {});
  if (probe?.route.name !== 'changing') throw new Error('the changed route does not match');
  console.log(`  updated in place   install ${stats(totals)}`);
  console.log(`                     of which applyDelta ${stats(applies)}; buildState + retain ${stats(builds)}`);
  console.log(`  counters: ${JSON.stringify(incremental.rebuilds.counts.router)} rebuilt, ${JSON.stringify(incremental.rebuilds.updates.router)} updated`);

  const deltas = Number(values.deltas);
  if (deltas > 0) {
    const every = Math.max(1, Math.floor(deltas / 10));
    const samples: Array<[number, number]> = [];
    let warm = 0;
    for (let n = 1; n <= deltas; n++) {
      state = install(state, oneRouteDelta(state.snapshot, changing, 1_000_000 + n), incremental).state;
      if (n === 100) warm = heapUsed();
      if (n % every === 0) samples.push([n, heapUsed()]);
    }
    const mib = (bytes: number): string => (bytes / 1024 / 1024).toFixed(2);
    const worst = samples.reduce((a, b) => (Math.abs(b[1] - warm) > Math.abs(a[1] - warm) ? b : a));
    const deviation = (worst[1] - warm) / warm;
    console.log(`  memory over ${deltas} one-route deltas: heap after the 100-delta warm-up ${mib(warm)} MiB; samples ${samples.map(([n, h]) => `${n}: ${mib(h)}`).join(', ')} MiB`);
    console.log(`  max deviation from the warm-up sample ${(deviation * 100).toFixed(2)}% (after delta ${worst[0]}); goal within 5%: ${Math.abs(deviation) <= 0.05 ? 'met' : 'NOT met'}; router still ${state.router.routeCount} routes`);
  }

  // Peers, same deltas: a router rebuild after applyDelta, and --rebuild-all's whole install.
  const rebuild: number[] = [];
  for (let n = 0; n < REBUILDS; n++) {
    const delta = oneRouteDelta(state.snapshot, changing, CHANGES + 1 + n);
    const started = performance.now();
    // A copying apply, as before (the in-place one would edit the state the loop above left).
    const next = applyDelta(state.snapshot, delta);
    buildRouter(Object.values(next.entities.routes), next.entities.services, { listenPort: 8000 });
    rebuild.push(performance.now() - started);
  }
  console.log(`  router rebuilt     applyDelta + buildRouter ${stats(rebuild)}`);
  const all = deps(true, wheel);
  let allState = buildState(null, state.snapshot, all);
  const everything: number[] = [];
  for (let n = 0; n < REBUILDS; n++) {
    const r = install(allState, oneRouteDelta(allState.snapshot, changing, CHANGES + 100 + n), all);
    allState = r.state;
    everything.push(r.total);
  }
  console.log(`  --rebuild-all      install ${stats(everything)}`);
  const median = (ms: number[]): number => quantile([...ms].sort((a, b) => a - b), 0.5);
  console.log(`  median ratio: updated in place is ${(median(rebuild) / median(totals)).toFixed(0)}× faster than a router rebuild, ${(median(everything) / median(totals)).toFixed(0)}× faster than --rebuild-all`);
}
wheel.close();

if (values.startup) {
  // Sluice announces readiness in its log: never let a silenced in-process logger silence it too.
  delete process.env.SLUICE_LOG_LEVEL;
  for (const size of SIZES) {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-route-start-'));
    const started = performance.now();
    const sluice = await startSluice({ name: `sluice-${size}`, workers: 2, config: routeTableConfig(size, 0), tmpDir: dir, readyTimeoutMs: 600_000 });
    const ready = performance.now() - started;
    const rss = /^VmRSS:\s+(\d+)/m.exec(readFileSync(`/proc/${sluice.child.pid}/status`, 'utf8'))?.[1];
    console.log(`start-up, ${size} routes, 2 workers: spawn to "sluice ready" ${(ready / 1000).toFixed(1)} s; process RSS then ${(Number(rss) / 1024).toFixed(0)} MiB`);
    await stop(sluice.child);
    rmSync(dir, { recursive: true, force: true });
  }
}
