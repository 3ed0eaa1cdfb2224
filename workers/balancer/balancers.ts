// The balancers of one worker, one per upstream (worker thread). Rebuilt per upstream: a change to
// upstream U's entity or targets rebuilds U's balancer and keeps every other balancer object as is.
import type { Snapshot, Target } from '../../config/types.ts';
import { RoundRobinBalancer } from './round-robin.ts';

export interface Balancers {
  readonly byId: ReadonlyMap<string, RoundRobinBalancer>;
  /** Services name an upstream by its name in `host`. */
  readonly byName: ReadonlyMap<string, RoundRobinBalancer>;
}

export const NO_BALANCERS: Balancers = { byId: new Map(), byName: new Map() };

/**
 * Builds the balancers for `snapshot`, reusing each of `previous` whose fingerprint (upstream hash
 * plus its targets' hashes) is unchanged. `onRebuild` is told about each one actually built.
 */
export function buildBalancers(previous: Balancers, snapshot: Snapshot, rebuildAll: boolean, onRebuild: (upstreamId: string) => void): Balancers {
  const targetsOf = new Map<string, Target[]>();
  for (const id in snapshot.entities.targets) {
    const target = snapshot.entities.targets[id]!;
    let list = targetsOf.get(target.upstream.id);
    if (list === undefined) targetsOf.set(target.upstream.id, (list = []));
    list.push(target);
  }
  const byId = new Map<string, RoundRobinBalancer>();
  const byName = new Map<string, RoundRobinBalancer>();
  for (const id in snapshot.entities.upstreams) {
    const upstream = snapshot.entities.upstreams[id]!;
    const targets = targetsOf.get(id) ?? [];
    const targetHashes = targets.map((t) => snapshot.entityHashes.targets[t.id] ?? t.id).sort();
    const fingerprint = `${snapshot.entityHashes.upstreams[id] ?? ''}|${targetHashes.join(',')}`;
    const old = previous.byId.get(id);
    let balancer: RoundRobinBalancer;
    if (old !== undefined && old.fingerprint === fingerprint && !rebuildAll) {
      balancer = old;
    } else {
      balancer = new RoundRobinBalancer(upstream, targets, fingerprint);
      onRebuild(id);
    }
    byId.set(id, balancer);
    byName.set(upstream.name, balancer);
  }
  return { byId, byName };
}
