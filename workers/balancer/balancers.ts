// The balancers of one worker, one per upstream (worker thread). Rebuilt per upstream: a change to
// upstream U's entity or targets rebuilds U's balancer and keeps every other balancer object as is.
//
// A change costs what changed, not the size of the config. The old way (a fingerprint of every
// upstream and its targets' hashes, recomputed on any target change) took milliseconds at 1,000
// upstreams, cold JIT and GC included, for a one-target delta. Now the changed ids come from the
// delta (or, for a full snapshot, from comparing the changed group's entity hashes), and the
// target ids of each upstream are kept, so rebuilding one upstream reads only its own targets.
import { deltaOf } from '../../config/apply.ts';
import type { Snapshot, Target, Upstream } from '../../config/types.ts';
import type { DnsAnswers } from '../../runtime/protocol/dns-memory.ts';
import type { UpstreamMemory } from '../../runtime/protocol/upstream-memory.ts';
import { ConsistentHashingBalancer } from './consistent-hashing.ts';
import { LatencyBalancer } from './latency.ts';
import { LeastConnectionsBalancer } from './least-connections.ts';
import { parseTarget, type Balancer } from './peer.ts';
import { RoundRobinBalancer } from './round-robin.ts';

export type { Balancer } from './peer.ts';

export interface Balancers {
  readonly byId: ReadonlyMap<string, Balancer>;
  /** Services name an upstream by its name in `host`. */
  readonly byName: ReadonlyMap<string, Balancer>;
  /** Target ids of each upstream (every target, weight 0 too): what a rebuild of that upstream reads. */
  readonly targetIds: ReadonlyMap<string, ReadonlySet<string>>;
}

export const NO_BALANCERS: Balancers = { byId: new Map(), byName: new Map(), targetIds: new Map() };

/**
 * The balancers for `snapshot`. With `before` (the snapshot `previous` was built for), only the
 * upstreams whose entity or targets changed between the two are rebuilt; the others keep their
 * balancer object (and its round-robin position). Without it, or with `rebuildAll`, all are built.
 * `onRebuild` is told about each balancer actually built.
 */
export function buildBalancers(
  previous: Balancers,
  before: Snapshot | null,
  snapshot: Snapshot,
  rebuildAll: boolean,
  onRebuild: (upstreamId: string) => void,
  memory: UpstreamMemory | null = null,
  dns: DnsAnswers | null = null,
): Balancers {
  if (before === null || rebuildAll) return buildAll(snapshot, onRebuild, memory, dns);
  const dirty = new Set<string>();
  const targetIds = changedTargets(previous.targetIds, before, snapshot, dirty);
  changedUpstreams(before, snapshot, dirty);
  if (dirty.size === 0) return previous;

  const byId = new Map(previous.byId);
  const byName = new Map(previous.byName);
  for (const id of dirty) {
    const old = byId.get(id);
    if (old !== undefined) {
      byId.delete(id);
      // Only if it is still this balancer's: a rename in the same change may have taken the name.
      if (byName.get(old.upstream.name) === old) byName.delete(old.upstream.name);
    }
    const upstream = snapshot.entities.upstreams[id];
    if (upstream === undefined) continue; // removed: its targets went with it (a required reference)
    const balancer = makeBalancer(snapshot, upstream, targetIds.get(id), memory, dns);
    onRebuild(id);
    byId.set(id, balancer);
    byName.set(upstream.name, balancer);
  }
  return { byId, byName, targetIds };
}

/**
 * After new DNS answers: rebuilds the balancers of the upstreams with a target named `names` (whose
 * addresses changed), and only those; the others keep their balancer object.
 */
export function rebuildForDns(
  previous: Balancers,
  snapshot: Snapshot,
  names: ReadonlySet<string>,
  onRebuild: (upstreamId: string) => void,
  memory: UpstreamMemory | null,
  dns: DnsAnswers,
): Balancers {
  const dirty: string[] = [];
  for (const [upstreamId, ids] of previous.targetIds) {
    for (const id of ids) {
      const target = snapshot.entities.targets[id];
      if (target !== undefined && names.has(parseTarget(target.target).host.toLowerCase())) {
        dirty.push(upstreamId);
        break;
      }
    }
  }
  if (dirty.length === 0) return previous;
  const byId = new Map(previous.byId);
  const byName = new Map(previous.byName);
  for (const id of dirty) {
    const upstream = snapshot.entities.upstreams[id];
    if (upstream === undefined) continue;
    const balancer = makeBalancer(snapshot, upstream, previous.targetIds.get(id), memory, dns);
    onRebuild(id);
    byId.set(id, balancer);
    byName.set(upstream.name, balancer);
  }
  return { byId, byName, targetIds: previous.targetIds };
}

/** The balancer of the upstream's `algorithm`, one module each. */
export function makeBalancer(snapshot: Snapshot, upstream: Upstream, targetIds: ReadonlySet<string> | undefined, memory: UpstreamMemory | null, dns: DnsAnswers | null = null): Balancer {
  const targets: Target[] = [];
  for (const targetId of targetIds ?? []) targets.push(snapshot.entities.targets[targetId]!);
  const print = fingerprint(snapshot, upstream.id, targets);
  switch (upstream.algorithm) {
    case 'consistent-hashing':
      return new ConsistentHashingBalancer(upstream, targets, print, memory, dns);
    case 'least-connections':
      return new LeastConnectionsBalancer(upstream, targets, print, memory, dns);
    case 'latency':
      return new LatencyBalancer(upstream, targets, print, memory, dns);
    default:
      return new RoundRobinBalancer(upstream, targets, print, memory, dns);
  }
}

function buildAll(snapshot: Snapshot, onRebuild: (upstreamId: string) => void, memory: UpstreamMemory | null, dns: DnsAnswers | null): Balancers {
  const targetIds = new Map<string, Set<string>>();
  for (const id in snapshot.entities.targets) idsOf(targetIds, snapshot.entities.targets[id]!.upstream.id).add(id);
  const byId = new Map<string, Balancer>();
  const byName = new Map<string, Balancer>();
  for (const id in snapshot.entities.upstreams) {
    const upstream = snapshot.entities.upstreams[id]!;
    const balancer = makeBalancer(snapshot, upstream, targetIds.get(id), memory, dns);
    onRebuild(id);
    byId.set(id, balancer);
    byName.set(upstream.name, balancer);
  }
  return { byId, byName, targetIds };
}

/**
 * Adds to `dirty` the upstream of every target added, removed or changed (both upstreams when a
 * target moved), and returns the target ids per upstream after the change.
 */
function changedTargets(
  previous: ReadonlyMap<string, ReadonlySet<string>>,
  before: Snapshot,
  after: Snapshot,
  dirty: Set<string>,
): ReadonlyMap<string, ReadonlySet<string>> {
  const changes = changedIds('targets', before, after);
  if (changes === null) return previous;
  const targetIds = new Map(previous);
  // Each touched upstream's set is copied once: `previous` still belongs to the serving state.
  const copied = new Map<string, Set<string>>();
  const edit = (upstreamId: string): Set<string> => {
    let ids = copied.get(upstreamId);
    if (ids === undefined) {
      ids = new Set(previous.get(upstreamId));
      copied.set(upstreamId, ids);
      targetIds.set(upstreamId, ids);
      dirty.add(upstreamId);
    }
    return ids;
  };
  for (const id of changes.upserted) {
    const was = before.entities.targets[id];
    if (was !== undefined) edit(was.upstream.id).delete(id);
    edit(after.entities.targets[id]!.upstream.id).add(id);
  }
  for (const id of changes.removed) edit(before.entities.targets[id]!.upstream.id).delete(id);
  for (const [id, ids] of copied) if (ids.size === 0) targetIds.delete(id);
  return targetIds;
}

function changedUpstreams(before: Snapshot, after: Snapshot, dirty: Set<string>): void {
  const changes = changedIds('upstreams', before, after);
  if (changes === null) return;
  for (const id of changes.upserted) dirty.add(id);
  for (const id of changes.removed) dirty.add(id);
}

/**
 * Ids of `group` added or changed, and removed, from `before` to `after`; null when the group was
 * not touched. Read from the delta when `after` was applied from one right after `before` (a
 * one-target change then costs one target, whatever the config's size); else (a full snapshot)
 * by comparing entity hashes, which cover the whole entity, id included.
 */
function changedIds(group: 'targets' | 'upstreams', before: Snapshot, after: Snapshot): { upserted: Iterable<string>; removed: Iterable<string> } | null {
  const old = before.entityHashes[group];
  const now = after.entityHashes[group];
  if (old === now) return null; // applyDelta keeps an unchanged group's record
  const delta = deltaOf(after);
  if (delta !== undefined && delta.fromVersion === before.version) {
    return { upserted: (delta.upserts[group] ?? []).map((e) => e.id), removed: delta.removes[group] ?? [] };
  }
  const upserted: string[] = [];
  const removed: string[] = [];
  for (const id in now) if (old[id] !== now[id]) upserted.push(id);
  for (const id in old) if (now[id] === undefined) removed.push(id);
  return { upserted, removed };
}

function idsOf(targetIds: Map<string, Set<string>>, upstreamId: string): Set<string> {
  let ids = targetIds.get(upstreamId);
  if (ids === undefined) targetIds.set(upstreamId, (ids = new Set()));
  return ids;
}

/** Upstream hash plus its targets' hashes, sorted: equal fingerprints mean an equal balancer. */
function fingerprint(snapshot: Snapshot, upstreamId: string, targets: readonly Target[]): string {
  const targetHashes = targets.map((t) => snapshot.entityHashes.targets[t.id] ?? t.id).sort();
  return `${snapshot.entityHashes.upstreams[upstreamId] ?? ''}|${targetHashes.join(',')}`;
}
