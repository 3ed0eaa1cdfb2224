// ip-restriction's configuration schema (Kong 3.x kong/plugins/ip-restriction/schema.lua: same
// fields, defaults and check). Plain data; imports only config/ types.
import type { PluginSchema } from '../plugin-schema.ts';
import { PLUGIN_PROTOCOLS } from '../schemas/plugins.ts';

export interface Config {
  /** IPv4/IPv6 addresses or CIDR ranges; when set, only these may pass. */
  allow: string[] | null;
  /** Addresses or ranges refused (checked before `allow`). */
  deny: string[] | null;
  /** Status of a refusal; null is Kong's 403. */
  status: number | null;
  /** Message of a refusal; null is Kong's "IP address not allowed: <ip>". */
  message: string | null;
}

const ipList = { type: ['array', 'null'], default: null, items: { type: 'string', 'x-ip-or-cidr': 'any' } };

export const schema: PluginSchema = {
  name: 'ip-restriction',
  priority: 990,
  // Kong's full protocol list (its default includes tcp and tls): a Kong export writes it out.
  protocols: PLUGIN_PROTOCOLS,
  config: {
    type: 'object',
    properties: {
      allow: ipList,
      deny: ipList,
      status: { type: ['number', 'null'], default: null },
      message: { type: ['string', 'null'], default: null },
    },
  },
  checks: [{ at_least_one_of: ['allow', 'deny'] }],
};
