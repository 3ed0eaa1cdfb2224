// Schema of a Kong 3.x upstream, with Kong's nested healthcheck defaults. Pure data; any thread.
// Every algorithm, hash and healthchecks setting is implemented (workers/balancer/, runtime/health/).
import { LIMITS } from '../limits.ts';
import { ABSOLUTE_PATH, HEADER_NAME, ID, TAGS, bool, nullable, oneOf, record, refuse, unsupported } from './common.ts';
import type { EntitySchema, Schema } from './common.ts';

const HASH_ON = ['none', 'consumer', 'ip', 'header', 'cookie', 'path', 'query_arg', 'uri_capture'];

function statuses(dflt: number[]): Schema {
  return { type: 'array', default: dflt, maxItems: 1000, items: { type: 'integer', minimum: 100, maximum: 999 } };
}
function seconds(dflt: number): Schema {
  return { type: 'number', minimum: 0, maximum: 65535, default: dflt };
}
function counter(dflt: number): Schema {
  return { type: 'integer', minimum: 0, maximum: 2 ** 31, default: dflt };
}
/** A record whose absence means "all defaults": ajv fills `{}` then its fields. */
function section(properties: Record<string, Schema>): Schema {
  return { ...record(properties), default: {} };
}

const checkType = oneOf(['tcp', 'http', 'https', 'grpc', 'grpcs'], 'http');

const healthchecks = section({
  threshold: { type: 'number', minimum: 0, maximum: 100, default: 0 },
  active: section({
    type: checkType,
    timeout: seconds(1),
    concurrency: { type: 'integer', minimum: 1, maximum: 2 ** 31, default: 10 },
    http_path: { ...ABSOLUTE_PATH, default: '/' },
    https_sni: nullable({ type: 'string', minLength: 1, maxLength: LIMITS.hostLength }),
    https_verify_certificate: bool(true),
    headers: nullable({
      type: 'object',
      propertyNames: HEADER_NAME,
      additionalProperties: { type: 'array', items: { type: 'string' } },
    }),
    healthy: section({
      interval: seconds(0),
      http_statuses: statuses([200, 302]),
      successes: counter(0),
    }),
    unhealthy: section({
      interval: seconds(0),
      http_statuses: statuses([429, 404, 500, 501, 502, 503, 504, 505]),
      tcp_failures: counter(0),
      timeouts: counter(0),
      http_failures: counter(0),
    }),
  }),
  passive: section({
    type: checkType,
    healthy: section({
      http_statuses: statuses([200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301, 302, 303, 304, 305, 306, 307, 308]),
      successes: counter(0),
    }),
    unhealthy: section({
      http_statuses: statuses([429, 500, 503]),
      tcp_failures: counter(0),
      timeouts: counter(0),
      http_failures: counter(0),
    }),
  }),
});

const ARG: Schema = { type: 'string', minLength: 1, maxLength: LIMITS.nameLength };

export const upstreams: EntitySchema = {
  schema: record(
    {
      id: ID,
      // A virtual host name; checked as a hostname in entity-checks.ts.
      name: { type: 'string', minLength: 1, maxLength: LIMITS.hostLength },
      algorithm: oneOf(['round-robin', 'consistent-hashing', 'least-connections', 'latency'], 'round-robin'),
      hash_on: oneOf(HASH_ON, 'none'),
      hash_fallback: oneOf(HASH_ON, 'none'),
      hash_on_header: nullable(HEADER_NAME),
      hash_fallback_header: nullable(HEADER_NAME),
      hash_on_cookie: nullable(ARG),
      hash_on_cookie_path: { ...ABSOLUTE_PATH, default: '/' },
      hash_on_query_arg: nullable(ARG),
      hash_fallback_query_arg: nullable(ARG),
      hash_on_uri_capture: nullable(ARG),
      hash_fallback_uri_capture: nullable(ARG),
      slots: { type: 'integer', minimum: 10, maximum: 2 ** 16, default: 10000 },
      host_header: nullable({ type: 'string', minLength: 1, maxLength: LIMITS.hostLength }),
      healthchecks,
      tags: TAGS,
      client_certificate: unsupported,
      use_srv_name: refuse({ type: ['boolean', 'null'] }, [false, null]),
      // Kong 3.11 (sticky-sessions algorithm); accepted empty so a newer export still loads.
      sticky_sessions_cookie: unsupported,
      sticky_sessions_cookie_path: refuse(nullable({ type: 'string' }), [null, '/']),
    },
    ['name'],
  ),
  dropped: ['client_certificate', 'use_srv_name', 'sticky_sessions_cookie', 'sticky_sessions_cookie_path'],
};
