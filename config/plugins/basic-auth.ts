// basic-auth's configuration schema (Kong 3.x kong/plugins/basic-auth/schema.lua: same fields and
// defaults). Plain data, readable without loading the handler; imports only config/ types.
import type { PluginSchema } from '../plugin-schema.ts';

export interface Config {
  /** Consumer id or username to use when authentication fails; null fails the request (401). */
  anonymous: string | null;
  /** Remove the Authorization (or Proxy-Authorization) header before proxying. */
  hide_credentials: boolean;
  /** `WWW-Authenticate: Basic realm="<realm>"` on failure. */
  realm: string;
}

export const schema: PluginSchema = {
  name: 'basic-auth',
  priority: 1100,
  // An authentication plugin identifies the consumer: it cannot be scoped to one.
  no_consumer: true,
  protocols: ['grpc', 'grpcs', 'http', 'https', 'ws', 'wss'],
  config: {
    type: 'object',
    properties: {
      anonymous: { type: ['string', 'null'], minLength: 1, default: null },
      hide_credentials: { type: 'boolean', default: false },
      realm: { type: 'string', default: 'service' },
    },
  },
};
