// cors' configuration schema (Kong 3.x kong/plugins/cors/schema.lua: same fields and defaults).
// Plain data, readable without loading the handler; imports only config/ types.
import type { PluginSchema } from '../plugin-schema.ts';

export const CORS_METHODS = ['GET', 'HEAD', 'PUT', 'PATCH', 'POST', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT'] as const;

export interface Config {
  /** Allowed origins: `*`, exact origins, or regexes (anything with a character outside [A-Za-z0-9.:/-]); null or [] allows all. */
  origins: string[] | null;
  /** Access-Control-Allow-Headers on preflight; null echoes Access-Control-Request-Headers. */
  headers: string[] | null;
  exposed_headers: string[] | null;
  methods: string[];
  /** Access-Control-Max-Age on preflight, in seconds. */
  max_age: number | null;
  credentials: boolean;
  private_network: boolean;
  preflight_continue: boolean;
  allow_origin_absent: boolean;
}

const optStrings = { type: ['array', 'null'], default: null, items: { type: 'string' } };

export const schema: PluginSchema = {
  name: 'cors',
  priority: 2000,
  no_consumer: true,
  protocols: ['grpc', 'grpcs', 'http', 'https', 'ws', 'wss'],
  config: {
    type: 'object',
    properties: {
      origins: { type: ['array', 'null'], default: null, items: { type: 'string', 'x-regex': 'origin' } },
      headers: optStrings,
      exposed_headers: optStrings,
      methods: { type: 'array', default: [...CORS_METHODS], items: { type: 'string', enum: [...CORS_METHODS] } },
      max_age: { type: ['number', 'null'], default: null },
      credentials: { type: 'boolean', default: false },
      private_network: { type: 'boolean', default: false },
      preflight_continue: { type: 'boolean', default: false },
      allow_origin_absent: { type: 'boolean', default: true },
    },
  },
};
