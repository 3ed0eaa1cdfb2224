// Schemas of Kong 3.x `certificates`, `snis` and `ca_certificates`. Pure data; any thread.
// What PEM holds (parses, key matches, CA, dates) is checked in tls-checks.ts, where messages
// can be precise; nothing here ever quotes a key.
import { LIMITS } from '../limits.ts';
import { ID, TAGS, nullable, record } from './common.ts';
import type { EntitySchema, Schema } from './common.ts';

/** A PEM block (a chain may hold several certificates). */
const PEM: Schema = { type: 'string', minLength: 1, maxLength: LIMITS.pemLength * 4 };

export const certificates: EntitySchema = {
  schema: record(
    {
      id: ID,
      cert: PEM,
      key: PEM,
      cert_alt: nullable(PEM),
      key_alt: nullable(PEM),
      tags: TAGS,
    },
    ['cert', 'key'],
  ),
  dropped: [],
};

export const snis: EntitySchema = {
  schema: record(
    {
      id: ID,
      name: { type: 'string', minLength: 1, maxLength: LIMITS.hostLength },
      tags: TAGS,
    },
    ['name'],
  ),
  dropped: [],
};

export const caCertificates: EntitySchema = {
  schema: record(
    {
      id: ID,
      cert: PEM,
      // Kong computes it from `cert`; an export writes it. Recomputed either way (tls-checks.ts).
      cert_digest: nullable({ type: 'string', maxLength: 128 }),
      tags: TAGS,
    },
    ['cert'],
  ),
  dropped: [],
};
