// Plugins iterator build time (issue #4): how long a worker spends building its iterator for 100,
// 1k and 10k routes with plugins to match, and resolving every route's runner afterwards (the lazy,
// memoized part). Run: node bench/plugins-iterator.ts
import { prepareConfig } from '../config/prepare.ts';
import { toSnapshot } from '../config/prepare.ts';
import { createCounterMemory } from '../runtime/protocol/counters.ts';
import { createLogger } from '../runtime/protocol/log.ts';
import { CredentialsIndex } from '../workers/credentials.ts';
import { PluginInstances } from '../workers/plugins/instances.ts';
import { buildPluginsIterator } from '../workers/plugins/iterator.ts';
import { createRegistry } from '../workers/plugins/registry.ts';
import { pluginSchemas } from '../config/plugins/index.ts';
import type { PluginEnv } from '../workers/plugins/types.ts';
import { TimerWheel } from '../workers/timers/wheel.ts';
import { median, table } from './harness/report/report.ts';

const ROUNDS = 9;

/** `routes` routes on routes/10 services; key-auth global, a rate limit per route, correlation-id per service. */
function config(routes: number): string {
  const services = [];
  const plugins: unknown[] = [{ name: 'key-auth' }];
  for (let s = 0; s < routes / 10; s++) {
    const serviceRoutes = [];
    for (let r = 0; r < 10; r++) {
      serviceRoutes.push({ name: `r-${s}-${r}`, paths: [`/s${s}/r${r}`] });
      plugins.push({ name: 'rate-limiting', route: `r-${s}-${r}`, config: { minute: 100 + r } });
    }
    services.push({ name: `svc-${s}`, url: 'http://127.0.0.1:9000', routes: serviceRoutes });
    plugins.push({ name: 'correlation-id', service: `svc-${s}` });
  }
  return JSON.stringify({ _format_version: '3.0', services, consumers: [{ username: 'c', keyauth_credentials: [{ key: 'k' }] }], plugins });
}

const log = createLogger();
log.level = 'silent';
const rows: string[][] = [];
for (const routes of [100, 1000, 10_000]) {
  const prepared = prepareConfig(config(routes), { format: 'json', plugins: pluginSchemas });
  if (!prepared.ok) throw new Error(JSON.stringify(prepared.errors.slice(0, 3)));
  const snapshot = toSnapshot(prepared, 1);
  const wheel = new TimerWheel();
  const credentials = new CredentialsIndex(snapshot.entities.consumers, snapshot.entities.credentials);
  const env: PluginEnv = { worker: 0, wheel, counters: createCounterMemory(), credentials: () => credentials, log };
  const registry = createRegistry();
  const routeList = Object.values(snapshot.entities.routes);
  const build: number[] = [];
  const resolve: number[] = [];
  const lookup: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const instances = new PluginInstances(log);
    let t = performance.now();
    const iterator = buildPluginsIterator(snapshot, registry, instances, env);
    build.push(performance.now() - t);
    t = performance.now();
    for (const route of routeList) iterator.forRoute(route, snapshot.entities.services[route.service!.id]!);
    resolve.push(performance.now() - t);
    t = performance.now();
    for (const route of routeList) iterator.forRoute(route, snapshot.entities.services[route.service!.id]!);
    lookup.push(((performance.now() - t) * 1e6) / routeList.length);
  }
  wheel.close();
  rows.push([String(routes), String(Object.keys(snapshot.entities.plugins).length), median(build).toFixed(2), median(resolve).toFixed(2), median(lookup).toFixed(0)]);
}
console.log(`plugins iterator, median of ${ROUNDS} builds (Node ${process.version})`);
console.log(table(['routes', 'plugins', 'build ms', 'resolve all routes ms (first requests)', 'memoized forRoute ns'], rows));
