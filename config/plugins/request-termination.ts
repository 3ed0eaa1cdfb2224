// request-termination's configuration schema (Kong 3.x kong/plugins/request-termination/schema.lua:
// same fields, defaults and checks). Plain data; imports only config/ types.
import type { PluginSchema } from '../plugin-schema.ts';

export interface Config {
  status_code: number;
  /** JSON `{"message": ...}` body; exclusive with body/content_type. */
  message: string | null;
  /** Raw body, sent with content_type. */
  body: string | null;
  content_type: string | null;
  /** Reflect the request back in the response (debugging). */
  echo: boolean;
  /** Terminate only when this header or query argument is present. */
  trigger: string | null;
}

export const schema: PluginSchema = {
  name: 'request-termination',
  priority: 2,
  protocols: ['grpc', 'grpcs', 'http', 'https'],
  config: {
    type: 'object',
    properties: {
      status_code: { type: 'integer', minimum: 100, maximum: 599, default: 503 },
      message: { type: ['string', 'null'], default: null },
      content_type: { type: ['string', 'null'], default: null },
      body: { type: ['string', 'null'], default: null },
      echo: { type: 'boolean', default: false },
      trigger: { type: ['string', 'null'], pattern: "^[A-Za-z0-9!#$%&'*+.^_`|~-]+$", default: null },
    },
  },
  checks: [
    {
      conditional: {
        if_field: 'message',
        if_match: { present: true },
        then_field: 'content_type',
        then_match: { present: false },
        then_err: 'message cannot be used with content_type or body',
      },
    },
    {
      conditional: {
        if_field: 'message',
        if_match: { present: true },
        then_field: 'body',
        then_match: { present: false },
        then_err: 'message cannot be used with content_type or body',
      },
    },
    {
      conditional: {
        if_field: 'content_type',
        if_match: { present: true },
        then_field: 'body',
        then_match: { present: true },
        then_err: 'content_type requires a body',
      },
    },
    {
      conditional: {
        if_field: 'echo',
        if_match: { one_of: [true] },
        then_field: 'body',
        then_match: { present: false },
        then_err: 'echo cannot be used with content_type and body',
      },
    },
  ],
};
