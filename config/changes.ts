// A prepared config told as its changes against a config the receiver already holds. Pure; runs on
// any thread. The piscina task prepares every config in full, but sending that result back to the
// primary costs a structured clone of every entity (about 8 MB at 10,000 routes: ~70 ms to
// serialize, ~70 ms to deserialize, then the old snapshot's objects are all garbage). When the
// primary holds the config the task prepared last, only what differs has to travel.
//
// Correctness rests on the hashes alone: equal config hashes mean equal group hashes, equal group
// hashes mean equal `[id, entity hash]` sets, and an entity hash covers the whole entity. So an
// entity whose hash the base has is, byte for byte, the base's entity, and is reused from it.
import type { PreparedConfig } from './prepare.ts';
import { GROUPS } from './types.ts';
import type { EntityByGroup, FlatError, GroupHashes, GroupName, Snapshot } from './types.ts';

/** The hashes of a prepared config: all `changesSince` needs to know about the receiver's config. */
export interface HashesOf {
  hash: string;
  groupHashes: GroupHashes;
  entityHashes: PreparedConfig['entityHashes'];
}

export interface PreparedChanges {
  ok: true;
  /** Hash of the config these changes apply to; the receiver must hold exactly that one. */
  base: string;
  hash: string;
  groupHashes: GroupHashes;
  migration: PreparedConfig['migration'];
  /** Only groups whose hash differs from the base's. */
  groups: { [G in GroupName]?: GroupChanges<EntityByGroup[G]> };
  /** As PreparedConfig's. */
  warnings?: FlatError[];
}

/**
 * All the group's entity hashes (in the new config's order, so the expanded config equals the full
 * result, order included), and either the bodies of the entities the base does not have or, when
 * most of them changed anyway, the group's whole record (which then needs no rebuilding here).
 */
export type GroupChanges<E> = { entityHashes: Record<string, string> } & ({ bodies: E[] } | { whole: Record<string, E> });

/** `result` told against `base`: the groups that differ, and in them only the entities that do. */
export function changesSince(result: PreparedConfig, base: HashesOf): PreparedChanges {
  const changes: PreparedChanges = { ok: true, base: base.hash, hash: result.hash, groupHashes: result.groupHashes, migration: result.migration, groups: {}, ...(result.warnings === undefined || result.warnings.length === 0 ? {} : { warnings: result.warnings }) };
  for (const g of GROUPS) {
    if (result.groupHashes[g] === base.groupHashes[g]) continue;
    const hashes = result.entityHashes[g];
    const had = base.entityHashes[g];
    const entities = result.entities[g] as Record<string, EntityByGroup[typeof g]>;
    const bodies: EntityByGroup[typeof g][] = [];
    let count = 0;
    for (const id in hashes) {
      count++;
      if (had[id] !== hashes[id]) bodies.push(entities[id]!);
    }
    // Past half changed, a list saves little to send and costs a rebuild of the record to receive.
    const sent = 2 * bodies.length >= count ? { entityHashes: hashes, whole: entities } : { entityHashes: hashes, bodies };
    (changes.groups as Record<string, unknown>)[g] = sent;
  }
  return changes;
}

/** "Nothing changed" against `base`. */
export function noChanges(base: HashesOf): PreparedChanges {
  return { ok: true, base: base.hash, hash: base.hash, groupHashes: base.groupHashes, migration: null, groups: {} };
}

/**
 * The full prepared config from `changes` and the snapshot they were computed against. Unchanged
 * groups are `base`'s very records; unchanged entities are `base`'s very objects. Null when
 * `changes` does not fit `base` (the caller then asks for the full result).
 */
export function withChanges(base: Snapshot, changes: PreparedChanges): PreparedConfig | null {
  if (changes.base !== base.hash) return null;
  const entities = {} as Record<GroupName, Record<string, unknown>>;
  const entityHashes = {} as Record<GroupName, Record<string, string>>;
  for (const g of GROUPS) {
    const sent = changes.groups[g];
    if (sent === undefined) {
      if (changes.groupHashes[g] !== base.groupHashes[g]) return null;
      entities[g] = base.entities[g];
      entityHashes[g] = base.entityHashes[g];
      continue;
    }
    entityHashes[g] = sent.entityHashes;
    if ('whole' in sent) {
      entities[g] = sent.whole;
      continue;
    }
    const bodies = new Map<string, unknown>();
    for (const e of sent.bodies) bodies.set(e.id, e);
    const had = base.entityHashes[g];
    const old = base.entities[g] as Record<string, unknown>;
    const group: Record<string, unknown> = {};
    for (const id in sent.entityHashes) {
      const e = had[id] === sent.entityHashes[id] ? old[id] : bodies.get(id);
      if (e === undefined) return null;
      group[id] = e;
    }
    entities[g] = group;
  }
  return { ok: true, entities: entities as PreparedConfig['entities'], entityHashes, groupHashes: changes.groupHashes, hash: changes.hash, migration: changes.migration, ...(changes.warnings === undefined ? {} : { warnings: changes.warnings }) };
}
