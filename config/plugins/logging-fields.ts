// Config fields the logging plugins share (http-log, file-log, tcp-log, udp-log, syslog), as Kong's
// typedefs: queue (kong/tools/queue_schema.lua), lua_code, host, port. Plain data; any thread.
import type { JSONSchema } from '../plugin-schema.ts';

/** Kong's typedefs.queue, with its defaults and bounds. */
export interface QueueFields {
  max_batch_size: number;
  max_coalescing_delay: number;
  max_entries: number;
  max_bytes: number | null;
  max_retry_time: number;
  initial_retry_delay: number;
  max_retry_delay: number;
  concurrency_limit: 1 | -1;
}

export const QUEUE: JSONSchema = {
  type: 'object',
  default: {},
  properties: {
    max_batch_size: { type: 'integer', minimum: 1, maximum: 1_000_000, default: 1 },
    max_coalescing_delay: { type: 'number', minimum: 0, maximum: 3600, default: 1 },
    max_entries: { type: 'integer', minimum: 1, maximum: 1_000_000, default: 10_000 },
    max_bytes: { type: ['integer', 'null'], default: null },
    max_retry_time: { type: 'number', default: 60 },
    initial_retry_delay: { type: 'number', minimum: 0.001, maximum: 1_000_000, default: 0.01 },
    max_retry_delay: { type: 'number', minimum: 0.001, maximum: 1_000_000, default: 60 },
    concurrency_limit: { type: 'integer', enum: [-1, 1], default: 1, 'x-message': 'expected one of: -1, 1' },
  },
};

/**
 * Kong's `custom_fields_by_lua` (typedefs.lua_code): Lua run per request. Sluice runs no Lua, so
 * the field is accepted only empty (null or {}), as Kong exports write it, and refused otherwise
 * with SLUICE_ERR_UNSUPPORTED (config/ajv.ts).
 */
export const LUA_CODE: JSONSchema = { type: ['object', 'null'], default: null, 'x-unsupported': [null, {}] };

/** Kong's typedefs.host: a host name or an IP address. */
export const HOST: JSONSchema = {
  type: 'string',
  minLength: 1,
  maxLength: 256,
  pattern: '^(\\[[0-9A-Fa-f:.]+\\]|[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*|[A-Za-z0-9_.-]+)$',
  'x-message': 'invalid value: must be a host name or an IP address',
};

/** Kong's typedefs.port. */
export const PORT: JSONSchema = { type: 'integer', minimum: 0, maximum: 65535 };

/** Kong's severities, most to least severe... in Kong's list order. */
export const SEVERITIES = ['debug', 'info', 'notice', 'warning', 'err', 'crit', 'alert', 'emerg'] as const;
export type Severity = (typeof SEVERITIES)[number];
