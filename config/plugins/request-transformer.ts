// request-transformer's configuration schema (Kong 3.x kong/plugins/request-transformer/schema.lua:
// same fields, defaults and entry formats). Plain data; imports only config/ code.
// Values may be Kong templates (`$(headers.x)`, `$(query_params['y'])`, `$(uri_captures[1])`,
// `$(shared.z)`); a template that needs Lua to render (`$(a or 'b')`, calls) is refused as not
// supported (SLUICE_ERR_UNSUPPORTED) rather than sent on as text.
import type { JSONSchema, PluginSchema } from '../plugin-schema.ts';
import { HEADER_ENTRY, HEADER_RENAME_ENTRY, HEADER_VALUE_ENTRY, KEY_VALUE_ENTRY, stringArray, TEMPLATES_ONLY } from './transformer-fields.ts';

export interface Lists {
  body: string[];
  headers: string[];
  querystring: string[];
}

export interface Config {
  /** The method sent upstream (upper-case letters), or null to keep the client's. */
  http_method: string | null;
  remove: Lists;
  rename: Lists;
  replace: Lists & { uri: string | null };
  add: Lists;
  append: Lists;
}

const templated = (entry: JSONSchema): JSONSchema => stringArray({ ...entry, ...TEMPLATES_ONLY });

function lists(headers: JSONSchema, values: JSONSchema, extra: Record<string, JSONSchema> = {}): JSONSchema {
  return {
    type: 'object',
    default: {},
    properties: { body: templated(values), headers: templated(headers), querystring: templated(values), ...extra },
  };
}

export const schema: PluginSchema = {
  name: 'request-transformer',
  priority: 801,
  protocols: ['grpc', 'grpcs', 'http', 'https', 'ws', 'wss'],
  config: {
    type: 'object',
    properties: {
      http_method: { type: ['string', 'null'], pattern: '^[A-Z]+$', 'x-message': 'invalid method: expected upper-case letters only', default: null },
      remove: {
        type: 'object',
        default: {},
        properties: { body: stringArray(), headers: stringArray(HEADER_ENTRY), querystring: stringArray() },
      },
      rename: lists(HEADER_RENAME_ENTRY, KEY_VALUE_ENTRY),
      replace: lists(HEADER_VALUE_ENTRY, KEY_VALUE_ENTRY, { uri: { type: ['string', 'null'], default: null, ...TEMPLATES_ONLY } }),
      add: lists(HEADER_VALUE_ENTRY, KEY_VALUE_ENTRY),
      append: lists(HEADER_VALUE_ENTRY, KEY_VALUE_ENTRY),
    },
  },
};
