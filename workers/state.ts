// A worker's serving state and how it is rebuilt (worker thread).
// A new state is built to the side and swapped in with one assignment by the caller; a request
// reads the state once when it starts, so it finishes on the state it started with. Each component
// is rebuilt only when a group it depends on changed (ARCHITECTURE.md, "Rebuild gating"):
//   router      ← routes, services (updated in place for the changed routes and services; rebuilt
//                 when there is no router yet, on `--rebuild-all`, or when most routes changed)
//   plugins     ← plugins (updated in place for the k plugins a delta names; see plugins/iterator.ts)
//   balancer U  ← upstream U or its targets (only U's); U's target names' DNS answers
//   service-targets S ← service S, or its host's DNS answer (only S's), for a host that is a name
//                 and no upstream's (dns/service-hosts.ts)
//   credentials ← consumers, credentials
//   tls         ← certificates, snis, ca_certificates (tls/state.ts: the listener's SNI table and
//                 services' upstream TLS contexts)
import { applyDelta, deltaOf, revertInPlace, settleInPlace } from '../config/apply.ts';
import type { Delta, GroupName, Snapshot } from '../config/types.ts';
import { buildBalancers, NO_BALANCERS, rebuildForDns, type Balancers } from './balancer/balancers.ts';
import { CredentialsIndex } from './credentials.ts';
import { buildPluginsIterator, type PluginsIterator } from './plugins/iterator.ts';
import type { PluginInstances } from './plugins/instances.ts';
import type { PluginRegistry } from './plugins/registry.ts';
import type { PluginEnv } from './plugins/types.ts';
import type { UpstreamMemory } from '../runtime/protocol/upstream-memory.ts';
import { buildServiceHosts, NO_SERVICE_HOSTS, rebuildServiceHostsForDns, type ServiceHosts } from './dns/service-hosts.ts';
import type { DnsView } from './dns/view.ts';
import type { RebuildCounter } from './rebuilds.ts';
import { originOf } from './proxy/targets.ts';
import { routerChanges } from './router/changes.ts';
import { buildRouter, type Router } from './router/router.ts';
import { buildTlsState, type TlsState } from './tls/state.ts';

export interface WorkerState {
  readonly version: number;
  readonly snapshot: Snapshot;
  readonly router: Router;
  readonly plugins: PluginsIterator;
  readonly balancers: Balancers;
  /** Addresses of the services whose host is a DNS name and no upstream's. */
  readonly serviceHosts: ServiceHosts;
  readonly credentials: CredentialsIndex;
  readonly tls: TlsState;
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
  /** The TLS proxy port, assumed for a Host header without one on a TLS request. Default 443. */
  readonly tlsPort?: number;
  /** Shared per-target in-flight counts and health; null in tests that run no primary. */
  readonly upstreamMemory?: UpstreamMemory | null;
  /** The process's DNS answers (workers/dns/view.ts); null in tests that run no resolver. */
  readonly dns?: DnsView | null;
  /** PEM of --upstream-trusted-ca: the trust store of services that name no ca_certificates. */
  readonly trustedCa?: string | null;
}

/**
 * Groups a worker edits in place when it applies a delta (config/apply.ts): only the router reads
 * them, and it follows them per entity, so copying them (O(routes)) would be the largest cost of a
 * route change. The previous state's snapshot then shares these records; nothing reads them there.
 */
const IN_PLACE_GROUPS: readonly GroupName[] = ['routes', 'services'];

/** The snapshot `delta` makes of `state`'s, to pass to `buildState`. */
export function nextSnapshot(state: WorkerState, delta: Delta): Snapshot {
  return applyDelta(state.snapshot, delta, { inPlace: IN_PLACE_GROUPS });
}

/**
 * The state for `snapshot`, built to the side; `previous` keeps serving until the caller swaps.
 * On a throw, `snapshot`'s in-place edits are reverted, so `previous` is as it was.
 */
export function buildState(previous: WorkerState | null, snapshot: Snapshot, deps: StateDeps): WorkerState {
  try {
    const state = buildComponents(previous, snapshot, deps);
    settleInPlace(snapshot);
    return state;
  } catch (error) {
    revertInPlace(snapshot);
    throw error;
  }
}

function buildComponents(previous: WorkerState | null, snapshot: Snapshot, deps: StateDeps): WorkerState {
  const changed = (...groups: GroupName[]): string | null => {
    if (previous === null) return 'initial';
    const names = groups.filter((g) => previous.snapshot.groupHashes[g] !== snapshot.groupHashes[g]);
    if (names.length > 0) return names.join('+');
    return deps.rebuildAll ? 'rebuild-all' : null;
  };
  const { rebuilds } = deps;

  let credentials = previous?.credentials;
  const credentialsReason = changed('consumers', 'credentials');
  if (credentials === undefined || credentialsReason !== null) {
    credentials = new CredentialsIndex(snapshot.entities.consumers, snapshot.entities.credentials);
    rebuilds.count('credentials', credentialsReason ?? 'initial');
  }

  let tls = previous?.tls;
  const tlsReason = changed('certificates', 'snis', 'ca_certificates');
  if (tls === undefined || tlsReason !== null) {
    tls = buildTlsState(snapshot.entities, deps.trustedCa ?? null);
    rebuilds.count('tls', tlsReason ?? 'initial');
  }

  const plugins = updatePlugins(previous, snapshot, deps, changed('plugins'));

  let balancers = previous?.balancers ?? NO_BALANCERS;
  const balancersReason = changed('upstreams', 'targets');
  if (previous === null || balancersReason !== null) {
    balancers = buildBalancers(balancers, previous?.snapshot ?? null, snapshot, deps.rebuildAll, () => rebuilds.count('balancer', balancersReason ?? 'initial'), deps.upstreamMemory ?? null, deps.dns?.answers ?? null);
  }

  let serviceHosts = previous?.serviceHosts ?? NO_SERVICE_HOSTS;
  const hostsReason = changed('services', 'upstreams');
  if (previous === null || hostsReason !== null) {
    const before = deps.rebuildAll ? null : (previous?.snapshot ?? null);
    serviceHosts = buildServiceHosts(deps.rebuildAll ? NO_SERVICE_HOSTS : serviceHosts, before, snapshot, balancers.byName, deps.dns?.answers ?? null, () => rebuilds.count('service-targets', hostsReason ?? 'initial'));
  }

  // Last: the router is edited in place, so nothing that can still throw may come after it.
  const router = followRouter(previous, snapshot, changed('routes', 'services'), deps);

  return { version: snapshot.version, snapshot, router, plugins, balancers, serviceHosts, credentials, tls };
}

/**
 * `state` with the balancers of upstreams targeting `names`, and the addresses of services whose
 * host is one of `names`, rebuilt on new DNS answers (reason `dns`); nothing else.
 */
export function withDnsChanges(state: WorkerState, names: ReadonlySet<string>, deps: StateDeps): WorkerState {
  if (deps.dns === null || deps.dns === undefined) return state;
  const balancers = rebuildForDns(state.balancers, state.snapshot, names, () => deps.rebuilds.count('balancer', 'dns'), deps.upstreamMemory ?? null, deps.dns.answers);
  const serviceHosts = rebuildServiceHostsForDns(state.serviceHosts, names, deps.dns.answers, () => deps.rebuilds.count('service-targets', 'dns'));
  return balancers === state.balancers && serviceHosts === state.serviceHosts ? state : { ...state, balancers, serviceHosts };
}

/**
 * Above this share of the routes changed at once, building anew is cheaper than editing: a full
 * replacement, or a first config after an empty one.
 */
const REBUILD_SHARE = 0.25;

/**
 * The router for `snapshot`. The previous router edited in place when routes or services changed
 * (the previous state then shares it: a request routes once when it starts, so a request in flight
 * on the previous state is unaffected), a new one when there is none, on `--rebuild-all`, or when
 * most routes changed.
 */
function followRouter(previous: WorkerState | null, snapshot: Snapshot, reason: string | null, deps: StateDeps): Router {
  const build = (why: string): Router => {
    deps.rebuilds.count('router', why);
    return buildRouter(Object.values(snapshot.entities.routes), snapshot.entities.services, { listenPort: deps.listenPort, ...(deps.tlsPort === undefined ? {} : { tlsPort: deps.tlsPort }) });
  };
  if (previous === null) return build('initial');
  if (reason === null) return previous.router;
  if (deps.rebuildAll) return build(reason);
  const changes = routerChanges(previous.snapshot, snapshot);
  if (changes.routes.length + changes.removedRoutes.length > Math.max(64, previous.router.routeCount * REBUILD_SHARE)) return build(reason);
  previous.router.update(changes, snapshot.entities.services);
  deps.rebuilds.updated('router', reason, changes.entities);
  return previous.router;
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
  const services = state.snapshot.entities.services;
  for (const id in services) {
    const service = services[id]!;
    const balancer = state.balancers.byName.get(service.host);
    // A service's protocol applies to every target of the upstream it names.
    if (balancer !== undefined) {
      for (const peer of balancer.peers) origins.add(originOf(service.protocol, peer.host, peer.port));
      continue;
    }
    origins.add(originOf(service.protocol, service.host, service.port));
    const addresses = state.serviceHosts.byService.get(id)?.addresses;
    if (addresses !== undefined && addresses !== null) for (const a of addresses) origins.add(originOf(service.protocol, a.ip, a.port));
  }
  return origins;
}
