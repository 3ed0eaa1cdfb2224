// Schema of a Kong 3.x consumer. Pure data; any thread.
// "At least one of username and custom_id" is checked in entity-checks.ts.
import { LIMITS } from '../limits.ts';
import { ID, TAGS, nullable, record } from './common.ts';
import type { EntitySchema } from './common.ts';

const IDENT = { type: 'string', minLength: 1, maxLength: LIMITS.nameLength };

export const consumers: EntitySchema = {
  schema: record({
    id: ID,
    username: nullable(IDENT),
    custom_id: nullable(IDENT),
    tags: TAGS,
  }),
  dropped: [],
};
