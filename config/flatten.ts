// Nested declarative entities to one flat list of items. Pure; runs on any thread.
// Children (routes in a service, targets in an upstream, credentials and plugins in a consumer...)
// come out right after their parent, remembering it; `resolve.ts` later turns that into the
// reference (`service: {id}`) the flat form would have written.
import { CHILDREN, COLLECTIONS, IGNORED_FIELDS, KONG_ONLY_CHILDREN, TOP_LEVEL } from './collections.ts';
import { isRecord } from './document.ts';
import { documentTarget, joinPath } from './errors.ts';
import type { ErrorList } from './errors.ts';
import { Item } from './item.ts';
import type { Collection, RefField } from './item.ts';
import { GROUPS } from './types.ts';
import type { GroupName } from './types.ts';

/** `entry`: told each top-level entry's place and the range of `items` it flattened to. */
export function flatten(doc: Record<string, unknown>, errors: ErrorList, entry?: (key: string, index: number, from: number, to: number) => void): Item[] {
  const items: Item[] = [];
  const ordinals = newOrdinals();
  for (const key of TOP_LEVEL) {
    const list = doc[key];
    if (list === undefined || list === null) continue;
    if (!Array.isArray(list)) {
      errors.add(documentTarget(), key, 'expected an array');
      continue;
    }
    for (let i = 0; i < list.length; i++) {
      const from = items.length;
      flattenEntry(list[i], key, i, ordinals, items, errors);
      entry?.(key, i, from, items.length);
    }
  }
  return items;
}

/** Every group at position 0: where a document's flattening starts. */
export function newOrdinals(): Record<GroupName, number> {
  return Object.fromEntries(GROUPS.map((g) => [g, 0])) as Record<GroupName, number>;
}

/**
 * One top-level entry (`services.4` with its nested routes and plugins) onto `items`, numbering
 * its entities on from `ordinals`. The items of one entry are contiguous in `items`: a config
 * preparer (config/incremental.ts) keeps them per entry and flattens only the entries that changed.
 */
export function flattenEntry(raw: unknown, key: string, index: number, ordinals: Record<GroupName, number>, items: Item[], errors: ErrorList): void {
  walkOne(raw, index, key, key, null, null, ordinals, items, errors);
}

function walkOne(
  raw: unknown,
  i: number,
  key: string,
  path: string,
  parent: Item | null,
  parentField: RefField | null,
  ordinals: Record<GroupName, number>,
  items: Item[],
  errors: ErrorList,
): void {
  const collection = COLLECTIONS[key] as Collection;
  // Kong writes a certificate's SNIs as names too (`snis: [example.com]`).
  if (key === 'snis' && parentField === 'certificate' && typeof raw === 'string') raw = { name: raw };
  const itemPath = joinPath(path, i);
  if (!isRecord(raw)) {
    errors.add(new Item(collection, itemPath, {}, parent, parentField), '', 'expected a record');
    return;
  }
  const value: Record<string, unknown> = {};
  const item = new Item(collection, itemPath, value, parent, parentField);
  const children = CHILDREN[key] ?? [];
  for (const [field, v] of Object.entries(raw)) {
    if (field === '__proto__') {
      // Assigning it would replace `value`'s prototype instead of adding a field.
      errors.add(item, field, 'unknown field');
      continue;
    }
    if (children.some((ch) => ch.key === field)) continue;
    if ((IGNORED_FIELDS as readonly string[]).includes(field)) continue;
    if (KONG_ONLY_CHILDREN[key]?.includes(field) === true) {
      if (!(Array.isArray(v) && v.length === 0) && v !== null) errors.unsupported(item, field, `'${field}' entities are not supported by Sluice`);
      continue;
    }
    if ((collection.refs as readonly string[]).includes(field)) {
      item.refs[field as RefField] = v;
      continue;
    }
    value[field] = v;
  }
  if (parentField !== null && item.refs[parentField] !== undefined && item.refs[parentField] !== null && !namesParent(item.refs[parentField], parent)) {
    errors.add(item, parentField, `value must be null: a nested ${collection.type} belongs to the ${parent?.type ?? ''} it is written in`);
  }
  item.ordinal = ordinals[collection.group]++;
  items.push(item);
  for (const child of children) {
    const nested = raw[child.key];
    if (nested === undefined || nested === null) continue;
    if (!Array.isArray(nested)) {
      errors.add(item, child.key, 'expected an array');
      continue;
    }
    const childPath = joinPath(itemPath, child.key);
    for (let j = 0; j < nested.length; j++) walkOne(nested[j], j, child.key, childPath, item, child.field, ordinals, items, errors);
  }
}

/** A nested entity may still name its parent by the parent's own id (KIC writes nested SNIs so). */
function namesParent(ref: unknown, parent: Item | null): boolean {
  const id = parent?.value['id'];
  if (typeof id !== 'string') return false;
  const named = typeof ref === 'string' ? ref : isRecord(ref) && Object.keys(ref).length === 1 && typeof ref['id'] === 'string' ? ref['id'] : null;
  return named !== null && named.toLowerCase() === id.toLowerCase();
}
