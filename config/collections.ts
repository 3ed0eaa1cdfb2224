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

/**
 * Kong 3.10's bundled plugins (kong/constants.lua). One of these that Sluice does not ship is valid
 * Kong, so it is refused as unsupported; any other unknown name is an error, as in Kong.
 */
export const KONG_BUNDLED_PLUGINS = new Set([
  'jwt', 'acl', 'correlation-id', 'cors', 'oauth2', 'tcp-log', 'udp-log', 'file-log', 'http-log', 'key-auth',
  'hmac-auth', 'basic-auth', 'ip-restriction', 'request-transformer', 'response-transformer', 'request-size-limiting',
  'rate-limiting', 'response-ratelimiting', 'syslog', 'loggly', 'datadog', 'ldap-auth', 'statsd', 'bot-detection',
  'aws-lambda', 'request-termination', 'prometheus', 'proxy-cache', 'session', 'acme', 'grpc-gateway', 'grpc-web',
  'pre-function', 'post-function', 'azure-functions', 'zipkin', 'opentelemetry', 'ai-proxy', 'ai-prompt-decorator',
  'ai-prompt-template', 'ai-prompt-guard', 'ai-request-transformer', 'ai-response-transformer', 'standard-webhooks', 'redirect',
]);

/** Kong collections an entity may nest that Sluice does not implement: empty is fine, anything else is refused. */
export const KONG_ONLY_CHILDREN: Record<string, readonly string[]> = {
  consumers: ['oauth2_credentials', 'mtls_auth_credentials'],
  services: ['filter_chains'],
  routes: ['filter_chains'],
};

/** Fields Kong accepts on every entity of a declarative file and Sluice drops: timestamps, workspace, comments. */
export const IGNORED_FIELDS = ['created_at', 'updated_at', 'ws_id', '_comment', '_ignore'] as const;
