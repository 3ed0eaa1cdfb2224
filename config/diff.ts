// What changed between two snapshots. Pure; runs on any thread.
// Work is proportional to the groups that changed: a group whose hash is unchanged is skipped
// without looking at its entities, so a one-target change in a 10,000-route config compares only
// the targets' hashes.
import { GROUPS } from './types.ts';
import type { Delta, EntityByGroup, GroupName, Snapshot } from './types.ts';

export function diff(prev: Snapshot, next: Snapshot): Delta {
  const delta: Delta = {
    version: next.version,
    fromVersion: prev.version,
    hash: next.hash,
    upserts: {},
    removes: {},
    groupHashes: { ...next.groupHashes },
    upsertHashes: {},
  };
  for (const g of GROUPS) {
    if (prev.groupHashes[g] === next.groupHashes[g]) continue;
    diffGroup(g, prev, next, delta);
  }
  return delta;
}

function diffGroup<G extends GroupName>(g: G, prev: Snapshot, next: Snapshot, delta: Delta): void {
  const before = prev.entityHashes[g];
  const after = next.entityHashes[g];
  const entities = next.entities[g] as Record<string, EntityByGroup[G]>;
  const upserts: EntityByGroup[G][] = [];
  const hashes: Record<string, string> = {};
  const removes: string[] = [];
  for (const id in after) {
    const h = after[id] as string;
    if (before[id] !== h) {
      upserts.push(entities[id] as EntityByGroup[G]);
      hashes[id] = h;
    }
  }
  for (const id in before) if (after[id] === undefined) removes.push(id);
  // Only groups with something in them appear, so `upserts.targets !== undefined` means "changed".
  if (upserts.length > 0) {
    (delta.upserts as Record<string, unknown>)[g] = upserts;
    delta.upsertHashes[g] = hashes;
  }
  if (removes.length > 0) delta.removes[g] = removes;
}
