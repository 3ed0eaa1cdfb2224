// Ids and references. Pure; runs on any thread.
// Groups are handled parents first (services before routes, routes before plugins...), so when an
// entity's references are resolved every entity it can point to already has its id, and its own
// natural key can include them (a target's id depends on its upstream's id).
import { isRecord } from './document.ts';
import type { ErrorList } from './errors.ts';
import { deriveId, isUuid } from './ids.ts';
import { REF_GROUP } from './item.ts';
import type { Item, RefField } from './item.ts';
import type { GroupName } from './types.ts';

const ORDER: readonly GroupName[] = ['certificates', 'ca_certificates', 'snis', 'services', 'upstreams', 'consumers', 'routes', 'targets', 'credentials', 'plugins'];

/** The field a reference by name matches, per group (Kong's `endpoint_key`). */
const NAME_FIELD: Partial<Record<GroupName, string>> = {
  services: 'name',
  routes: 'name',
  upstreams: 'name',
  consumers: 'username',
  snis: 'name',
};

export interface Index {
  byName: Map<string, Item>;
  byId: Map<string, Item>;
}

/** Per group, its entities by the name a reference may use and by id. */
export type Indexes = Map<GroupName, Index>;

/** Groups in the order their ids are assigned (every group an entity may reference comes before it). */
export const RESOLVE_ORDER = ORDER;

/** Assigns ids and resolves references; answers the indexes built on the way (a config preparer keeps them). */
export function resolveAll(items: readonly Item[], errors: ErrorList): Indexes {
  const byGroup = new Map<GroupName, Item[]>();
  for (const item of items) {
    let list = byGroup.get(item.group);
    if (list === undefined) byGroup.set(item.group, (list = []));
    list.push(item);
  }
  const indexes: Indexes = new Map();
  for (const group of ORDER) {
    const list = byGroup.get(group) ?? [];
    const unnamed = new Map<string, number>();
    for (const item of list) resolveItem(item, indexes, unnamed, errors);
    indexes.set(group, buildIndex(group, list));
  }
  return indexes;
}

/**
 * One entity's references (against the indexes of the groups before its own) and id. `unnamed`:
 * per scope, the rank the next unnamed entity of its group gets (see naturalKey).
 */
export function resolveItem(item: Item, indexes: Indexes, unnamed: Map<string, number>, errors: ErrorList): void {
  for (const field of item.collection.refs) resolveRef(item, field, indexes, errors);
  item.id = isUuid(item.value['id']) ? item.value['id'].toLowerCase() : deriveId(item.type, naturalKey(item, unnamed));
}

/** The value a reference by name matches an entity of this group on (undefined: none). */
export function nameOf(item: Item): unknown {
  const field = NAME_FIELD[item.group];
  return field === undefined ? undefined : item.value[field];
}

function buildIndex(group: GroupName, list: readonly Item[]): Index {
  const byName = new Map<string, Item>();
  const byId = new Map<string, Item>();
  const nameField = NAME_FIELD[group];
  for (const item of list) {
    // First wins: a duplicate name or id is reported by the uniqueness checks.
    if (!byId.has(item.id)) byId.set(item.id, item);
    const name = nameField === undefined ? undefined : item.value[nameField];
    if (typeof name === 'string' && !byName.has(name)) byName.set(name, item);
  }
  return { byName, byId };
}

/**
 * The natural key an id is derived from. An entity without one (an unnamed service or route) is
 * keyed by its parent and its rank among unnamed siblings, so the nested and the flat spelling
 * of the same file agree. Invalid fields fall back to the position: the file is rejected anyway.
 */
function naturalKey(item: Item, unnamed: Map<string, number>): (string | number)[] {
  const v = item.value;
  const str = (f: string): string | null => (typeof v[f] === 'string' ? (v[f] as string) : null);
  const rank = (scope: string): number => {
    const n = unnamed.get(scope) ?? 0;
    unnamed.set(scope, n + 1);
    item.rank = n;
    item.rankScope = scope;
    return n;
  };
  switch (item.kind ?? item.group) {
    case 'services':
    case 'upstreams':
      return str('name') !== null ? ['name', str('name') as string] : ['#', rank('')];
    case 'routes': {
      if (str('name') !== null) return ['name', str('name') as string];
      const service = item.resolved.service ?? '';
      return [service, '#', rank(service)];
    }
    case 'consumers':
      if (str('username') !== null) return ['username', str('username') as string];
      if (str('custom_id') !== null) return ['custom_id', str('custom_id') as string];
      return ['#', rank('')];
    case 'targets':
      return [item.resolved.upstream ?? '', str('target') ?? item.path];
    case 'keyauth_credentials':
    case 'jwt_secrets':
      return ['key', str('key') ?? item.path];
    case 'basicauth_credentials':
    case 'hmacauth_credentials':
      return ['username', str('username') ?? item.path];
    case 'acls':
      return [item.resolved.consumer ?? '', str('group') ?? item.path];
    case 'plugins':
      return [str('name') ?? item.path, item.resolved.route ?? '', item.resolved.service ?? '', item.resolved.consumer ?? ''];
    case 'certificates':
    case 'ca_certificates':
      // The certificate itself: the same PEM keeps its id across reloads, a new one gets a new id.
      return ['cert', str('cert') ?? item.path];
    case 'snis':
      return ['name', str('name') ?? item.path];
    default:
      return ['#', item.path];
  }
}

/** Entities that cannot exist without their parent (Kong: a required foreign key). */
const REQUIRED_REF: Partial<Record<string, RefField>> = {
  target: 'upstream',
  keyauth_credential: 'consumer',
  basicauth_credential: 'consumer',
  jwt_secret: 'consumer',
  acl: 'consumer',
  hmacauth_credential: 'consumer',
  sni: 'certificate',
};

function resolveRef(item: Item, field: RefField, indexes: Indexes, errors: ErrorList): void {
  if (item.parentField === field && item.parent !== null) {
    item.resolved[field] = item.parent.id;
    return;
  }
  const raw = item.refs[field];
  item.resolved[field] = null;
  if (raw === undefined || raw === null) {
    if (REQUIRED_REF[item.type] === field) errors.add(item, field, 'required field missing');
    return;
  }
  const group = REF_GROUP[field];
  const index = indexes.get(group) as Index;
  const nameField = NAME_FIELD[group] ?? 'name';
  let found: Item | undefined;
  if (typeof raw === 'string') {
    found = index.byName.get(raw) ?? index.byId.get(raw.toLowerCase());
  } else if (isRecord(raw) && Object.keys(raw).length === 1 && typeof raw['id'] === 'string') {
    found = index.byId.get(raw['id'].toLowerCase());
  } else if (isRecord(raw) && Object.keys(raw).length === 1 && typeof (raw['name'] ?? raw[nameField]) === 'string') {
    found = index.byName.get((raw['name'] ?? raw[nameField]) as string);
  } else {
    errors.add(item, field, `invalid reference: expected a ${nameField}, an id, or a record with one 'id' or '${nameField}'`);
    return;
  }
  if (found === undefined) {
    const shown = typeof raw === 'string' ? raw : JSON.stringify(raw);
    errors.add(item, field, `invalid reference '${field}: ${shown}' (no such entry in '${group}')`);
    return;
  }
  item.resolved[field] = found.id;
}
