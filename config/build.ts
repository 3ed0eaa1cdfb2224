// Valid items to `Entities`: the canonical, fully defaulted shape that is hashed, diffed and sent
// to workers. Pure; runs on any thread. Only called when validation found no error.
import { createHash } from 'node:crypto';
import type { DocumentHead } from './document.ts';
import { ENTITY_SCHEMAS } from './entity-schema.ts';
import type { Item, RefField } from './item.ts';
import { GROUPS } from './types.ts';
import type { Entities, Ref } from './types.ts';

/** Kong sets (not lists): sorted, so their order in the file never changes a hash. */
const SETS = ['protocols', 'methods'];

export function buildEntities(items: readonly Item[], head: DocumentHead): Entities {
  const entities = Object.fromEntries(GROUPS.map((g) => [g, {}])) as Entities;
  for (const item of items) (entities[item.group] as Record<string, unknown>)[item.id] = buildEntity(item, head);
  return entities;
}

/** One valid item as its entity. A function of the item's fields, id, resolved references, ordinal (routes) and `head`. */
export function buildEntity(item: Item, head: DocumentHead): Record<string, unknown> {
  // id first for readers; the explicit id as written is replaced by its normalised form.
  const e: Record<string, unknown> = { id: item.id, ...item.value };
  e['id'] = item.id;
  for (const f of ENTITY_SCHEMAS[item.kind ?? item.group]?.dropped ?? []) delete e[f];
  for (const f of SETS) if (Array.isArray(e[f])) e[f] = [...(e[f] as string[])].sort();
  for (const f of item.collection.refs) e[f] = ref(item, f);
  if (item.group === 'routes') e['created_at'] = item.ordinal;
  if (item.kind !== null) e['kind'] = item.kind;
  if (item.kind === 'basicauth_credentials' && head.transform) {
    // Kong's basic-auth hashing: sha1 hex of password .. consumer id. With `_transform: false`
    // the file already holds that hash (as a Kong export does).
    e['password'] = createHash('sha1').update(`${String(e['password'])}${item.resolved.consumer ?? ''}`).digest('hex');
  }
  return e;
}

function ref(item: Item, field: RefField): Ref | null {
  const id = item.resolved[field];
  return id === undefined || id === null ? null : { id };
}
