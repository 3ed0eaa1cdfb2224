// A delta applied to a snapshot, giving the next snapshot. Pure; runs on any thread (a worker
// calls it on every reconfigure).
// Copy-on-write per group: a changed group gets new `entities[g]` and `entityHashes[g]` records;
// an unchanged group keeps the very same objects, so a worker can tell by identity (`===`) which
// groups changed and rebuild only what depends on them. The input snapshot is never modified —
// except for the groups a caller names in `inPlace`: copying a group costs O(group size) (10–40 ms
// for 10,000 routes on a busy core), so a worker whose components follow those groups per entity
// (the router: routes, services) has them edited in place, O(delta). The input snapshot then shares
// those records with the result and must be treated as replaced; `revertInPlace` undoes the edits
// when the result is not taken into service.
import { entityHash } from './hash.ts';
import { GROUPS } from './types.ts';
import type { Delta, GroupName, Snapshot } from './types.ts';

/** The delta does not follow the snapshot: the worker must ask for a full snapshot. */
export class DeltaGapError extends Error {
  readonly code = 'SLUICE_ERR_DELTA_GAP';
  readonly have: number;
  readonly got: number;

  constructor(have: number, got: number) {
    super(`delta from version ${got} cannot apply to snapshot version ${have}`);
    this.name = 'DeltaGapError';
    this.have = have;
    this.got = got;
  }
}

/**
 * The delta each snapshot made here came from (per thread; dropped with the snapshot). A consumer
 * that rebuilds per entity (the balancers) reads the changed ids from it instead of comparing
 * every entity hash of a changed group.
 */
const origins = new WeakMap<Snapshot, Delta>();

/** The delta `snapshot` was made from by `applyDelta` (it follows version `fromVersion`), or undefined. */
export function deltaOf(snapshot: Snapshot): Delta | undefined {
  return origins.get(snapshot);
}

/** How to put back what an in-place apply changed: per group, each touched id's entity and hash before (undefined: absent). */
type Undo = Array<{ group: Record<string, unknown>; hashes: Record<string, string>; id: string; entity: unknown; hash: string | undefined }>;

const undos = new WeakMap<Snapshot, Undo>();

/**
 * Puts the in-place groups of `snapshot`'s input back as they were, for a result that will not
 * serve. Later edits to the same records must not have happened since. A no-op for a snapshot
 * made without `inPlace`.
 */
export function revertInPlace(snapshot: Snapshot): void {
  const undo = undos.get(snapshot);
  if (undo === undefined) return;
  undos.delete(snapshot);
  for (let i = undo.length - 1; i >= 0; i--) {
    const { group, hashes, id, entity, hash } = undo[i]!;
    if (entity === undefined) delete group[id];
    else group[id] = entity;
    if (hash === undefined) delete hashes[id];
    else hashes[id] = hash;
  }
}

/** `snapshot` serves now: its in-place edits will not be reverted (drops what `revertInPlace` would need). */
export function settleInPlace(snapshot: Snapshot): void {
  undos.delete(snapshot);
}

export interface ApplyOptions {
  /** Groups whose records are edited in place instead of copied (see the top of this file). */
  inPlace?: readonly GroupName[];
}

export function applyDelta(snapshot: Snapshot, delta: Delta, options: ApplyOptions = {}): Snapshot {
  if (delta.fromVersion !== snapshot.version) throw new DeltaGapError(snapshot.version, delta.fromVersion);
  const entities = { ...snapshot.entities };
  const entityHashes = { ...snapshot.entityHashes };
  let undo: Undo | null = null;
  for (const g of GROUPS) {
    const upserts = delta.upserts[g] as { id: string }[] | undefined;
    const removes = delta.removes[g];
    if ((upserts === undefined || upserts.length === 0) && (removes === undefined || removes.length === 0)) continue;
    const inPlace = options.inPlace?.includes(g) === true;
    const group = inPlace ? (snapshot.entities[g] as Record<string, unknown>) : copy(snapshot.entities[g] as Record<string, unknown>);
    const hashes = inPlace ? snapshot.entityHashes[g] : copy(snapshot.entityHashes[g]);
    if (inPlace) {
      undo ??= [];
      for (const id of removes ?? []) undo.push({ group, hashes, id, entity: group[id], hash: hashes[id] });
      for (const e of upserts ?? []) undo.push({ group, hashes, id: e.id, entity: group[e.id], hash: hashes[e.id] });
    }
    for (const id of removes ?? []) {
      delete group[id];
      delete hashes[id];
    }
    const given = delta.upsertHashes[g];
    for (const e of upserts ?? []) {
      group[e.id] = e;
      hashes[e.id] = given?.[e.id] ?? entityHash(e);
    }
    (entities as Record<string, unknown>)[g] = group;
    entityHashes[g] = hashes;
  }
  const next: Snapshot = { version: delta.version, hash: delta.hash, groupHashes: { ...delta.groupHashes }, entityHashes, entities };
  origins.set(next, delta);
  if (undo !== null) undos.set(next, undo);
  return next;
}

/**
 * A shallow copy, in the same key order as `{ ...record }`. A group record of thousands of ids is
 * in dictionary mode, where a keyed loop copies about three times faster than spread does.
 */
function copy<T>(record: Record<string, T>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const id of Object.keys(record)) out[id] = record[id] as T;
  return out;
}
