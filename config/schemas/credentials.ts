// Schemas of the credential kinds Sluice knows (Kong's per-plugin credential DAOs). Pure data; any thread.
// Kong generates a random `key`/`secret` when one is missing; Sluice requires them instead, since
// a random value would change on every load (and with it every hash).
import { LIMITS } from '../limits.ts';
import type { CredentialKind } from '../types.ts';
import { ID, TAGS, nullable, oneOf, record } from './common.ts';
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
    schema: record({ id: ID, key: SECRET, tags: TAGS }, ['key']),
    dropped: [],
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
      ['key'],
    ),
    dropped: [],
  },
  acls: {
    schema: record({ id: ID, group: { type: 'string', minLength: 1, maxLength: LIMITS.nameLength }, tags: TAGS }, ['group']),
    dropped: [],
  },
  hmacauth_credentials: {
    schema: record({ id: ID, username: { type: 'string', minLength: 1, maxLength: LIMITS.nameLength }, secret: SECRET, tags: TAGS }, ['username', 'secret']),
    dropped: [],
  },
};
