// Schemas of the credential kinds Sluice knows (Kong's per-plugin credential DAOs). Pure data; any thread.
// Kong generates a random `key`/`secret` when one is missing; so does Sluice (config/generated.ts),
// keyed so that the same file keeps its generated values across reloads of one running gateway.
import { LIMITS } from '../limits.ts';
import type { CredentialKind } from '../types.ts';
import { ID, TAGS, nullable, oneOf, record, unsupported } from './common.ts';
import type { EntitySchema } from './common.ts';

const SECRET = { type: 'string', minLength: 1, maxLength: LIMITS.secretLength };

export const JWT_ALGORITHMS = [
  'HS256', 'HS384', 'HS512',
  'RS256', 'RS384', 'RS512',
  'ES256', 'ES384', 'ES512',
  'PS256', 'PS384', 'PS512',
  'EdDSA',
] as const;

export const credentials: Record<CredentialKind, EntitySchema> = {
  keyauth_credentials: {
    // `key` may be left out: Kong generates one (config/generated.ts). `ttl` exists in DB mode only.
    schema: record({ id: ID, key: SECRET, tags: TAGS, ttl: unsupported }),
    dropped: ['ttl'],
  },
  basicauth_credentials: {
    schema: record(
      { id: ID, username: { type: 'string', minLength: 1, maxLength: LIMITS.nameLength }, password: SECRET, tags: TAGS },
      ['username', 'password'],
    ),
    dropped: [],
  },
  jwt_secrets: {
    schema: record(
      {
        id: ID,
        key: SECRET,
        secret: nullable(SECRET),
        algorithm: oneOf(JWT_ALGORITHMS, 'HS256'),
        rsa_public_key: nullable({ type: 'string', minLength: 1, maxLength: LIMITS.pemLength }),
        tags: TAGS,
      },
    ),
    dropped: [],
  },
  acls: {
    schema: record({ id: ID, group: { type: 'string', minLength: 1, maxLength: LIMITS.nameLength }, tags: TAGS }, ['group']),
    dropped: [],
  },
  hmacauth_credentials: {
    // Kong generates a missing `secret` (config/generated.ts).
    schema: record({ id: ID, username: { type: 'string', minLength: 1, maxLength: LIMITS.nameLength }, secret: SECRET, tags: TAGS }, ['username']),
    dropped: [],
  },
};
