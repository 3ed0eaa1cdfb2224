// jwt's configuration schema (Kong 3.x kong/plugins/jwt/schema.lua: same fields, defaults and
// entity check). Plain data; imports only config/ types.
import type { PluginSchema } from '../plugin-schema.ts';

export interface Config {
  /** Query arguments a token may come in. */
  uri_param_names: string[];
  /** Cookies a token may come in. */
  cookie_names: string[];
  /** Headers a `Bearer` token may come in (lower-cased on use). */
  header_names: string[];
  /** The claim (then header field) naming the jwt_secret's `key`. */
  key_claim_name: string;
  /** HS* secrets are stored base64-encoded. */
  secret_is_base64: boolean;
  /** Registered claims to check: `exp`, `nbf`. */
  claims_to_verify: ('exp' | 'nbf')[] | null;
  anonymous: string | null;
  run_on_preflight: boolean;
  /** Seconds; a token may not expire later than this from now (0: no limit; needs `exp` verified). */
  maximum_expiration: number;
  realm: string | null;
}

/** Kong's `set` of strings: no duplicates. */
const SET = { type: 'array', items: { type: 'string' }, uniqueItems: true };

export const schema: PluginSchema = {
  name: 'jwt',
  priority: 1450,
  no_consumer: true,
  protocols: ['grpc', 'grpcs', 'http', 'https', 'ws', 'wss'],
  config: {
    type: 'object',
    properties: {
      uri_param_names: { ...SET, default: ['jwt'] },
      cookie_names: { ...SET, default: [] },
      key_claim_name: { type: 'string', default: 'iss' },
      secret_is_base64: { type: 'boolean', default: false },
      claims_to_verify: { type: ['array', 'null'], items: { type: 'string', enum: ['exp', 'nbf'] }, uniqueItems: true, default: null },
      anonymous: { type: ['string', 'null'], minLength: 1, default: null },
      run_on_preflight: { type: 'boolean', default: true },
      maximum_expiration: { type: 'number', minimum: 0, maximum: 31536000, default: 0 },
      header_names: { ...SET, default: ['authorization'] },
      realm: { type: ['string', 'null'], default: null },
    },
  },
  checks: [
    {
      conditional: {
        if_field: 'maximum_expiration',
        if_match: { not_one_of: [0] },
        then_field: 'claims_to_verify',
        then_match: { contains: 'exp' },
      },
    },
  ],
};
