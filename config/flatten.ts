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

export function flatten(doc: Record<string, unknown>, errors: ErrorList): Item[] {
  const items: Item[] = [];
  const ordinals = Object.fromEntries(GROUPS.map((g) => [g, 0])) as Record<GroupName, number>;

  const walk = (list: unknown, key: string, path: string, parent: Item | null, parentField: RefField | null): void => {
    const collection = COLLECTIONS[key] as Collection;
    for (let i = 0; i < (list as unknown[]).length; i++) {
      let raw = (list as unknown[])[i];
      // Kong writes a certificate's SNIs as names too (`snis: [example.com]`).
      if (key === 'snis' && parentField === 'certificate' && typeof raw === 'string') raw = { name: raw };
      const itemPath = joinPath(path, i);
      if (!isRecord(raw)) {
        errors.add(new Item(collection, itemPath, {}, parent, parentField), '', 'expected a record');
        continue;
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
        walk(nested, child.key, joinPath(itemPath, child.key), item, child.field);
      }
    }
  };

  for (const key of TOP_LEVEL) {
    const list = doc[key];
    if (list === undefined || list === null) continue;
    if (!Array.isArray(list)) {
      errors.add(documentTarget(), key, 'expected an array');
      continue;
    }
    walk(list, key, key, null, null);
  }
  return items;
}

/** A nested entity may still name its parent by the parent's own id (KIC writes nested SNIs so). */
function namesParent(ref: unknown, parent: Item | null): boolean {
  const id = parent?.value['id'];
  if (typeof id !== 'string') return false;
  const named = typeof ref === 'string' ? ref : isRecord(ref) && Object.keys(ref).length === 1 && typeof ref['id'] === 'string' ? ref['id'] : null;
  return named !== null && named.toLowerCase() === id.toLowerCase();
}
