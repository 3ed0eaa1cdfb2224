// proxy-cache's configuration schema (Kong 3.x kong/plugins/proxy-cache/schema.lua: same fields,
// defaults and bounds). Plain data; imports only config/ types.
// `memory.dictionary_name` is accepted and has no effect: Kong names an nginx shared dict there;
// Sluice keeps each proxy-cache config's entries in its own bounded store on each worker.
import type { PluginSchema } from '../plugin-schema.ts';

export interface Config {
  response_code: number[];
  request_method: ('HEAD' | 'GET' | 'POST' | 'PATCH' | 'PUT')[];
  content_type: string[];
  cache_ttl: number;
  strategy: 'memory';
  cache_control: boolean;
  ignore_uri_case: boolean;
  storage_ttl: number | null;
  memory: { dictionary_name: string };
  vary_query_params: string[] | null;
  vary_headers: string[] | null;
  response_headers: { age: boolean; 'X-Cache-Status': boolean; 'X-Cache-Key': boolean };
}

export const schema: PluginSchema = {
  name: 'proxy-cache',
  priority: 100,
  protocols: ['grpc', 'grpcs', 'http', 'https', 'ws', 'wss'],
  config: {
    type: 'object',
    required: ['strategy'],
    properties: {
      response_code: { type: 'array', minItems: 1, default: [200, 301, 404], items: { type: 'integer', minimum: 100, maximum: 900 } },
      request_method: { type: 'array', default: ['GET', 'HEAD'], items: { type: 'string', enum: ['HEAD', 'GET', 'POST', 'PATCH', 'PUT'] } },
      content_type: { type: 'array', default: ['text/plain', 'application/json'], items: { type: 'string' } },
      cache_ttl: { type: 'integer', exclusiveMinimum: 0, default: 300 },
      // Kong's open-source strategies are `memory` only.
      strategy: { type: 'string', enum: ['memory'] },
      cache_control: { type: 'boolean', default: false },
      ignore_uri_case: { type: 'boolean', default: false },
      storage_ttl: { type: ['integer', 'null'], default: null },
      memory: { type: 'object', default: {}, properties: { dictionary_name: { type: 'string', default: 'kong_db_cache' } } },
      vary_query_params: { type: ['array', 'null'], default: null, items: { type: 'string' } },
      vary_headers: { type: ['array', 'null'], default: null, items: { type: 'string' } },
      response_headers: {
        type: 'object',
        default: {},
        properties: {
          age: { type: 'boolean', default: true },
          'X-Cache-Status': { type: 'boolean', default: true },
          'X-Cache-Key': { type: 'boolean', default: true },
        },
      },
    },
  },
};
