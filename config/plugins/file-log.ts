// file-log's configuration schema (Kong 3.x kong/plugins/file-log/schema.lua: same fields,
// defaults and path rule). Plain data; imports only config/.
import type { PluginSchema } from '../plugin-schema.ts';
import { LUA_CODE } from './logging-fields.ts';

export interface Config {
  path: string;
  reopen: boolean;
  custom_fields_by_lua: null;
}

export const schema: PluginSchema = {
  name: 'file-log',
  priority: 9,
  protocols: ['grpc', 'grpcs', 'http', 'https', 'tcp', 'tls', 'tls_passthrough', 'udp', 'ws', 'wss'],
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
