// rate-limiting's configuration schema (Kong 3.x kong/plugins/rate-limiting/schema.lua: same
// fields, defaults and checks). Plain data; imports only config/ types.
// Sluice counts in shared memory across the workers of one node, which is Kong's `local` policy;
// `cluster` and `redis` are rejected with a clear error rather than silently counting locally.
// The redis settings are still accepted (a Kong export writes them), and they are inert.
import type { PluginSchema } from '../plugin-schema.ts';

export type Window = 'second' | 'minute' | 'hour' | 'day' | 'month' | 'year';

export interface Config {
  second: number | null;
  minute: number | null;
  hour: number | null;
  day: number | null;
  month: number | null;
  year: number | null;
  limit_by: 'consumer' | 'credential' | 'ip' | 'service' | 'header' | 'path';
  /** Required when limit_by is `header`. */
  header_name: string | null;
  /** Required when limit_by is `path`. */
  path: string | null;
  policy: 'local';
  fault_tolerant: boolean;
  hide_client_headers: boolean;
  error_code: number;
  error_message: string;
  sync_rate: number;
  redis: Record<string, unknown>;
}

export const WINDOWS: readonly Window[] = ['second', 'minute', 'hour', 'day', 'month', 'year'];

const limit = { type: ['number', 'null'], exclusiveMinimum: 0, default: null };
// Optional fields default to null, so leaving one out and writing `null` (as Kong exports do) hash the same.
const optString = { type: ['string', 'null'], default: null };
const optInteger = { type: ['integer', 'null'], default: null };
const optBoolean = { type: ['boolean', 'null'], default: null };
const optArray = { type: ['array', 'null'], default: null };

export const schema: PluginSchema = {
  name: 'rate-limiting',
  priority: 910,
  protocols: ['grpc', 'grpcs', 'http', 'https'],
  config: {
    type: 'object',
    properties: {
      second: limit,
      minute: limit,
      hour: limit,
      day: limit,
      month: limit,
      year: limit,
      limit_by: { type: 'string', enum: ['consumer', 'credential', 'ip', 'service', 'header', 'path'], default: 'consumer' },
      header_name: { type: ['string', 'null'], pattern: "^[A-Za-z0-9!#$%&'*+.^_`|~-]+$", default: null },
      path: { type: ['string', 'null'], pattern: '^/', default: null },
      // Counters are shared by the workers of one node (Kong's `local`); cluster-wide counting is not implemented.
      policy: { type: 'string', enum: ['local', 'cluster', 'redis'], default: 'local', 'x-unsupported': ['local'] },
      fault_tolerant: { type: 'boolean', default: true },
      hide_client_headers: { type: 'boolean', default: false },
      error_code: { type: 'number', exclusiveMinimum: 0, default: 429 },
      error_message: { type: 'string', default: 'API rate limit exceeded' },
      sync_rate: { type: 'number', default: -1 },
      // Kong 3.6+ shared redis record (Kong's defaults for the basic fields).
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
      redis_timeout: { type: ['number', 'null'], default: null },
      redis_database: optInteger,
    },
  },
  checks: [
    { at_least_one_of: WINDOWS },
    { non_decreasing: WINDOWS },
    {
      conditional: {
        if_field: 'policy',
        if_match: { one_of: ['local'] },
        then_field: 'sync_rate',
        then_match: { one_of: [-1] },
        then_err: 'sync_rate can only be used with the redis policy',
      },
    },
    { conditional: { if_field: 'limit_by', if_match: { one_of: ['header'] }, then_field: 'header_name', then_match: { present: true } } },
    { conditional: { if_field: 'limit_by', if_match: { one_of: ['path'] }, then_field: 'path', then_match: { present: true } } },
  ],
};
