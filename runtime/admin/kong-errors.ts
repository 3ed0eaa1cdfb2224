// Config errors in Kong's two Admin API shapes (primary thread): the nested `fields` of the
// default body (the file's own structure, `{services: [{routes: [null, {paths: ["..."]}]}]}`,
// an entity's own errors under "@entity"), and `flattened_errors` (`?flatten_errors=1`): one entry
// per entity with `entity_type`, `entity_name`, `entity_id`, `entity_tags`, `entity` and
// `errors: [{field, message, type}]`, as Kong Ingress Controller reads them.
import type { FlatError } from '../../config/types.ts';

type Tree = Record<string, unknown> | unknown[];

function child(node: Tree, key: string, next: 'array' | 'object'): Tree {
  const k = /^\d+$/.test(key) && Array.isArray(node) ? Number(key) : key;
  const holder = node as Record<string | number, unknown>;
  let value = holder[k];
  if (value === undefined || value === null || typeof value !== 'object') {
    value = next === 'array' ? [] : {};
    holder[k] = value;
  }
  return value as Tree;
}

/** Kong's nested `fields`: every error placed at its entity's position and its field's path. */
export function nestedFields(errors: readonly FlatError[]): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const e of errors) {
    const segments = [...(e.position === undefined ? [] : e.position.split('.')), ...(e.field === '' ? ['@entity'] : e.field.split('.'))];
    let node: Tree = root;
    for (let i = 0; i < segments.length - 1; i++) node = child(node, segments[i]!, /^\d+$/.test(segments[i + 1]!) ? 'array' : 'object');
    const last = segments[segments.length - 1]!;
    const holder = node as Record<string | number, unknown>;
    const key = Array.isArray(node) && /^\d+$/.test(last) ? Number(last) : last;
    if (last === '@entity') holder[key] = [...((holder[key] as string[] | undefined) ?? []), e.message];
    else holder[key] = e.message;
  }
  // Array holes (entities without errors) are null, as Kong's JSON writes them.
  return JSON.parse(JSON.stringify(root)) as Record<string, unknown>;
}

/** Never echoed back: credentials' secrets and certificates' private keys. */
const SECRET_FIELDS = new Set(['key', 'key_alt', 'secret', 'password']);

/** Kong's `flattened_errors`: grouped by entity. `entities` maps a position to the entity as written. */
export function flattenedErrors(errors: readonly FlatError[], entityAt: (position: string) => Record<string, unknown> | null): unknown[] {
  const byEntity = new Map<string, { head: Record<string, unknown>; errors: unknown[] }>();
  const loose: unknown[] = [];
  for (const e of errors) {
    const item = e.field === '' ? { type: 'entity', message: e.message } : { type: 'field', field: e.field, message: e.message };
    if (e.position === undefined) {
      loose.push({ entity_type: e.entity_type, errors: [item] });
      continue;
    }
    let group = byEntity.get(e.position);
    if (group === undefined) {
      const entity = entityAt(e.position);
      const shown = entity === null ? null : Object.fromEntries(Object.entries(entity).filter(([k]) => !SECRET_FIELDS.has(k)));
      const head: Record<string, unknown> = { entity_type: e.entity_type, entity_name: e.entity ?? null, entity_id: e.entity_id ?? null, entity_tags: e.entity_tags ?? null, entity: shown };
      byEntity.set(e.position, (group = { head, errors: [] }));
    }
    group.errors.push(item);
  }
  return [...loose, ...[...byEntity.values()].map((g) => ({ ...g.head, errors: g.errors }))];
}
