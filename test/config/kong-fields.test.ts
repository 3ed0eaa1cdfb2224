// No Kong setting is silently ignored. Walks every entity schema and every bundled plugin's config
// schema and holds each field to one of three: refused with SLUICE_ERR_UNSUPPORTED unless given its
// default (`x-unsupported`: probed here with a non-default value, and its default must load),
// implemented (IMPLEMENTED names the test that shows its behaviour), or a deliberate no-op
// (config/kong-fields.ts, with a reason). A new field that is none of these fails this test.
// KONG_3_10 lists Kong 3.10's own fields (kong/db/schema/entities/*.lua, kong/plugins/*/daos.lua
// and schema.lua at the 3.10.0 tag): each must exist in Sluice's schema, so none is an "unknown field".
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import { UNSUPPORTED_KEYWORD } from '../../config/ajv.ts';
import { COLLECTIONS } from '../../config/collections.ts';
import { ENTITY_SCHEMAS } from '../../config/entity-schema.ts';
import { DELIBERATE_NO_OPS } from '../../config/kong-fields.ts';
import { pluginSchemas } from '../../config/plugins/index.ts';
import type { Schema } from '../../config/schemas/common.ts';
import { prepare } from './helpers.ts';

const KONG_3_10: Record<string, string> = {
  services: 'id name retries protocol host port path connect_timeout write_timeout read_timeout tags client_certificate tls_verify tls_verify_depth ca_certificates enabled',
  certificates: 'id cert key cert_alt key_alt tags',
  snis: 'id name tags',
  ca_certificates: 'id cert cert_digest tags',
  routes: 'id name protocols https_redirect_status_code strip_path preserve_host request_buffering response_buffering tags snis sources destinations methods hosts paths headers regex_priority path_handling expression priority',
  upstreams: 'id name algorithm hash_on hash_fallback hash_on_header hash_fallback_header hash_on_cookie hash_on_cookie_path hash_on_query_arg hash_fallback_query_arg hash_on_uri_capture hash_fallback_uri_capture slots healthchecks tags host_header client_certificate use_srv_name',
  targets: 'id target weight tags',
  consumers: 'id username custom_id tags',
  plugins: 'id name instance_name config protocols enabled tags',
  keyauth_credentials: 'id key tags ttl',
  basicauth_credentials: 'id username password tags',
  jwt_secrets: 'id key secret rsa_public_key algorithm tags',
  acls: 'id group tags',
  'plugin:key-auth': 'anonymous hide_credentials key_in_body key_in_header key_in_query key_names realm run_on_preflight',
  'plugin:correlation-id': 'echo_downstream generator header_name',
  'plugin:request-termination': 'body content_type echo message status_code trigger',
  'plugin:prometheus': 'ai_metrics bandwidth_metrics latency_metrics per_consumer status_code_metrics upstream_health_metrics wasm_metrics',
  'plugin:acl': 'allow always_use_authenticated_groups deny hide_groups_header',
  'plugin:basic-auth': 'anonymous hide_credentials realm',
  'plugin:jwt': 'anonymous claims_to_verify cookie_names header_names key_claim_name maximum_expiration realm run_on_preflight secret_is_base64 uri_param_names',
  'plugin:hmac-auth': 'algorithms anonymous clock_skew enforce_headers hide_credentials realm validate_request_body',
  hmacauth_credentials: 'id username secret tags',
  'plugin:cors': 'allow_origin_absent credentials exposed_headers headers max_age methods origins preflight_continue private_network',
  'plugin:ip-restriction': 'allow deny message status',
  'plugin:bot-detection': 'allow deny',
  'plugin:request-size-limiting': 'allowed_payload_size require_content_length size_unit',
  'plugin:redirect': 'keep_incoming_path location status_code',
  'plugin:response-ratelimiting': 'block_on_first_violation fault_tolerant header_name hide_client_headers limit_by limits policy redis redis_database redis_host redis_password redis_port redis_server_name redis_ssl redis_ssl_verify redis_timeout redis_username',
  'plugin:request-transformer': 'add append http_method remove rename replace',
  'plugin:response-transformer': 'add append remove rename replace',
  'plugin:proxy-cache': 'cache_control cache_ttl content_type ignore_uri_case memory request_method response_code response_headers storage_ttl strategy vary_headers vary_query_params',
  'plugin:http-log': 'content_type custom_fields_by_lua flush_timeout headers http_endpoint keepalive method queue queue_size retry_count timeout',
  'plugin:file-log': 'custom_fields_by_lua path reopen',
  'plugin:tcp-log': 'custom_fields_by_lua host keepalive port timeout tls tls_sni',
  'plugin:udp-log': 'custom_fields_by_lua host port timeout',
  'plugin:syslog': 'client_errors_severity custom_fields_by_lua facility log_level server_errors_severity successful_severity',
  'plugin:rate-limiting': 'day error_code error_message fault_tolerant header_name hide_client_headers hour limit_by minute month path policy redis redis_database redis_host redis_password redis_port redis_server_name redis_ssl redis_ssl_verify redis_timeout redis_username second sync_rate year',
};

/** Implemented fields → the test file whose assertions show the behaviour (it must name the field). */
const IMPLEMENTED: Record<string, string> = {
  'services.id': 'test/config/ids.test.ts',
  'services.name': 'test/config/ids.test.ts',
  'services.protocol': 'test/integration/kong-fields.test.ts',
  'services.host': 'test/integration/proxy.test.ts',
  'services.port': 'test/integration/proxy.test.ts',
  'services.path': 'test/integration/proxy.test.ts',
  'services.retries': 'test/integration/proxy.test.ts',
  'services.connect_timeout': 'test/integration/timeouts.test.ts',
  'services.write_timeout': 'test/integration/timeouts.test.ts',
  'services.read_timeout': 'test/integration/timeouts.test.ts',
  'services.enabled': 'test/workers/router/router.test.ts',
  'services.tls_verify': 'test/integration/upstream-tls.test.ts',
  'services.client_certificate': 'test/integration/upstream-mtls.test.ts',
  'services.ca_certificates': 'test/integration/upstream-mtls.test.ts',
  'routes.snis': 'test/integration/tls-certificates.test.ts',
  'certificates.id': 'test/config/tls-entities.test.ts',
  'certificates.cert': 'test/integration/tls-certificates.test.ts',
  'certificates.key': 'test/integration/tls-certificates.test.ts',
  'certificates.cert_alt': 'test/config/tls-entities.test.ts',
  'certificates.key_alt': 'test/config/tls-entities.test.ts',
  'snis.id': 'test/config/tls-entities.test.ts',
  'snis.name': 'test/integration/tls-certificates.test.ts',
  'ca_certificates.id': 'test/integration/upstream-mtls.test.ts',
  'ca_certificates.cert': 'test/integration/upstream-mtls.test.ts',
  'ca_certificates.cert_digest': 'test/config/tls-entities.test.ts',
  'services.tls_verify_depth': 'test/integration/upstream-tls.test.ts',
  'routes.id': 'test/config/ids.test.ts',
  'routes.name': 'test/config/ids.test.ts',
  'routes.protocols': 'test/integration/kong-fields.test.ts',
  'routes.https_redirect_status_code': 'test/integration/kong-fields.test.ts',
  'routes.methods': 'test/workers/router/router.test.ts',
  'routes.hosts': 'test/workers/router/router.test.ts',
  'routes.paths': 'test/workers/router/router.test.ts',
  'routes.headers': 'test/workers/router/router.test.ts',
  'routes.regex_priority': 'test/workers/router/router.test.ts',
  'routes.strip_path': 'test/integration/proxy.test.ts',
  'routes.path_handling': 'test/workers/router/upstream-path.test.ts',
  'routes.preserve_host': 'test/integration/proxy.test.ts',
  // false (stream without buffering) is what Sluice does; the default true forwards the same bytes.
  'routes.request_buffering': 'test/integration/kong-fields.test.ts',
  'routes.response_buffering': 'test/integration/kong-fields.test.ts',
  'upstreams.id': 'test/config/ids.test.ts',
  'upstreams.name': 'test/integration/kong-fields.test.ts',
  'upstreams.algorithm': 'test/integration/balancing.test.ts',
  'upstreams.slots': 'test/workers/balancer/consistent-hashing.test.ts',
  'upstreams.hash_on': 'test/integration/balancing.test.ts',
  'upstreams.hash_fallback': 'test/workers/balancer/hash-value.test.ts',
  'upstreams.hash_on_header': 'test/integration/balancing.test.ts',
  'upstreams.hash_fallback_header': 'test/workers/balancer/hash-value.test.ts',
  'upstreams.hash_on_cookie': 'test/integration/balancing.test.ts',
  'upstreams.hash_on_cookie_path': 'test/integration/balancing.test.ts',
  'upstreams.hash_on_query_arg': 'test/workers/balancer/hash-value.test.ts',
  'upstreams.hash_fallback_query_arg': 'test/workers/balancer/hash-fallback.test.ts',
  'upstreams.hash_on_uri_capture': 'test/workers/balancer/hash-value.test.ts',
  'upstreams.hash_fallback_uri_capture': 'test/workers/balancer/hash-fallback.test.ts',
  'upstreams.healthchecks': 'test/integration/health.test.ts',
  'upstreams.host_header': 'test/integration/kong-fields.test.ts',
  'targets.id': 'test/config/ids.test.ts',
  'targets.target': 'test/integration/kong-fields.test.ts',
  'targets.weight': 'test/integration/kong-fields.test.ts',
  'consumers.id': 'test/config/ids.test.ts',
  'consumers.username': 'test/workers/credentials.test.ts',
  'consumers.custom_id': 'test/workers/credentials.test.ts',
  'plugins.id': 'test/config/ids.test.ts',
  'plugins.name': 'test/workers/plugins/iterator.test.ts',
  'plugins.config': 'test/workers/plugins/iterator.test.ts',
  'plugins.protocols': 'test/config/kong-formats.test.ts',
  'plugins.enabled': 'test/workers/plugins/iterator.test.ts',
  'keyauth_credentials.id': 'test/config/ids.test.ts',
  'keyauth_credentials.key': 'test/workers/credentials.test.ts',
  'basicauth_credentials.id': 'test/config/ids.test.ts',
  'basicauth_credentials.username': 'test/workers/credentials.test.ts',
  'basicauth_credentials.password': 'test/workers/credentials.test.ts',
  'jwt_secrets.id': 'test/config/ids.test.ts',
  'jwt_secrets.key': 'test/workers/credentials.test.ts',
  'jwt_secrets.secret': 'test/workers/plugins/jwt/access.test.ts',
  'jwt_secrets.algorithm': 'test/workers/plugins/jwt/access.test.ts',
  'jwt_secrets.rsa_public_key': 'test/workers/plugins/jwt/access.test.ts',
  'plugin:acl.config.allow': 'test/workers/plugins/acl/access.test.ts',
  'plugin:acl.config.deny': 'test/workers/plugins/acl/access.test.ts',
  'plugin:acl.config.hide_groups_header': 'test/workers/plugins/acl/access.test.ts',
  // Only its schema test names it; the handler reads it (workers/plugins/acl/handler.ts).
  'plugin:acl.config.always_use_authenticated_groups': 'test/workers/plugins/acl/schema.test.ts',
  'plugin:basic-auth.config.anonymous': 'test/workers/plugins/basic-auth/access.test.ts',
  'plugin:basic-auth.config.hide_credentials': 'test/workers/plugins/basic-auth/access.test.ts',
  'plugin:basic-auth.config.realm': 'test/workers/plugins/basic-auth/access.test.ts',
  'plugin:jwt.config.uri_param_names': 'test/workers/plugins/jwt/access.test.ts',
  'plugin:jwt.config.cookie_names': 'test/workers/plugins/jwt/access.test.ts',
  'plugin:jwt.config.key_claim_name': 'test/workers/plugins/jwt/access.test.ts',
  'plugin:jwt.config.secret_is_base64': 'test/workers/plugins/jwt/access.test.ts',
  'plugin:jwt.config.claims_to_verify': 'test/workers/plugins/jwt/access.test.ts',
  'plugin:jwt.config.anonymous': 'test/workers/plugins/jwt/access.test.ts',
  'plugin:jwt.config.run_on_preflight': 'test/workers/plugins/jwt/access.test.ts',
  'plugin:jwt.config.maximum_expiration': 'test/workers/plugins/jwt/access.test.ts',
  'plugin:jwt.config.header_names': 'test/workers/plugins/jwt/access.test.ts',
  'plugin:jwt.config.realm': 'test/workers/plugins/jwt/access.test.ts',
  'plugin:hmac-auth.config.hide_credentials': 'test/workers/plugins/hmac-auth/access.test.ts',
  'plugin:hmac-auth.config.clock_skew': 'test/workers/plugins/hmac-auth/access.test.ts',
  'plugin:hmac-auth.config.anonymous': 'test/workers/plugins/hmac-auth/access.test.ts',
  'plugin:hmac-auth.config.validate_request_body': 'test/workers/plugins/hmac-auth/access.test.ts',
  'plugin:hmac-auth.config.enforce_headers': 'test/workers/plugins/hmac-auth/access.test.ts',
  'plugin:hmac-auth.config.algorithms': 'test/workers/plugins/hmac-auth/access.test.ts',
  'plugin:hmac-auth.config.realm': 'test/workers/plugins/hmac-auth/access.test.ts',
  'hmacauth_credentials.id': 'test/config/ids.test.ts',
  'hmacauth_credentials.username': 'test/workers/plugins/hmac-auth/access.test.ts',
  'hmacauth_credentials.secret': 'test/workers/plugins/hmac-auth/access.test.ts',
  'acls.id': 'test/config/ids.test.ts',
  'acls.group': 'test/workers/credentials.test.ts',
  'plugin:key-auth.config.key_names': 'test/workers/plugins/key-auth/access.test.ts',
  'plugin:key-auth.config.hide_credentials': 'test/workers/plugins/key-auth/access.test.ts',
  'plugin:key-auth.config.anonymous': 'test/workers/plugins/key-auth/access.test.ts',
  'plugin:key-auth.config.key_in_header': 'test/integration/kong-fields.test.ts',
  'plugin:key-auth.config.key_in_query': 'test/workers/plugins/key-auth/access.test.ts',
  'plugin:key-auth.config.run_on_preflight': 'test/workers/plugins/key-auth/access.test.ts',
  'plugin:key-auth.config.realm': 'test/workers/plugins/key-auth/access.test.ts',
  'plugin:correlation-id.config.header_name': 'test/workers/plugins/correlation-id/access.test.ts',
  'plugin:correlation-id.config.generator': 'test/workers/plugins/correlation-id/access.test.ts',
  'plugin:correlation-id.config.echo_downstream': 'test/workers/plugins/correlation-id/access.test.ts',
  'plugin:request-termination.config.status_code': 'test/workers/plugins/request-termination/access.test.ts',
  'plugin:request-termination.config.message': 'test/workers/plugins/request-termination/access.test.ts',
  'plugin:request-termination.config.content_type': 'test/workers/plugins/request-termination/access.test.ts',
  'plugin:request-termination.config.body': 'test/workers/plugins/request-termination/access.test.ts',
  'plugin:request-termination.config.echo': 'test/workers/plugins/request-termination/access.test.ts',
  'plugin:request-termination.config.trigger': 'test/workers/plugins/request-termination/access.test.ts',
  'plugin:prometheus.config.per_consumer': 'test/metrics/kong.test.ts',
  'plugin:prometheus.config.status_code_metrics': 'test/metrics/kong.test.ts',
  'plugin:prometheus.config.latency_metrics': 'test/metrics/kong.test.ts',
  'plugin:prometheus.config.bandwidth_metrics': 'test/metrics/kong.test.ts',
  'plugin:prometheus.config.upstream_health_metrics': 'test/metrics/upstream-health.test.ts',
  'plugin:rate-limiting.config.second': 'test/integration/kong-fields.test.ts',
  'plugin:rate-limiting.config.minute': 'test/integration/kong-fields.test.ts',
  'plugin:rate-limiting.config.hour': 'test/workers/plugins/rate-limiting/access.test.ts',
  'plugin:rate-limiting.config.day': 'test/workers/plugins/rate-limiting/access.test.ts',
  'plugin:rate-limiting.config.month': 'test/workers/plugins/rate-limiting/access.test.ts',
  'plugin:rate-limiting.config.year': 'test/integration/kong-fields.test.ts',
  'plugin:rate-limiting.config.limit_by': 'test/workers/plugins/rate-limiting/access.test.ts',
  'plugin:rate-limiting.config.header_name': 'test/workers/plugins/rate-limiting/access.test.ts',
  'plugin:rate-limiting.config.path': 'test/workers/plugins/rate-limiting/access.test.ts',
  'plugin:rate-limiting.config.error_code': 'test/workers/plugins/rate-limiting/access.test.ts',
  'plugin:rate-limiting.config.error_message': 'test/workers/plugins/rate-limiting/access.test.ts',
  'plugin:rate-limiting.config.hide_client_headers': 'test/workers/plugins/rate-limiting/access.test.ts',
  'plugin:cors.config.origins': 'test/workers/plugins/cors/access.test.ts',
  'plugin:cors.config.headers': 'test/workers/plugins/cors/access.test.ts',
  'plugin:cors.config.exposed_headers': 'test/workers/plugins/cors/access.test.ts',
  'plugin:cors.config.methods': 'test/workers/plugins/cors/access.test.ts',
  'plugin:cors.config.max_age': 'test/workers/plugins/cors/access.test.ts',
  'plugin:cors.config.credentials': 'test/workers/plugins/cors/access.test.ts',
  'plugin:cors.config.private_network': 'test/workers/plugins/cors/access.test.ts',
  'plugin:cors.config.preflight_continue': 'test/workers/plugins/cors/access.test.ts',
  'plugin:cors.config.allow_origin_absent': 'test/workers/plugins/cors/access.test.ts',
  'plugin:ip-restriction.config.allow': 'test/workers/plugins/ip-restriction/access.test.ts',
  'plugin:ip-restriction.config.deny': 'test/workers/plugins/ip-restriction/access.test.ts',
  'plugin:ip-restriction.config.status': 'test/workers/plugins/ip-restriction/access.test.ts',
  'plugin:ip-restriction.config.message': 'test/workers/plugins/ip-restriction/access.test.ts',
  'plugin:bot-detection.config.allow': 'test/workers/plugins/bot-detection/access.test.ts',
  'plugin:bot-detection.config.deny': 'test/workers/plugins/bot-detection/access.test.ts',
  'plugin:request-size-limiting.config.allowed_payload_size': 'test/workers/plugins/request-size-limiting/access.test.ts',
  'plugin:request-size-limiting.config.size_unit': 'test/workers/plugins/request-size-limiting/access.test.ts',
  'plugin:request-size-limiting.config.require_content_length': 'test/workers/plugins/request-size-limiting/access.test.ts',
  'plugin:redirect.config.status_code': 'test/workers/plugins/redirect/access.test.ts',
  'plugin:redirect.config.location': 'test/workers/plugins/redirect/access.test.ts',
  'plugin:redirect.config.keep_incoming_path': 'test/workers/plugins/redirect/access.test.ts',
  'plugin:response-ratelimiting.config.limits': 'test/workers/plugins/response-ratelimiting/access.test.ts',
  'plugin:response-ratelimiting.config.header_name': 'test/workers/plugins/response-ratelimiting/access.test.ts',
  'plugin:response-ratelimiting.config.limit_by': 'test/workers/plugins/response-ratelimiting/access.test.ts',
  'plugin:response-ratelimiting.config.block_on_first_violation': 'test/workers/plugins/response-ratelimiting/access.test.ts',
  'plugin:response-ratelimiting.config.hide_client_headers': 'test/workers/plugins/response-ratelimiting/access.test.ts',
  'plugin:request-transformer.config.http_method': 'test/workers/plugins/request-transformer/access.test.ts',
  'plugin:request-transformer.config.remove': 'test/workers/plugins/request-transformer/access.test.ts',
  'plugin:request-transformer.config.rename': 'test/workers/plugins/request-transformer/access.test.ts',
  'plugin:request-transformer.config.replace': 'test/workers/plugins/request-transformer/access.test.ts',
  'plugin:request-transformer.config.add': 'test/workers/plugins/request-transformer/access.test.ts',
  'plugin:request-transformer.config.append': 'test/workers/plugins/request-transformer/access.test.ts',
  'plugin:response-transformer.config.remove': 'test/workers/plugins/response-transformer/filter.test.ts',
  'plugin:response-transformer.config.rename': 'test/workers/plugins/response-transformer/filter.test.ts',
  'plugin:response-transformer.config.replace': 'test/workers/plugins/response-transformer/filter.test.ts',
  'plugin:response-transformer.config.add': 'test/workers/plugins/response-transformer/filter.test.ts',
  'plugin:response-transformer.config.append': 'test/workers/plugins/response-transformer/filter.test.ts',
  'plugin:proxy-cache.config.response_code': 'test/workers/plugins/proxy-cache/access.test.ts',
  'plugin:proxy-cache.config.request_method': 'test/workers/plugins/proxy-cache/access.test.ts',
  'plugin:proxy-cache.config.content_type': 'test/workers/plugins/proxy-cache/access.test.ts',
  'plugin:proxy-cache.config.cache_ttl': 'test/workers/plugins/proxy-cache/access.test.ts',
  'plugin:proxy-cache.config.strategy': 'test/workers/plugins/proxy-cache/access.test.ts',
  'plugin:proxy-cache.config.cache_control': 'test/workers/plugins/proxy-cache/access.test.ts',
  'plugin:proxy-cache.config.ignore_uri_case': 'test/workers/plugins/proxy-cache/access.test.ts',
  'plugin:proxy-cache.config.storage_ttl': 'test/workers/plugins/proxy-cache/access.test.ts',
  'plugin:proxy-cache.config.vary_query_params': 'test/workers/plugins/proxy-cache/access.test.ts',
  'plugin:proxy-cache.config.vary_headers': 'test/workers/plugins/proxy-cache/access.test.ts',
  'plugin:proxy-cache.config.response_headers': 'test/workers/plugins/proxy-cache/access.test.ts',
  // Logging plugins.
  'plugin:http-log.config.http_endpoint': 'test/workers/plugins/http-log/send.test.ts',
  'plugin:http-log.config.method': 'test/workers/plugins/http-log/send.test.ts',
  'plugin:http-log.config.content_type': 'test/workers/plugins/http-log/send.test.ts',
  'plugin:http-log.config.timeout': 'test/workers/plugins/http-log/send.test.ts',
  'plugin:http-log.config.keepalive': 'test/workers/plugins/http-log/send.test.ts',
  'plugin:http-log.config.headers': 'test/workers/plugins/http-log/send.test.ts',
  'plugin:http-log.config.queue.max_batch_size': 'test/workers/plugins/http-log/send.test.ts',
  'plugin:http-log.config.queue.max_coalescing_delay': 'test/workers/plugins/http-log/send.test.ts',
  'plugin:http-log.config.queue.max_entries': 'test/workers/plugins/http-log/send.test.ts',
  'plugin:http-log.config.queue.max_bytes': 'test/workers/plugins/http-log/send.test.ts',
  'plugin:http-log.config.queue.max_retry_time': 'test/workers/plugins/http-log/send.test.ts',
  'plugin:http-log.config.queue.initial_retry_delay': 'test/workers/plugins/http-log/send.test.ts',
  'plugin:http-log.config.queue.max_retry_delay': 'test/workers/plugins/http-log/send.test.ts',
  'plugin:http-log.config.queue.concurrency_limit': 'test/workers/plugins/http-log/send.test.ts',
  // Deprecated spellings of queue.max_batch_size / queue.max_coalescing_delay: their mapping is the behaviour.
  'plugin:http-log.config.queue_size': 'test/workers/plugins/http-log/schema.test.ts',
  'plugin:http-log.config.flush_timeout': 'test/workers/plugins/http-log/schema.test.ts',
  'plugin:file-log.config.path': 'test/workers/plugins/file-log/access.test.ts',
  'plugin:file-log.config.reopen': 'test/workers/plugins/file-log/access.test.ts',
  'plugin:tcp-log.config.host': 'test/workers/plugins/tcp-log/send.test.ts',
  'plugin:tcp-log.config.port': 'test/workers/plugins/tcp-log/send.test.ts',
  'plugin:tcp-log.config.timeout': 'test/workers/plugins/tcp-log/send.test.ts',
  'plugin:tcp-log.config.keepalive': 'test/workers/plugins/tcp-log/send.test.ts',
  'plugin:tcp-log.config.tls': 'test/workers/plugins/tcp-log/send.test.ts',
  'plugin:tcp-log.config.tls_sni': 'test/workers/plugins/tcp-log/send.test.ts',
  'plugin:udp-log.config.host': 'test/workers/plugins/udp-log/send.test.ts',
  'plugin:udp-log.config.port': 'test/workers/plugins/udp-log/send.test.ts',
  'plugin:syslog.config.log_level': 'test/workers/plugins/syslog/send.test.ts',
  'plugin:syslog.config.successful_severity': 'test/workers/plugins/syslog/send.test.ts',
  'plugin:syslog.config.client_errors_severity': 'test/workers/plugins/syslog/send.test.ts',
  'plugin:syslog.config.server_errors_severity': 'test/workers/plugins/syslog/send.test.ts',
  'plugin:syslog.config.facility': 'test/workers/plugins/syslog/send.test.ts',
};

interface Field {
  /** `routes.protocols`, `plugin:key-auth.config.key_in_body`, `upstreams.healthchecks.active.timeout`. */
  key: string;
  owner: string;
  /** Dotted path inside the entity as errors name it (`config.key_in_body`, `protocols.0`). */
  path: string;
  schema: Schema;
  /** The schema carrying `x-unsupported` (the field's, or its array items'), if any. */
  refusing: Schema | null;
}

function walk(owner: string, schema: Schema, prefix: string, out: Field[]): void {
  for (const [name, sub] of Object.entries((schema['properties'] ?? {}) as Record<string, Schema>)) {
    const path = prefix === '' ? name : `${prefix}.${name}`;
    const key = `${owner}.${path}`;
    const items = sub['items'] as Schema | undefined;
    const refusing = sub[UNSUPPORTED_KEYWORD] !== undefined ? sub : items?.[UNSUPPORTED_KEYWORD] !== undefined ? items : null;
    const record = sub['type'] === 'object' && sub['properties'] !== undefined;
    if (record && refusing === null && !(key in DELIBERATE_NO_OPS) && !(key in IMPLEMENTED)) {
      walk(owner, sub, path, out);
      continue;
    }
    out.push({ key, owner, path: refusing === items && items !== undefined ? `${path}.0` : path, schema: sub, refusing });
  }
}

const fields: Field[] = [];
for (const [owner, entry] of Object.entries(ENTITY_SCHEMAS)) walk(owner, entry.schema, '', fields);
for (const [name, schema] of Object.entries(pluginSchemas)) walk(`plugin:${name}`, { properties: { config: schema.config } }, '', fields);

test("every Kong 3.10 field of the entities and of the bundled plugins is in Sluice's schema", () => {
  const missing: string[] = [];
  for (const [owner, names] of Object.entries(KONG_3_10)) {
    const schema = owner.startsWith('plugin:') ? pluginSchemas[owner.slice(7)]?.config : ENTITY_SCHEMAS[owner]?.schema;
    assert.ok(schema, owner);
    const props = (schema['properties'] ?? {}) as Record<string, unknown>;
    for (const name of names.split(' ')) if (!(name in props)) missing.push(`${owner}.${name}`);
  }
  assert.deepEqual(missing, []);
});

test('every field is refused unless default, implemented with a behaviour test, or a documented no-op', () => {
  const unclassified = fields.filter((f) => f.refusing === null && !(f.key in IMPLEMENTED) && !(f.key in DELIBERATE_NO_OPS)).map((f) => f.key);
  assert.deepEqual(unclassified, [], 'classify each: implement it, refuse it (x-unsupported), or document it in config/kong-fields.ts');
  const wrong: string[] = [];
  for (const [key, file] of Object.entries(IMPLEMENTED)) {
    const leaf = key.split('.').pop() as string;
    if (!fields.some((f) => f.key === key)) wrong.push(`IMPLEMENTED names no field: ${key}`);
    else if (!existsSync(file)) wrong.push(`${key}: ${file} does not exist`);
    else if (!new RegExp(`\\b${leaf}\\b`).test(readFileSync(file, 'utf8'))) wrong.push(`${key}: ${file} never names ${leaf}`);
  }
  assert.deepEqual(wrong, []);
  for (const key of Object.keys(DELIBERATE_NO_OPS)) assert.ok(fields.some((f) => f.key === key), `DELIBERATE_NO_OPS names no field: ${key}`);
});

// Minimal valid documents holding one entity of each kind, with `value` merged into it.
function docFor(owner: string, value: Record<string, unknown>): Record<string, unknown> {
  const consumer = (key: string, cred: Record<string, unknown>) => ({ consumers: [{ username: 'c', [key]: [{ ...cred, ...value }] }] });
  switch (owner) {
    case 'services': return { services: [{ name: 's', host: 'example.com', ...value }] };
    case 'routes': return { services: [{ name: 's', host: 'example.com', routes: [{ name: 'r', paths: ['/'], ...value }] }] };
    case 'upstreams': return { upstreams: [{ name: 'u.internal', ...value }] };
    case 'targets': return { upstreams: [{ name: 'u.internal', targets: [{ target: '10.0.0.1:80', ...value }] }] };
    case 'consumers': return { consumers: [{ username: 'c', ...value }] };
    case 'plugins': return { plugins: [{ name: 'correlation-id', ...value }] };
    case 'keyauth_credentials': return consumer(owner, { key: 'k' });
    case 'basicauth_credentials': return consumer(owner, { username: 'b', password: 'p' });
    case 'jwt_secrets': return consumer(owner, { key: 'k' });
    case 'acls': return consumer(owner, { group: 'g' });
    case 'hmacauth_credentials': return consumer(owner, { username: 'h', secret: 's' });
  }
  const plugin = owner.slice('plugin:'.length);
  const base = (PLUGIN_BASE[plugin] ?? {}) as object;
  return { plugins: [{ name: plugin, config: { ...base, ...(value['config'] as object) } }] };
}

/** Required config of the plugins that have some, so a probe document is otherwise valid. */
const PLUGIN_BASE: Record<string, Record<string, unknown>> = {
  'rate-limiting': { minute: 1 },
  'response-ratelimiting': { limits: { video: { minute: 1 } } },
  'http-log': { http_endpoint: 'http://127.0.0.1:9/logs' },
  'file-log': { path: '/tmp/sluice.log' },
  'tcp-log': { host: '127.0.0.1', port: 9 },
  'udp-log': { host: '127.0.0.1', port: 9 },
};

/** `{a: {b: v}}` for path `a.b` (array index segments are not nested: the caller passes arrays). */
function nest(path: string, v: unknown): Record<string, unknown> {
  return path.split('.').reduceRight<unknown>((acc, seg) => ({ [seg]: acc }), v) as Record<string, unknown>;
}

/** A value the field's type accepts but its refusal does not. */
function probe(schema: Schema, allowed: readonly unknown[]): unknown {
  const notAllowed = (v: unknown) => !allowed.some((a) => isDeepStrictEqual(a, v));
  if (Array.isArray(schema['enum'])) return (schema['enum'] as unknown[]).find(notAllowed);
  const types = ([] as string[]).concat((schema['type'] as string | string[] | undefined) ?? []);
  if (types.includes('boolean')) return [true, false].find(notAllowed);
  if (types.includes('integer') || types.includes('number')) {
    let n = (schema['minimum'] as number | undefined) ?? 1;
    while (!notAllowed(n)) n++;
    return n;
  }
  if (types.includes('string')) {
    const pattern = schema['pattern'] === undefined ? null : new RegExp(schema['pattern'] as string, 'u');
    return ['/probe', 'X-Probe', 'probe.example'].find((s) => notAllowed(s) && (pattern === null || pattern.test(s)));
  }
  if (types.includes('array')) return [probe((schema['items'] ?? {}) as Schema, [])];
  if (types.includes('object')) return { 'X-Probe': ['v'] };
  return 'probe';
}

for (const field of fields.filter((f) => f.refusing !== null)) {
  test(`refused unless default: ${field.key}`, () => {
    const refusing = field.refusing as Schema;
    const allowed = refusing[UNSUPPORTED_KEYWORD] as unknown[];
    const itemLevel = field.path.endsWith('.0') && refusing !== field.schema;
    const bad = probe(refusing, allowed);
    assert.notEqual(bad, undefined, 'no probe value');
    const fieldPath = itemLevel ? field.path.slice(0, -2) : field.path;
    const refused = prepare(JSON.stringify({ _format_version: '3.0', ...docFor(field.owner, nest(fieldPath, itemLevel ? [bad] : bad)) }));
    assert.equal(refused.ok, false, `${JSON.stringify(bad)} must be refused`);
    if (refused.ok) return;
    const error = refused.errors.find((e) => e.field === field.path);
    assert.ok(error, `no error on ${field.path}: ${JSON.stringify(refused.errors)}`);
    assert.equal(error.code, 'SLUICE_ERR_UNSUPPORTED');
    assert.match(error.message, /not supported by Sluice/);
    assert.equal(refused.code, 'SLUICE_ERR_UNSUPPORTED', 'nothing else is wrong with the probe document');
    const type = field.owner.startsWith('plugin:') ? 'plugin' : (Object.values(COLLECTIONS).find((c) => (c.kind ?? c.group) === field.owner)?.type as string);
    assert.equal(error.entity_type, type);
    // Its default (or neutral value) loads.
    const fine = allowed[0];
    if (fine === undefined) return;
    const loaded = prepare(JSON.stringify({ _format_version: '3.0', ...docFor(field.owner, nest(fieldPath, itemLevel ? [fine] : fine)) }));
    assert.equal(loaded.ok, true, JSON.stringify(loaded.ok ? null : loaded.errors));
  });
}
