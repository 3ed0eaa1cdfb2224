// Which collections a declarative file may hold, at the top level and nested. Pure data; any thread.
// Nesting follows Kong: an entity may be written inside the entity it references, and then it
// must not name that parent itself.
import type { Collection, RefField } from './item.ts';

function c(key: string, group: Collection['group'], type: string, refs: readonly RefField[], kind: Collection['kind'] = null): Collection {
  return { key, group, kind, type, refs };
}

export const COLLECTIONS: Record<string, Collection> = {
  services: c('services', 'services', 'service', ['client_certificate']),
  routes: c('routes', 'routes', 'route', ['service']),
  upstreams: c('upstreams', 'upstreams', 'upstream', []),
  targets: c('targets', 'targets', 'target', ['upstream']),
  consumers: c('consumers', 'consumers', 'consumer', []),
  keyauth_credentials: c('keyauth_credentials', 'credentials', 'keyauth_credential', ['consumer'], 'keyauth_credentials'),
  basicauth_credentials: c('basicauth_credentials', 'credentials', 'basicauth_credential', ['consumer'], 'basicauth_credentials'),
  jwt_secrets: c('jwt_secrets', 'credentials', 'jwt_secret', ['consumer'], 'jwt_secrets'),
  acls: c('acls', 'credentials', 'acl', ['consumer'], 'acls'),
  hmacauth_credentials: c('hmacauth_credentials', 'credentials', 'hmacauth_credential', ['consumer'], 'hmacauth_credentials'),
  plugins: c('plugins', 'plugins', 'plugin', ['route', 'service', 'consumer']),
  certificates: c('certificates', 'certificates', 'certificate', []),
  snis: c('snis', 'snis', 'sni', ['certificate']),
  ca_certificates: c('ca_certificates', 'ca_certificates', 'ca_certificate', []),
};

/**
 * Canonical traversal order of the top-level collections. Items are numbered in this order (not
 * the file's key order), so a route's position (its `created_at`) never depends on key order.
 */
export const TOP_LEVEL = [
  'certificates',
  'snis',
  'ca_certificates',
  'services',
  'routes',
  'upstreams',
  'targets',
  'consumers',
  'keyauth_credentials',
  'basicauth_credentials',
  'jwt_secrets',
  'acls',
  'hmacauth_credentials',
  'plugins',
] as const;

/** Children an entity of a collection may nest, and the reference each child gets from it. */
export const CHILDREN: Record<string, readonly { key: string; field: RefField }[]> = {
  services: [
    { key: 'routes', field: 'service' },
    { key: 'plugins', field: 'service' },
  ],
  routes: [{ key: 'plugins', field: 'route' }],
  upstreams: [{ key: 'targets', field: 'upstream' }],
  certificates: [{ key: 'snis', field: 'certificate' }],
  consumers: [
    { key: 'keyauth_credentials', field: 'consumer' },
    { key: 'basicauth_credentials', field: 'consumer' },
    { key: 'jwt_secrets', field: 'consumer' },
    { key: 'acls', field: 'consumer' },
    { key: 'hmacauth_credentials', field: 'consumer' },
    { key: 'plugins', field: 'consumer' },
  ],
};

/** Kong entity collections Sluice does not implement: an empty list is accepted, anything else is an error. */
export const KONG_ONLY = new Set([
  'vaults',
  'consumer_groups',
  'consumer_group_consumers',
  'consumer_group_plugins',
  'filter_chains',
  'keys',
  'key_sets',
  'oauth2_credentials',
  'oauth2_authorization_codes',
  'oauth2_tokens',
  'mtls_auth_credentials',
]);

/** Fields Kong accepts on every entity of a declarative file and Sluice drops: timestamps, workspace, comments. */
export const IGNORED_FIELDS = ['created_at', 'updated_at', 'ws_id', '_comment', '_ignore'] as const;
