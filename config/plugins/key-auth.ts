// key-auth's configuration schema (Kong 3.x kong/plugins/key-auth/schema.lua: same fields and
// defaults). Plain data, readable without loading the handler; imports only config/ types.
import type { PluginSchema } from '../plugin-schema.ts';

export interface Config {
  /** Header / query / body names the key is looked up under, in order. */
  key_names: string[];
  hide_credentials: boolean;
  /** Consumer id or username to use when authentication fails; null fails the request (401). */
  anonymous: string | null;
  key_in_header: boolean;
  key_in_query: boolean;
  key_in_body: boolean;
  run_on_preflight: boolean;
  /** `WWW-Authenticate: Key realm="..."` on failure (Kong 3.7+). */
  realm: string | null;
}

export const schema: PluginSchema = {
  name: 'key-auth',
  priority: 1250,
  // An authentication plugin identifies the consumer: it cannot be scoped to one.
  no_consumer: true,
  protocols: ['grpc', 'grpcs', 'http', 'https', 'ws', 'wss'],
  config: {
    type: 'object',
    properties: {
      key_names: {
        type: 'array',
        minItems: 1,
        default: ['apikey'],
        items: { type: 'string', minLength: 1, maxLength: 256, pattern: '^[A-Za-z0-9_-]+$', 'x-message': 'bad key name: only [a-z], [A-Z], [0-9], _ and - are allowed' },
      },
      hide_credentials: { type: 'boolean', default: false },
      anonymous: { type: ['string', 'null'], minLength: 1, default: null },
      key_in_header: { type: 'boolean', default: true },
      key_in_query: { type: 'boolean', default: true },
      // Sluice streams request bodies to the upstream unread: a key in the body cannot be seen.
      key_in_body: { type: 'boolean', default: false, 'x-unsupported': [false] },
      run_on_preflight: { type: 'boolean', default: true },
      realm: { type: ['string', 'null'], default: null },
    },
  },
};
