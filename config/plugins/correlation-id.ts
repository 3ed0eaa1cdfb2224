// correlation-id's configuration schema (Kong 3.x kong/plugins/correlation-id/schema.lua: same
// fields and defaults). Plain data; imports only config/ types.
import type { PluginSchema } from '../plugin-schema.ts';

export interface Config {
  header_name: string;
  /** `uuid#counter`: one uuid per worker plus a counter (cheapest); `tracker`: nginx-style ids. */
  generator: 'uuid' | 'uuid#counter' | 'tracker';
  echo_downstream: boolean;
}

export const schema: PluginSchema = {
  name: 'correlation-id',
  // Runs before everything else, so every plugin (and log) sees the id.
  priority: 100001,
  config: {
    type: 'object',
    properties: {
      header_name: { type: 'string', minLength: 1, pattern: "^[A-Za-z0-9!#$%&'*+.^_`|~-]+$", default: 'Kong-Request-ID' },
      generator: { type: 'string', enum: ['uuid', 'uuid#counter', 'tracker'], default: 'uuid#counter' },
      echo_downstream: { type: 'boolean', default: false },
    },
  },
};
