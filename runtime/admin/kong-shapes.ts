// Sluice entities in Kong's Admin API JSON shapes (primary thread): the fields Kong returns, with
// the Kong fields Sluice does not implement present as null, and the timestamps Kong adds.
// `created_at` / `updated_at` are the time the primary accepted the config (Unix seconds; targets
// in Kong carry milliseconds), since a declarative config has no history of its own.
import type { GroupName } from '../../config/types.ts';

/** Kong fields absent from Sluice's entities (dropped or never implemented), by group or credential kind. */
const KONG_ONLY_FIELDS: Record<string, Record<string, unknown>> = {
  services: { client_certificate: null, tls_verify: null, tls_verify_depth: null, ca_certificates: null },
  routes: { snis: null, sources: null, destinations: null },
  upstreams: { client_certificate: null, use_srv_name: false },
  targets: {},
  consumers: {},
  plugins: {},
  keyauth_credentials: { ttl: null },
  basicauth_credentials: {},
  jwt_secrets: {},
  acls: {},
};

/** One entity as Kong's Admin API writes it. */
export function kongShape(group: GroupName, entity: object, loadedAt: number): Record<string, unknown> {
  const e = entity as Record<string, unknown>;
  const kind = group === 'credentials' ? (e['kind'] as string) : group;
  const out: Record<string, unknown> = { ...KONG_ONLY_FIELDS[kind], ...e };
  delete out['kind'];
  if (group === 'targets') {
    out['created_at'] = loadedAt;
    out['updated_at'] = loadedAt;
  } else {
    out['created_at'] = Math.floor(loadedAt);
    if (group !== 'credentials') out['updated_at'] = Math.floor(loadedAt);
  }
  return out;
}

/** Kong's collection name of a group or credential kind, as the declarative format spells it. */
export function collectionOf(group: GroupName, entity: object): string {
  return group === 'credentials' ? ((entity as Record<string, unknown>)['kind'] as string) : group;
}
