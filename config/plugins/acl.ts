// acl's configuration schema (Kong 3.x kong/plugins/acl/schema.lua: same fields, defaults and
// entity checks). Plain data; imports only config/ types.
import type { PluginSchema } from '../plugin-schema.ts';

export interface Config {
  /** Groups allowed; exactly one of `allow` and `deny` is non-empty. */
  allow: string[] | null;
  /** Groups denied. */
  deny: string[] | null;
  /** Do not send X-Consumer-Groups (or X-Authenticated-Groups) upstream. */
  hide_groups_header: boolean;
  /** Prefer groups set by an authenticating plugin (`ctx.shared.authenticated_groups`) even when a consumer is known. */
  always_use_authenticated_groups: boolean;
}

const GROUPS = { type: ['array', 'null'], items: { type: 'string' }, default: null };

export const schema: PluginSchema = {
  name: 'acl',
  priority: 950,
  no_consumer: true,
  protocols: ['grpc', 'grpcs', 'http', 'https', 'ws', 'wss'],
  config: {
    type: 'object',
    properties: {
      allow: GROUPS,
      deny: GROUPS,
      hide_groups_header: { type: 'boolean', default: false },
      always_use_authenticated_groups: { type: 'boolean', default: false },
    },
  },
  checks: [
    { at_least_one_of: ['allow', 'deny'] },
    {
      conditional: {
        if_field: 'allow',
        if_match: { present: true },
        then_field: 'deny',
        then_match: { present: false },
        then_err: "only one of these fields must be non-empty: 'config.allow', 'config.deny'",
      },
    },
  ],
};
