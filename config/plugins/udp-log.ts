// udp-log's configuration schema (Kong 3.x kong/plugins/udp-log/schema.lua: same fields and
// defaults). Plain data; imports only config/.
import type { PluginSchema } from '../plugin-schema.ts';
import { PLUGIN_PROTOCOLS } from '../schemas/plugins.ts';
import { HOST, LUA_CODE, PORT } from './logging-fields.ts';

export interface Config {
  host: string;
  port: number;
  /** Kong: the cosocket timeout. A UDP send does not wait for its receiver, so nothing to bound. */
  timeout: number;
  custom_fields_by_lua: null;
}

export const schema: PluginSchema = {
  name: 'udp-log',
  priority: 8,
  protocols: PLUGIN_PROTOCOLS,
  config: {
    type: 'object',
    required: ['host', 'port'],
    properties: {
      host: HOST,
      port: PORT,
      timeout: { type: 'number', minimum: 0, default: 10000 },
      custom_fields_by_lua: LUA_CODE,
    },
  },
};
