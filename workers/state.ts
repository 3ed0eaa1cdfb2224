// A worker's serving state and how it is rebuilt (worker thread).
// A new state is built to the side and swapped in with one assignment by the caller; a request
// reads the state once when it starts, so it finishes on the state it started with. Each component
// is rebuilt only when a group it depends on changed (ARCHITECTURE.md, "Rebuild gating"):
//   router      ← routes, services
//   plugins     ← plugins (updated in place for the k plugins a delta names; see plugins/iterator.ts)
//   balancer U  ← upstream U or its targets (only U's)
//   credentials ← consumers, credentials
import { deltaOf } from '../config/apply.ts';
import type { GroupName, Snapshot } from '../config/types.ts';
import { buildBalancers, NO_BALANCERS, rebuildForDns, type Balancers } from './balancer/balancers.ts';
import { CredentialsIndex } from './credentials.ts';
import { buildPluginsIterator, type PluginsIterator } from './plugins/iterator.ts';
import type { PluginInstances } from './plugins/instances.ts';
import type { PluginRegistry } from './plugins/registry.ts';
import type { PluginEnv } from './plugins/types.ts';
import type { UpstreamMemory } from '../runtime/protocol/upstream-memory.ts';
import type { DnsView } from './dns/view.ts';
import type { RebuildCounter } from './rebuilds.ts';
import { buildRouter, type Router } from './router/router.ts';

export interface WorkerState {
  readonly version: number;
  readonly snapshot: Snapshot;
  readonly router: Router;
  readonly plugins: PluginsIterator;
  readonly balancers: Balancers;
  readonly credentials: CredentialsIndex;
}

export interface StateDeps {
  readonly registry: PluginRegistry;
  readonly instances: PluginInstances;
  readonly env: PluginEnv;
  readonly rebuilds: RebuildCounter;
  /** Diagnostic: rebuild everything on every change, as Kong does. */
  readonly rebuildAll: boolean;
  /** The proxy port, assumed for a Host header without one (host entries may name a port). */
  readonly listenPort: number;
  /** Shared per-target in-flight counts and health; null in tests that run no primary. */
  readonly upstreamMemory?: UpstreamMemory | null;
  /** The process's DNS answers (workers/dns/view.ts); null in tests that run no resolver. */
  readonly dns?: DnsView | null;
}

export function buildState(previous: WorkerState | null, snapshot: Snapshot, deps: StateDeps): WorkerState {
  const changed = (...groups: GroupName[]): string | null => {
    if (previous === null) return 'initial';
    const names = groups.filter((g) => previous.snapshot.groupHashes[g] !== snapshot.groupHashes[g]);
    if (names.length > 0) return names.join('+');
    return deps.rebuildAll ? 'rebuild-all' : null;
  };
  const { rebuilds } = deps;

  let router = previous?.router;
  const routerReason = changed('routes', 'services');
  if (router === undefined || routerReason !== null) {
    router = buildRouter(Object.values(snapshot.entities.routes), snapshot.entities.services, { listenPort: deps.listenPort });
    rebuilds.count('router', routerReason ?? 'initial');
  }

  let credentials = previous?.credentials;
  const credentialsReason = changed('consumers', 'credentials');
  if (credentials === undefined || credentialsReason !== null) {
    credentials = new CredentialsIndex(snapshot.entities.consumers, snapshot.entities.credentials);
    rebuilds.count('credentials', credentialsReason ?? 'initial');
  }

  const plugins = updatePlugins(previous, snapshot, deps, changed('plugins'));

  let balancers = previous?.balancers ?? NO_BALANCERS;
  const balancersReason = changed('upstreams', 'targets');
  if (previous === null || balancersReason !== null) {
    balancers = buildBalancers(balancers, previous?.snapshot ?? null, snapshot, deps.rebuildAll, () => rebuilds.count('balancer', balancersReason ?? 'initial'), deps.upstreamMemory ?? null, deps.dns?.answers ?? null);
  }

  return { version: snapshot.version, snapshot, router, plugins, balancers, credentials };
}

/** `state` with the balancers of upstreams targeting `names` rebuilt on new DNS answers (reason `dns`). */
export function withDnsChanges(state: WorkerState, names: ReadonlySet<string>, deps: StateDeps): WorkerState {
  if (deps.dns === null || deps.dns === undefined) return state;
  const balancers = rebuildForDns(state.balancers, state.snapshot, names, () => deps.rebuilds.count('balancer', 'dns'), deps.upstreamMemory ?? null, deps.dns.answers);
  return balancers === state.balancers ? state : { ...state, balancers };
}

/**
 * The plugins iterator for `snapshot`: the previous one updated in place when a delta from the
 * previous snapshot names what changed (O(changed plugins)), else a new one. Consumers do not
 * matter: configs refer to a consumer by id, and a consumer's removal removes its configs in the
 * same delta (the config layer refuses dangling references).
 */
function updatePlugins(previous: WorkerState | null, snapshot: Snapshot, deps: StateDeps, reason: string | null): PluginsIterator {
  const { rebuilds } = deps;
  const delta = deltaOf(snapshot);
  if (previous !== null && !deps.rebuildAll && delta !== undefined && delta.fromVersion === previous.version) {
    const changedPlugins = (delta.upserts.plugins ?? []).map((plugin) => plugin.id).concat(delta.removes.plugins ?? []);
    const removedRoutes = delta.removes.routes ?? [];
    if (changedPlugins.length === 0 && removedRoutes.length === 0) return previous.plugins;
    try {
      const touched = previous.plugins.update(snapshot, { plugins: changedPlugins, removedRoutes });
      if (touched > 0) rebuilds.updated('plugins', reason ?? 'plugins', touched);
      return previous.plugins;
    } catch (error) {
      deps.env.log.error({ err: error }, 'plugins iterator update failed; building a new one');
      reason = 'update-failed';
    }
  }
  if (previous !== null && reason === null) return previous.plugins;
  const plugins = buildPluginsIterator(snapshot, deps.registry, deps.instances, deps.env);
  rebuilds.count('plugins', reason ?? 'initial');
  return plugins;
}

/** Every upstream origin `state` can send to: plain services and every balancer peer. */
export function liveOrigins(state: WorkerState): Set<string> {
  const origins = new Set<string>();
  for (const balancer of state.balancers.byId.values()) for (const peer of balancer.peers) origins.add(peer.origin);
  const services = state.snapshot.entities.services;
  for (const id in services) {
    const service = services[id]!;
    if (!state.balancers.byName.has(service.host)) origins.add(`${service.protocol}://${service.host}:${service.port}`);
  }
  return origins;
}
