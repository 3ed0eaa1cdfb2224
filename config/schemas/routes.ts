// Schema of a Kong 3.x route (traditional router fields). Pure data; any thread.
// Path, host and header semantics (regex compilation, wildcards) are checked in route-checks.ts,
// where the messages can be precise.
import { LIMITS } from '../limits.ts';
import { HEADER_NAME, ID, NAME, TAGS, bool, nullable, oneOf, record, refuse, unsupported } from './common.ts';
import type { EntitySchema } from './common.ts';

export const routes: EntitySchema = {
  schema: record({
    id: ID,
    name: nullable(NAME),
    // A set in Kong; sorted when the entity is built so order never changes a hash. Sluice routes
    // HTTP and gRPC: Kong's stream protocols are refused as unsupported, not as invalid. An
    // `https`-only route answers plain HTTP with `https_redirect_status_code` (workers/proxy); a
    // gRPC route's own rules (no methods, no strip_path) are in route-checks.ts.
    protocols: {
      type: 'array',
      minItems: 1,
      uniqueItems: true,
      items: refuse(oneOf(['http', 'https', 'grpc', 'grpcs', 'tcp', 'tls', 'udp', 'tls_passthrough', 'ws', 'wss']), ['http', 'https', 'grpc', 'grpcs']),
      default: ['http', 'https'],
    },
    methods: nullable({
      type: 'array',
      maxItems: LIMITS.methodsPerRoute,
      uniqueItems: true,
      items: { type: 'string', minLength: 1, maxLength: 32, pattern: '^[A-Z]+$', 'x-message': 'invalid value: must be an uppercase HTTP method' },
    }),
    hosts: nullable({
      type: 'array',
      maxItems: LIMITS.hostsPerRoute,
      items: { type: 'string', minLength: 1, maxLength: LIMITS.hostLength + 6 },
    }),
    paths: nullable({
      type: 'array',
      maxItems: LIMITS.pathsPerRoute,
      items: { type: 'string', minLength: 1, maxLength: LIMITS.pathLength },
    }),
    headers: nullable({
      type: 'object',
      maxProperties: LIMITS.headersPerRoute,
      propertyNames: HEADER_NAME,
      additionalProperties: {
        type: 'array',
        minItems: 1,
        maxItems: LIMITS.valuesPerHeader,
        items: { type: 'string', maxLength: LIMITS.pathLength },
      },
    }),
    https_redirect_status_code: { type: 'integer', enum: [426, 301, 302, 307, 308], default: 426 },
    regex_priority: { type: 'integer', minimum: -(2 ** 31), maximum: 2 ** 31 - 1, default: 0 },
    strip_path: bool(true),
    path_handling: oneOf(['v0', 'v1'], 'v0'),
    preserve_host: bool(false),
    request_buffering: bool(true),
    response_buffering: bool(true),
    tags: TAGS,
    // Server names of the TLS connection (Kong's `snis` on an https route; tls-checks.ts).
    snis: nullable({ type: 'array', maxItems: LIMITS.hostsPerRoute, items: { type: 'string', minLength: 1, maxLength: LIMITS.hostLength } }),
    // Stream-routing fields: Sluice proxies HTTP only.
    sources: unsupported,
    destinations: unsupported,
    // The expressions router's fields (router_flavor = expressions).
    expression: unsupported,
    priority: refuse({ type: 'integer' }, [0, null]),
  }),
  dropped: ['sources', 'destinations', 'expression', 'priority'],
};
