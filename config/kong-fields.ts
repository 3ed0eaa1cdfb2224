// Kong fields Sluice accepts with any value and that, deliberately, change nothing. Pure data; any
// thread. Every other Kong field is either implemented (a behaviour test shows it) or refused with
// SLUICE_ERR_UNSUPPORTED when given anything but its default (`x-unsupported`, config/ajv.ts);
// test/config/kong-fields.test.ts walks every schema and holds each field to one of the three.
// Keep this list short: an entry needs a reason a Kong user would accept.
//
// Not listed because they never reach a schema: `created_at`, `updated_at`, `ws_id` (dropped from
// every entity on load: Sluice assigns positions and has one workspace), `_comment`, `_ignore`.

/** `entity.field` (entity as in ENTITY_SCHEMAS, `plugin:<name>.config.<field>` for plugin config) → why. */
export const DELIBERATE_NO_OPS: Readonly<Record<string, string>> = {
  'services.tags': 'labels for tools (decK selects by them); served by GET /tags, no proxy behaviour in Kong either',
  'routes.tags': 'labels for tools; served by GET /tags',
  'upstreams.tags': 'labels for tools; served by GET /tags',
  'targets.tags': 'labels for tools; served by GET /tags',
  'consumers.tags': 'labels for tools; served by GET /tags',
  'plugins.tags': 'labels for tools; served by GET /tags',
  'keyauth_credentials.tags': 'labels for tools',
  'basicauth_credentials.tags': 'labels for tools',
  'jwt_secrets.tags': 'labels for tools',
  'acls.tags': 'labels for tools',
  'hmacauth_credentials.tags': 'labels for tools',
  'certificates.tags': 'labels for tools',
  'snis.tags': 'labels for tools',
  'ca_certificates.tags': 'labels for tools',
  'plugins.instance_name': 'a name for the Admin API and logs; no proxy behaviour in Kong either',
  'plugin:prometheus.config.wasm_metrics': 'Sluice runs no Wasm filters, so there are no Wasm metrics to export either way',
  'plugin:prometheus.config.ai_metrics': 'Sluice ships no AI plugins, so there are no AI metrics to export either way',
  'plugin:rate-limiting.config.fault_tolerant': "only matters when the counter store fails; Sluice's counters are in shared memory, which cannot be unreachable",
  'plugin:rate-limiting.config.redis': "Kong reads it only with policy 'redis', which Sluice refuses",
  'plugin:rate-limiting.config.redis_host': "deprecated spelling of redis.host; read only with policy 'redis'",
  'plugin:rate-limiting.config.redis_port': "deprecated spelling of redis.port; read only with policy 'redis'",
  'plugin:rate-limiting.config.redis_password': "deprecated spelling of redis.password; read only with policy 'redis'",
  'plugin:rate-limiting.config.redis_username': "deprecated spelling of redis.username; read only with policy 'redis'",
  'plugin:rate-limiting.config.redis_ssl': "deprecated spelling of redis.ssl; read only with policy 'redis'",
  'plugin:rate-limiting.config.redis_ssl_verify': "deprecated spelling of redis.ssl_verify; read only with policy 'redis'",
  'plugin:rate-limiting.config.redis_server_name': "deprecated spelling of redis.server_name; read only with policy 'redis'",
  'plugin:rate-limiting.config.redis_timeout': "deprecated spelling of redis.timeout; read only with policy 'redis'",
  'plugin:rate-limiting.config.redis_database': "deprecated spelling of redis.database; read only with policy 'redis'",
  'plugin:response-ratelimiting.config.fault_tolerant': "only matters when the counter store fails; Sluice's counters are in shared memory, which cannot be unreachable",
  'plugin:response-ratelimiting.config.redis': "Kong reads it only with policy 'redis', which Sluice refuses",
  'plugin:response-ratelimiting.config.redis_host': "deprecated spelling of redis.host; read only with policy 'redis'",
  'plugin:response-ratelimiting.config.redis_port': "deprecated spelling of redis.port; read only with policy 'redis'",
  'plugin:response-ratelimiting.config.redis_password': "deprecated spelling of redis.password; read only with policy 'redis'",
  'plugin:response-ratelimiting.config.redis_username': "deprecated spelling of redis.username; read only with policy 'redis'",
  'plugin:response-ratelimiting.config.redis_ssl': "deprecated spelling of redis.ssl; read only with policy 'redis'",
  'plugin:response-ratelimiting.config.redis_ssl_verify': "deprecated spelling of redis.ssl_verify; read only with policy 'redis'",
  'plugin:response-ratelimiting.config.redis_server_name': "deprecated spelling of redis.server_name; read only with policy 'redis'",
  'plugin:response-ratelimiting.config.redis_timeout': "deprecated spelling of redis.timeout; read only with policy 'redis'",
  'plugin:response-ratelimiting.config.redis_database': "deprecated spelling of redis.database; read only with policy 'redis'",
  'plugin:proxy-cache.config.memory': "names the nginx shared dict Kong's memory strategy uses; each Sluice proxy-cache config keeps its entries in its own bounded store per worker",
  'plugin:http-log.config.retry_count': 'deprecated in Kong 3.x, where it no longer does anything either (the queue retries until queue.max_retry_time)',
  'plugin:udp-log.config.timeout': "Kong's cosocket timeout; a UDP send does not wait for its receiver, so there is nothing for it to bound",
  'plugin:rate-limiting.config.sync_rate': "only -1 is accepted with policy 'local' (Kong's own check), the only policy Sluice runs",
};
