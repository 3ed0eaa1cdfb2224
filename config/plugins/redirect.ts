// redirect's configuration schema (Kong 3.9+ kong/plugins/redirect/schema.lua: same fields and
// defaults). Plain data; imports only config/ types.
import type { PluginSchema } from '../plugin-schema.ts';

export interface Config {
  status_code: number;
  /** An absolute URL (scheme and host required). */
  location: string;
  /** Replace the location's path and query with the request's. */
  keep_incoming_path: boolean;
}

export const schema: PluginSchema = {
  name: 'redirect',
  priority: 779,
  protocols: ['grpc', 'grpcs', 'http', 'https', 'ws', 'wss'],
  config: {
    type: 'object',
    required: ['location'],
    properties: {
      status_code: { type: 'integer', minimum: 100, maximum: 599, default: 301 },
      location: { type: 'string', 'x-url': 'url' },
      keep_incoming_path: { type: 'boolean', default: false },
    },
  },
};
