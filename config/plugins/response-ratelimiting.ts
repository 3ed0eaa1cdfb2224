// response-ratelimiting's configuration schema (Kong 3.x
// kong/plugins/response-ratelimiting/schema.lua: same fields, defaults and checks). Plain data.
// As rate-limiting: Sluice counts in shared memory across the workers of one node (Kong's `local`
// policy, exact across workers); `cluster` and `redis` are refused. The redis settings are
// accepted (a Kong export writes them) and inert, since only `redis` would read them.
import type { PluginSchema } from '../plugin-schema.ts';

export const PERIODS = ['second', 'minute', 'hour', 'day', 'month', 'year'] as const;
export type Period = (typeof PERIODS)[number];

export type Limit = Partial<Record<Period, number | null>>;

export interface Config {
  /** The upstream response header that says what to count (`video=1, image=2`). */
  header_name: string;
  limit_by: 'consumer' | 'credential' | 'ip';
  policy: 'local';
  fault_tolerant: boolean;
  block_on_first_violation: boolean;
  hide_client_headers: boolean;
  /** Per limit name, the limit of each window. */
  limits: Record<string, Limit>;
  redis: Record<string, unknown>;
}

const optString = { type: ['string', 'null'], default: null };
const optInteger = { type: ['integer', 'null'], default: null };
const optBoolean = { type: ['boolean', 'null'], default: null };
const optArray = { type: ['array', 'null'], default: null };
const period = { type: ['number', 'null'], exclusiveMinimum: 0 };

export const schema: PluginSchema = {
  name: 'response-ratelimiting',
  priority: 900,
  protocols: ['grpc', 'grpcs', 'http', 'https', 'ws', 'wss'],
  config: {
    type: 'object',
    required: ['limits'],
    properties: {
      header_name: { type: 'string', default: 'x-kong-limit' },
      limit_by: { type: 'string', enum: ['consumer', 'credential', 'ip'], default: 'consumer' },
      policy: { type: 'string', enum: ['local', 'cluster', 'redis'], default: 'local', 'x-unsupported': ['local'] },
      fault_tolerant: { type: 'boolean', default: true },
      block_on_first_violation: { type: 'boolean', default: false },
      hide_client_headers: { type: 'boolean', default: false },
      limits: {
        type: 'object',
        minProperties: 1,
        // A name becomes part of header names (X-RateLimit-Remaining-<name>): header characters only.
        propertyNames: { pattern: "^[A-Za-z0-9!#$%&'*+.^_`|~-]+$", 'x-message': 'a limit name must be made of header name characters' },
        additionalProperties: {
          type: 'object',
          properties: Object.fromEntries(PERIODS.map((p) => [p, period])),
          'x-at-least-one-of': [...PERIODS],
          'x-non-decreasing': [...PERIODS],
        },
      },
      redis: {
        type: 'object',
        default: {},
        properties: {
          host: optString,
          port: { type: 'integer', minimum: 0, maximum: 65535, default: 6379 },
          timeout: { type: 'integer', default: 2000 },
          connect_timeout: optInteger,
          send_timeout: optInteger,
          read_timeout: optInteger,
          username: optString,
          password: optString,
          database: { type: 'integer', default: 0 },
          ssl: { type: 'boolean', default: false },
          ssl_verify: { type: 'boolean', default: false },
          server_name: optString,
          keepalive_pool_size: optInteger,
          keepalive_backlog: optInteger,
          sentinel_master: optString,
          sentinel_role: optString,
          sentinel_nodes: optArray,
          sentinel_username: optString,
          sentinel_password: optString,
          cluster_nodes: optArray,
          cluster_max_redirections: optInteger,
          connection_is_proxied: optBoolean,
        },
      },
      // Kong 3.0-3.5 flat redis fields (deprecated shorthands of `redis.*`).
      redis_host: optString,
      redis_port: optInteger,
      redis_password: optString,
      redis_username: optString,
      redis_ssl: optBoolean,
      redis_ssl_verify: optBoolean,
      redis_server_name: optString,
      redis_timeout: optInteger,
      redis_database: optInteger,
    },
  },
};
