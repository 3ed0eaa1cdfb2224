// Canonical digests of entities, groups and whole configs.
// Pure; runs on any thread. A digest is sha256 hex of fast-json-stable-stringify(value): key order
// never matters, array order always does. A digest is never null or empty, whatever it covers.
import { hash } from 'node:crypto';
import stableStringify from 'fast-json-stable-stringify';
import { GROUPS } from './types.ts';
import type { Entities, GroupHashes, GroupName } from './types.ts';

export type EntityHashes = { [G in GroupName]: Record<string, string> };

export function digest(value: unknown): string {
  const text = stableStringify(value) as string | undefined;
  // undefined (or a function) has no JSON text, so it has no digest either.
  if (text === undefined) throw new TypeError(`cannot digest ${typeof value}`);
  // One-shot hash(): no Hash object per call, which was a fifth of the cost of hashing an entity.
  return hash('sha256', text, 'hex');
}

/** Digest of one entity, as stored (defaults filled, references as `{id}`). */
export function entityHash(entity: unknown): string {
  return digest(entity);
}

/**
 * Digest of a group from its entity hashes: over the `[id, hash]` pairs sorted by id, so neither
 * file order nor insertion order moves it. An empty group digests `[]`: fixed and non-empty.
 */
export function groupHash(hashes: Record<string, string>): string {
  // Default sort: code-unit order (not localeCompare: the same on every machine and locale), and
  // no JS comparator call per comparison.
  return groupHashSorted(Object.keys(hashes).sort(), hashes);
}

/** `groupHash` with the group's ids already sorted (a caller that keeps them across loads skips the sort). */
export function groupHashSorted(ids: readonly string[], hashes: Record<string, string>): string {
  const pairs = new Array<[string, string]>(ids.length);
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i] as string;
    pairs[i] = [id, hashes[id] as string];
  }
  // Arrays of strings only, so native JSON.stringify writes exactly the canonical text (no keys to
  // sort), several times faster than walking 10,000 pairs in JS.
  return hash('sha256', JSON.stringify(pairs), 'hex');
}

/** Digest of a whole config: over the group hashes in GROUPS order (Kong's configuration_hash). */
export function configHash(groupHashes: GroupHashes): string {
  return digest(GROUPS.map((g) => [g, groupHashes[g]]));
}

export function hashEntities(entities: Entities): { entityHashes: EntityHashes; groupHashes: GroupHashes; hash: string } {
  const entityHashes = {} as EntityHashes;
  const groupHashes = {} as GroupHashes;
  for (const g of GROUPS) {
    const group: Record<string, unknown> = entities[g];
    const hashes: Record<string, string> = {};
    for (const id of Object.keys(group)) hashes[id] = entityHash(group[id]);
    entityHashes[g] = hashes;
    groupHashes[g] = groupHash(hashes);
  }
  return { entityHashes, groupHashes, hash: configHash(groupHashes) };
}
