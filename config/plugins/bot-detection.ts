// bot-detection's configuration schema (Kong 3.x kong/plugins/bot-detection/schema.lua: same
// fields and defaults). Plain data; imports only config/ types.
import type { PluginSchema } from '../plugin-schema.ts';

export interface Config {
  /** User-Agent regexes let through even when a bot rule or `deny` matches. */
  allow: string[];
  /** User-Agent regexes refused (403). */
  deny: string[];
}

const regexes = { type: 'array', default: [], items: { type: 'string', 'x-regex': 'pattern' } };

export const schema: PluginSchema = {
  name: 'bot-detection',
  priority: 2500,
  no_consumer: true,
  protocols: ['grpc', 'grpcs', 'http', 'https', 'ws', 'wss'],
  config: {
    type: 'object',
    properties: { allow: regexes, deny: regexes },
  },
};
