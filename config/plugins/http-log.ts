// http-log's configuration schema (Kong 3.x kong/plugins/http-log/schema.lua: same fields,
// defaults and checks; `queue` is Kong's typedefs.queue). Plain data; imports only config/.
// The deprecated `retry_count`, `queue_size` and `flush_timeout` are accepted as Kong accepts them:
// queue_size (when not 1) and flush_timeout (when not 2) stand for queue.max_batch_size and
// queue.max_coalescing_delay; retry_count does nothing, in Kong too.
import type { PluginSchema } from '../plugin-schema.ts';
import { PLUGIN_PROTOCOLS } from '../schemas/plugins.ts';
import { LUA_CODE, QUEUE, type QueueFields } from './logging-fields.ts';

export interface Config {
  http_endpoint: string;
  method: 'POST' | 'PUT' | 'PATCH';
  content_type: 'application/json' | 'application/json; charset=utf-8';
  timeout: number;
  keepalive: number;
  retry_count: number | null;
  queue_size: number | null;
  flush_timeout: number | null;
  headers: Record<string, string> | null;
  queue: QueueFields;
  custom_fields_by_lua: null;
}

// A header named Host, Content-Length or Content-Type (any case): the plugin sets those itself.
const RESERVED_HEADER = '^([Hh][Oo][Ss][Tt]|[Cc][Oo][Nn][Tt][Ee][Nn][Tt]-([Ll][Ee][Nn][Gg][Tt][Hh]|[Tt][Yy][Pp][Ee]))$';
const AUTHORIZATION = '^[Aa][Uu][Tt][Hh][Oo][Rr][Ii][Zz][Aa][Tt][Ii][Oo][Nn]$';

export const schema: PluginSchema = {
  name: 'http-log',
  priority: 12,
  protocols: PLUGIN_PROTOCOLS,
  config: {
    type: 'object',
    required: ['http_endpoint'],
    properties: {
      http_endpoint: {
        type: 'string',
        maxLength: 4096,
        // Sluice sends over http and https only (Kong's lua-resty-http: the same two).
        pattern: '^[Hh][Tt][Tt][Pp][Ss]?://[^/?#]+',
        'x-message': 'invalid url: expected http:// or https:// and a host',
      },
      method: { type: 'string', enum: ['POST', 'PUT', 'PATCH'], default: 'POST', 'x-message': 'expected one of: POST, PUT, PATCH' },
      content_type: {
        type: 'string',
        enum: ['application/json', 'application/json; charset=utf-8'],
        default: 'application/json',
        'x-message': 'expected one of: application/json, application/json; charset=utf-8',
      },
      timeout: { type: 'number', minimum: 0, default: 10000 },
      keepalive: { type: 'number', minimum: 0, default: 60000 },
      retry_count: { type: ['integer', 'null'], default: null },
      queue_size: { type: ['integer', 'null'], minimum: 1, maximum: 1_000_000, default: null },
      flush_timeout: { type: ['number', 'null'], minimum: 0, maximum: 3600, default: null },
      headers: {
        type: ['object', 'null'],
        default: null,
        propertyNames: {
          pattern: "^[A-Za-z0-9!#$%&'*+.^_`|~-]+$",
          not: { pattern: RESERVED_HEADER },
          'x-message': "bad header name: must be an RFC 7230 token, and cannot be 'Host', 'Content-Length' or 'Content-Type'",
        },
        additionalProperties: { type: 'string' },
      },
      queue: QUEUE,
      custom_fields_by_lua: LUA_CODE,
    },
    // Kong's custom_validator: user info in the URL and an Authorization header, not both.
    // (additionalProperties: true: these describe part of the config, they do not close it.)
    if: { properties: { http_endpoint: { type: 'string', pattern: '^[^:]+://[^/?#]*@' } }, required: ['http_endpoint'], additionalProperties: true },
    then: {
      additionalProperties: true,
      properties: {
        // propertyNames applies to objects only: null headers pass.
        headers: {
          type: ['object', 'null'],
          propertyNames: { not: { pattern: AUTHORIZATION }, 'x-message': "specifying both an 'Authorization' header and user info in 'http_endpoint' is not allowed" },
        },
      },
    },
  },
};
