// Indexes of one config snapshot for the Kong-style Admin API read endpoints (primary thread).
// Built once per snapshot, on the first read that needs it (a snapshot never changes), so every
// lookup after that is O(1) by id or name and every list is O(page): a 10,000-route config is
// walked once per version, not once per request.
import type { Credential, Entities, GroupName, Plugin, Route, Snapshot, Target } from '../../config/types.ts';

/** Kong's endpoint names of the credential kinds Sluice holds. */
export const CREDENTIAL_ENDPOINTS: Readonly<Record<string, Credential['kind'] | null>> = {
  'key-auth': 'keyauth_credentials',
  'basic-auth': 'basicauth_credentials',
  jwt: 'jwt_secrets',
  acls: 'acls',
  // Valid Kong; Sluice holds none (a file with them is refused), so the list is always empty.
  'hmac-auth': null,
};

/** The field a group is looked up by when the path segment is not a UUID (Kong's endpoint_key). */
const ENDPOINT_KEY: Partial<Record<GroupName, string>> = { services: 'name', routes: 'name', upstreams: 'name', consumers: 'username', plugins: 'instance_name', snis: 'name' };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface TagRow {
  entity_name: string;
  entity_id: string;
  tag: string;
}

export class EntityIndex {
  readonly snapshot: Snapshot;
  /** Every entity of a group, in the config's order (the order pages are cut in). */
  readonly lists: { [G in GroupName]: ReadonlyArray<Entities[G][string]> };
  readonly #byKey = new Map<GroupName, Map<string, unknown>>();
  readonly routesByService = new Map<string, Route[]>();
  readonly pluginsByService = new Map<string, Plugin[]>();
  readonly pluginsByRoute = new Map<string, Plugin[]>();
  readonly pluginsByConsumer = new Map<string, Plugin[]>();
  readonly targetsByUpstream = new Map<string, Target[]>();
  /** `consumerId kind` → credentials. */
  readonly credentialsByConsumer = new Map<string, Credential[]>();
  readonly tags: TagRow[] = [];
  readonly byTag = new Map<string, TagRow[]>();

  constructor(snapshot: Snapshot) {
    this.snapshot = snapshot;
    const e = snapshot.entities;
    this.lists = {
      services: Object.values(e.services),
      routes: Object.values(e.routes),
      upstreams: Object.values(e.upstreams),
      targets: Object.values(e.targets),
      consumers: Object.values(e.consumers),
      credentials: Object.values(e.credentials),
      plugins: Object.values(e.plugins),
      certificates: Object.values(e.certificates),
      snis: Object.values(e.snis),
      ca_certificates: Object.values(e.ca_certificates),
    };
    for (const [group, field] of Object.entries(ENDPOINT_KEY) as [GroupName, string][]) {
      const map = new Map<string, unknown>();
      for (const entity of this.lists[group] as ReadonlyArray<Record<string, unknown>>) {
        const key = entity[field];
        // First wins, as names are unique anyway; a custom_id is found too, as Kong finds consumers.
        if (typeof key === 'string' && !map.has(key)) map.set(key, entity);
        if (group === 'consumers' && typeof entity['custom_id'] === 'string' && !map.has(entity['custom_id'])) map.set(entity['custom_id'], entity);
      }
      this.#byKey.set(group, map);
    }
    for (const r of this.lists.routes) if (r.service !== null) push(this.routesByService, r.service.id, r);
    for (const p of this.lists.plugins) {
      if (p.service !== null) push(this.pluginsByService, p.service.id, p);
      if (p.route !== null) push(this.pluginsByRoute, p.route.id, p);
      if (p.consumer !== null) push(this.pluginsByConsumer, p.consumer.id, p);
    }
    for (const t of this.lists.targets) push(this.targetsByUpstream, t.upstream.id, t);
    for (const c of this.lists.credentials) push(this.credentialsByConsumer, `${c.consumer.id} ${c.kind}`, c);
    for (const group of ['services', 'routes', 'upstreams', 'targets', 'consumers', 'plugins'] as const) {
      for (const entity of this.lists[group]) {
        for (const tag of entity.tags ?? []) {
          const row = { entity_name: group, entity_id: entity.id, tag };
          this.tags.push(row);
          push(this.byTag, tag, row);
        }
      }
    }
  }

  /** An entity by id, or by its endpoint key (name, username) when the segment is not a UUID. */
  find<G extends GroupName>(group: G, idOrKey: string): Entities[G][string] | undefined {
    if (UUID.test(idOrKey)) {
      const byId = this.snapshot.entities[group][idOrKey.toLowerCase()] as Entities[G][string] | undefined;
      if (byId !== undefined) return byId;
    }
    return this.#byKey.get(group)?.get(idOrKey) as Entities[G][string] | undefined;
  }
}

function push<T>(map: Map<string, T[]>, key: string, value: T): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}

const built = new WeakMap<Snapshot, EntityIndex>();

/** The index of `snapshot`, built on first use. */
export function indexOf(snapshot: Snapshot): EntityIndex {
  let index = built.get(snapshot);
  if (index === undefined) built.set(snapshot, (index = new EntityIndex(snapshot)));
  return index;
}
