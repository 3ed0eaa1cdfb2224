// Schema of a Kong 3.x target. Pure data; any thread.
// `target` is parsed and normalised to `host:port` in entity-checks.ts.
import { ID, TAGS, record } from './common.ts';
import type { EntitySchema } from './common.ts';

export const targets: EntitySchema = {
  schema: record(
    {
      id: ID,
      target: { type: 'string', minLength: 1, maxLength: 300 },
      weight: { type: 'integer', minimum: 0, maximum: 65535, default: 100 },
      tags: TAGS,
    },
    ['target'],
  ),
  dropped: [],
};
