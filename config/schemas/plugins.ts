// Schema of a Kong 3.x plugin entity. Pure data; any thread.
// `config` is only required to be a record here: its content is checked against the plugin's own
// schema from the PluginSchemas registry (plugin-config.ts).
import { ID, NAME, TAGS, bool, nullable, oneOf, record, unsupported } from './common.ts';
import type { EntitySchema } from './common.ts';

/** Kong's `typedefs.protocols`. */
export const PLUGIN_PROTOCOLS = ['grpc', 'grpcs', 'http', 'https', 'tcp', 'tls', 'tls_passthrough', 'udp', 'ws', 'wss'];

export const plugins: EntitySchema = {
  schema: record(
    {
      id: ID,
      name: { type: 'string', minLength: 1, maxLength: 128 },
      instance_name: nullable(NAME),
      config: { type: 'object', default: {} },
      protocols: {
        type: 'array',
        minItems: 1,
        uniqueItems: true,
        items: oneOf(PLUGIN_PROTOCOLS),
        default: ['grpc', 'grpcs', 'http', 'https'],
      },
      enabled: bool(true),
      tags: TAGS,
      // Enterprise dynamic ordering and consumer groups.
      ordering: unsupported,
      consumer_group: unsupported,
    },
    ['name'],
  ),
  dropped: ['ordering', 'consumer_group'],
};
