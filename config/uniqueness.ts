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

export function checkUniqueness(items: readonly Item[], errors: ErrorList): void {
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
  const ids = new Map<string, Set<string>>();
  for (const item of items) {
    let group = ids.get(item.group);
    if (group === undefined) ids.set(item.group, (group = new Set()));
    if (!group.has(item.id)) group.add(item.id);
    else if (!duplicate.has(item)) {
      errors.add(item, 'id', `uniqueness violation: '${item.group}' entity with primary key set to '${item.id}' already declared`);
    }
  }
}
