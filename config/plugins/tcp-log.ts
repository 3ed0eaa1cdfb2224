// tcp-log's configuration schema (Kong 3.x kong/plugins/tcp-log/schema.lua: same fields and
// defaults). Plain data; imports only config/.
import type { PluginSchema } from '../plugin-schema.ts';
import { PLUGIN_PROTOCOLS } from '../schemas/plugins.ts';
import { HOST, LUA_CODE, PORT } from './logging-fields.ts';

export interface Config {
  host: string;
  port: number;
  timeout: number;
  keepalive: number;
  tls: boolean;
  tls_sni: string | null;
  custom_fields_by_lua: null;
}

export const schema: PluginSchema = {
  name: 'tcp-log',
  priority: 7,
  protocols: PLUGIN_PROTOCOLS,
  config: {
    type: 'object',
    required: ['host', 'port'],
    properties: {
      host: HOST,
      port: PORT,
      timeout: { type: 'number', minimum: 0, default: 10000 },
      keepalive: { type: 'number', minimum: 0, default: 60000 },
      tls: { type: 'boolean', default: false },
      tls_sni: { type: ['string', 'null'], minLength: 1, default: null },
      custom_fields_by_lua: LUA_CODE,
    },
  },
};
