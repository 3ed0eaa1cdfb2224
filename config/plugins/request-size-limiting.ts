// request-size-limiting's configuration schema (Kong 3.x
// kong/plugins/request-size-limiting/schema.lua: same fields and defaults). Plain data.
import type { PluginSchema } from '../plugin-schema.ts';

export const SIZE_UNITS = ['megabytes', 'kilobytes', 'bytes'] as const;

/** Bytes per unit (Kong's unit_multiplication_factor: binary kilo and mega). */
export const UNIT_BYTES: Readonly<Record<(typeof SIZE_UNITS)[number], number>> = { megabytes: 1_048_576, kilobytes: 1024, bytes: 1 };

export interface Config {
  allowed_payload_size: number;
  size_unit: (typeof SIZE_UNITS)[number];
  /** Refuse (411) a request with neither a valid Content-Length nor a chunked body. */
  require_content_length: boolean;
}

export const schema: PluginSchema = {
  name: 'request-size-limiting',
  priority: 951,
  protocols: ['grpc', 'grpcs', 'http', 'https', 'ws', 'wss'],
  config: {
    type: 'object',
    properties: {
      allowed_payload_size: { type: 'integer', default: 128 },
      size_unit: { type: 'string', enum: [...SIZE_UNITS], default: 'megabytes' },
      require_content_length: { type: 'boolean', default: false },
    },
  },
};
