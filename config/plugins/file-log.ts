// file-log's configuration schema (Kong 3.x kong/plugins/file-log/schema.lua: same fields,
// defaults and path rule). Plain data; imports only config/.
import type { PluginSchema } from '../plugin-schema.ts';
import { PLUGIN_PROTOCOLS } from '../schemas/plugins.ts';
import { LUA_CODE } from './logging-fields.ts';

export interface Config {
  path: string;
  reopen: boolean;
  custom_fields_by_lua: null;
}

export const schema: PluginSchema = {
  name: 'file-log',
  priority: 9,
  protocols: PLUGIN_PROTOCOLS,
  config: {
    type: 'object',
    required: ['path'],
    properties: {
      // Kong's pattern [[^[^%s*&%%\`][^*&%%\`]*[^%s*&%%\`]$]]: no *, &, %, \ or `, no space at either end.
      path: { type: 'string', pattern: '^[^\\s*&%\\\\`][^*&%\\\\`]*[^\\s*&%\\\\`]$', 'x-message': 'not a valid filename' },
      reopen: { type: 'boolean', default: false },
      custom_fields_by_lua: LUA_CODE,
    },
  },
};
