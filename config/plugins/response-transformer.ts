// response-transformer's configuration schema (Kong 3.x kong/plugins/response-transformer/schema.lua:
// same fields, defaults and entry formats). Plain data; imports only config/ code. Unlike
// request-transformer, Kong renders no templates here: values are sent as written.
import type { JSONSchema, PluginSchema } from '../plugin-schema.ts';
import { COLON_ENTRY, HEADER_RENAME_ENTRY, stringArray } from './transformer-fields.ts';

export type JsonType = 'boolean' | 'number' | 'string';

export interface Config {
  remove: { json: string[]; headers: string[] };
  rename: { json: string[]; headers: string[] };
  replace: { json: string[]; json_types: JsonType[]; headers: string[] };
  add: { json: string[]; json_types: JsonType[]; headers: string[] };
  append: { json: string[]; json_types: JsonType[]; headers: string[] };
}

const jsonTypes: JSONSchema = stringArray({ type: 'string', enum: ['boolean', 'number', 'string'] });

const colonRecord: JSONSchema = {
  type: 'object',
  default: {},
  properties: { json: stringArray(COLON_ENTRY), json_types: jsonTypes, headers: stringArray(COLON_ENTRY) },
};

export const schema: PluginSchema = {
  name: 'response-transformer',
  priority: 800,
  protocols: ['grpc', 'grpcs', 'http', 'https', 'ws', 'wss'],
  config: {
    type: 'object',
    properties: {
      remove: { type: 'object', default: {}, properties: { json: stringArray(), headers: stringArray() } },
      rename: { type: 'object', default: {}, properties: { json: stringArray(COLON_ENTRY), headers: stringArray(HEADER_RENAME_ENTRY) } },
      replace: colonRecord,
      add: colonRecord,
      append: colonRecord,
    },
  },
};
