// Duplicate names, ids, credentials, targets and plugin scopes. Pure; runs on any thread.
// The first occurrence wins; each later one gets an error (Kong's "uniqueness violation").
// One entity gets at most one uniqueness error per field: a duplicate name also duplicates the
// id derived from it, and that is not reported twice.
import type { ErrorList } from './errors.ts';
import type { Item } from './item.ts';

interface Constraint {
  field: string;
  /** The key to compare, or null when the field is absent or invalid. */
  key(item: Item): string | null;
  message(item: Item): string;
}

function str(item: Item, field: string): string | null {
  const v = item.value[field];
  return typeof v === 'string' && !item.hasFailed(field) ? v : null;
}

function byField(collection: string, field: string, secret = false): Constraint {
  return {
    field,
    key: (item) => str(item, field),
    // Secrets (API keys) are never echoed back in an error.
    message: (item) =>
      `uniqueness violation: '${collection}' entity with ${field} set to ${secret ? 'this value' : `'${str(item, field) ?? ''}'`} already declared`,
  };
}

const CONSTRAINTS: Record<string, readonly Constraint[]> = {
  service: [byField('services', 'name')],
  route: [byField('routes', 'name')],
  upstream: [byField('upstreams', 'name')],
  consumer: [byField('consumers', 'username'), byField('consumers', 'custom_id')],
  target: [
    {
      field: 'target',
      key: (item) => (str(item, 'target') === null ? null : `${item.resolved.upstream ?? ''} ${str(item, 'target') ?? ''}`),
      message: (item) => `uniqueness violation: target '${str(item, 'target') ?? ''}' is already declared for this upstream`,
    },
  ],
  keyauth_credential: [byField('keyauth_credentials', 'key', true)],
  basicauth_credential: [byField('basicauth_credentials', 'username')],
  jwt_secret: [byField('jwt_secrets', 'key', true)],
  hmacauth_credential: [byField('hmacauth_credentials', 'username')],
  acl: [
    {
      field: 'group',
      key: (item) => (str(item, 'group') === null ? null : `${item.resolved.consumer ?? ''} ${str(item, 'group') ?? ''}`),
      message: (item) => `uniqueness violation: consumer is already in acl group '${str(item, 'group') ?? ''}'`,
    },
  ],
  sni: [byField('snis', 'name')],
  ca_certificate: [byField('ca_certificates', 'cert_digest')],
  plugin: [
    {
      // Kong's plugins cache_key: one instance of a plugin per (route, service, consumer) scope.
      field: 'name',
      key: (item) => {
        const name = str(item, 'name');
        const r = item.resolved;
        return name === null ? null : `${name} ${r.route ?? ''} ${r.service ?? ''} ${r.consumer ?? ''}`;
      },
      message: (item) => `uniqueness violation: plugin '${str(item, 'name') ?? ''}' is already configured on this scope (same route, service and consumer)`,
    },
  ],
};

/** What the uniqueness checks saw: per constraint, per group of ids, the entity holding each key. */
export interface UniqueIndex {
  values: Map<Constraint, Map<string, Item>>;
  ids: Map<string, Map<string, Item>>;
}

export function checkUniqueness(items: readonly Item[], errors: ErrorList): UniqueIndex {
  // One Map per constraint and per group, keyed by the bare value: no key string is built per
  // entity (this ran on every entity of every load, at 10,000 routes a tenth of an incremental one).
  const seen = new Map<Constraint, Map<string, Item>>();
  const duplicate = new Set<Item>();
  for (const item of items) {
    for (const c of CONSTRAINTS[item.type] ?? []) {
      const key = c.key(item);
      if (key === null) continue;
      let values = seen.get(c);
      if (values === undefined) seen.set(c, (values = new Map()));
      if (values.has(key)) {
        errors.add(item, c.field, c.message(item));
        duplicate.add(item);
      } else {
        values.set(key, item);
      }
    }
  }
  // Ids are unique per group (all credential kinds share one group, so one id space).
  const ids = new Map<string, Map<string, Item>>();
  for (const item of items) {
    let group = ids.get(item.group);
    if (group === undefined) ids.set(item.group, (group = new Map()));
    if (!group.has(item.id)) group.set(item.id, item);
    else if (!duplicate.has(item)) {
      errors.add(item, 'id', `uniqueness violation: '${item.group}' entity with primary key set to '${item.id}' already declared`);
    }
  }
  return { values: seen, ids };
}

/**
 * Whether a valid config, as `index` saw it, stays free of duplicates when the entities `gone`
 * are replaced by `added` (a config preparer's few changed entries; config/incremental.ts). The
 * index is not changed: see `replaceUnique`.
 */
export function staysUnique(index: UniqueIndex, gone: ReadonlySet<Item>, added: readonly Item[]): boolean {
  const taken = new Map<Constraint | string, Set<string>>();
  const free = (space: Constraint | string, held: Map<string, Item> | undefined, key: string): boolean => {
    const owner = held?.get(key);
    if (owner !== undefined && !gone.has(owner)) return false;
    let keys = taken.get(space);
    if (keys === undefined) taken.set(space, (keys = new Set()));
    if (keys.has(key)) return false;
    keys.add(key);
    return true;
  };
  for (const item of added) {
    for (const c of CONSTRAINTS[item.type] ?? []) {
      const key = c.key(item);
      if (key !== null && !free(c, index.values.get(c), key)) return false;
    }
    if (!free(item.group, index.ids.get(item.group), item.id)) return false;
  }
  return true;
}

/** `index` updated for `gone` replaced by `added` (checked first with `staysUnique`). */
export function replaceUnique(index: UniqueIndex, gone: readonly Item[], added: readonly Item[]): void {
  const drop = (held: Map<string, Item> | undefined, key: string | null, item: Item): void => {
    if (key !== null && held?.get(key) === item) held.delete(key);
  };
  for (const item of gone) {
    for (const c of CONSTRAINTS[item.type] ?? []) drop(index.values.get(c), c.key(item), item);
    drop(index.ids.get(item.group), item.id, item);
  }
  const put = <K>(map: Map<K, Map<string, Item>>, space: K, key: string | null, item: Item): void => {
    if (key === null) return;
    let held = map.get(space);
    if (held === undefined) map.set(space, (held = new Map()));
    held.set(key, item);
  };
  for (const item of added) {
    for (const c of CONSTRAINTS[item.type] ?? []) put(index.values, c, c.key(item), item);
    put(index.ids, item.group as string, item.id, item);
  }
}
