// hmac-auth's configuration schema (Kong 3.x kong/plugins/hmac-auth/schema.lua: same fields and
// defaults). Plain data, readable without loading the handler; imports only config/ types.
import type { PluginSchema } from '../plugin-schema.ts';

export const HMAC_ALGORITHMS = ['hmac-sha1', 'hmac-sha256', 'hmac-sha384', 'hmac-sha512'] as const;

export interface Config {
  /** Remove the Authorization (or Proxy-Authorization) header before proxying. */
  hide_credentials: boolean;
  /** Seconds a request's Date / X-Date may differ from the gateway's clock. */
  clock_skew: number;
  anonymous: string | null;
  /** Check the `Digest: SHA-256=<base64>` header against the request body. */
  validate_request_body: boolean;
  /** Headers that must be among the signed ones. */
  enforce_headers: string[];
  /** Algorithms a client may sign with. */
  algorithms: (typeof HMAC_ALGORITHMS)[number][];
  realm: string | null;
}

export const schema: PluginSchema = {
  name: 'hmac-auth',
  priority: 1030,
  no_consumer: true,
  protocols: ['grpc', 'grpcs', 'http', 'https', 'ws', 'wss'],
  config: {
    type: 'object',
    properties: {
      hide_credentials: { type: 'boolean', default: false },
      clock_skew: { type: 'number', exclusiveMinimum: 0, default: 300 },
      anonymous: { type: ['string', 'null'], minLength: 1, default: null },
      validate_request_body: { type: 'boolean', default: false },
      enforce_headers: { type: 'array', items: { type: 'string' }, default: [] },
      algorithms: { type: 'array', items: { type: 'string', enum: [...HMAC_ALGORITHMS] }, default: [...HMAC_ALGORITHMS] },
      realm: { type: ['string', 'null'], default: null },
    },
  },
};
