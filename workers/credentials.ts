// Runs on a worker thread: consumers and their credentials, indexed for O(1) lookups on the
// request path (key-auth keys, basic-auth and hmac-auth usernames, jwt keys, anonymous consumers, ACL groups). Built from a snapshot's
// `consumers` and `credentials` groups, and rebuilt only when one of those two groups changed
// (ARCHITECTURE.md, "Rebuild gating"). Immutable once built: requests may hold one across a swap.
import type { Consumer, Credential, Entities } from '../config/types.ts';

/** A credential together with the consumer it belongs to. */
export interface CredentialMatch {
  readonly credential: Credential;
  readonly consumer: Consumer;
}

const NO_GROUPS: readonly string[] = Object.freeze([]);

export class CredentialsIndex {
  /** For a worker that has no config yet, and for tests. */
  static readonly EMPTY = new CredentialsIndex({}, {});

  readonly #consumersById = new Map<string, Consumer>();
  readonly #consumersByUsername = new Map<string, Consumer>();
  readonly #consumersByCustomId = new Map<string, Consumer>();
  readonly #keyAuth = new Map<string, CredentialMatch>();
  readonly #basicAuth = new Map<string, CredentialMatch>();
  readonly #jwt = new Map<string, CredentialMatch>();
  readonly #hmacAuth = new Map<string, CredentialMatch>();
  readonly #aclGroups = new Map<string, string[]>();

  constructor(consumers: Entities['consumers'], credentials: Entities['credentials']) {
    for (const id in consumers) {
      const consumer = consumers[id]!;
      this.#consumersById.set(consumer.id, consumer);
      // The config layer enforces uniqueness; should two still collide, the first one wins so
      // the answer does not depend on the order of a later, unrelated edit.
      if (consumer.username !== null && !this.#consumersByUsername.has(consumer.username)) this.#consumersByUsername.set(consumer.username, consumer);
      if (consumer.custom_id !== null && !this.#consumersByCustomId.has(consumer.custom_id)) this.#consumersByCustomId.set(consumer.custom_id, consumer);
    }
    for (const id in credentials) {
      const credential = credentials[id]!;
      const consumer = this.#consumersById.get(credential.consumer.id);
      // A credential of a consumer that does not exist authenticates nobody.
      if (consumer === undefined) continue;
      switch (credential.kind) {
        case 'keyauth_credentials':
          addOnce(this.#keyAuth, credential.key, credential, consumer);
          break;
        case 'basicauth_credentials':
          addOnce(this.#basicAuth, credential.username, credential, consumer);
          break;
        case 'jwt_secrets':
          addOnce(this.#jwt, credential.key, credential, consumer);
          break;
        case 'hmacauth_credentials':
          addOnce(this.#hmacAuth, credential.username, credential, consumer);
          break;
        case 'acls': {
          if (typeof credential.group !== 'string') break;
          const groups = this.#aclGroups.get(consumer.id);
          if (groups === undefined) this.#aclGroups.set(consumer.id, [credential.group]);
          else if (!groups.includes(credential.group)) groups.push(credential.group);
          break;
        }
      }
    }
  }

  get consumerCount(): number {
    return this.#consumersById.size;
  }

  /** The key-auth credential holding exactly this key, with its consumer, or null. */
  keyAuth(key: string): CredentialMatch | null {
    return this.#keyAuth.get(key) ?? null;
  }

  /** The basic-auth credential of this username, or null. */
  basicAuth(username: string): CredentialMatch | null {
    return this.#basicAuth.get(username) ?? null;
  }

  /** The JWT secret whose `key` (the token's `iss` claim by default) is this, or null. */
  jwtSecret(key: string): CredentialMatch | null {
    return this.#jwt.get(key) ?? null;
  }

  /** The hmac-auth credential of this username, or null. */
  hmacAuth(username: string): CredentialMatch | null {
    return this.#hmacAuth.get(username) ?? null;
  }

  consumerById(id: string): Consumer | null {
    return this.#consumersById.get(id) ?? null;
  }

  consumerByUsername(username: string): Consumer | null {
    return this.#consumersByUsername.get(username) ?? null;
  }

  consumerByCustomId(customId: string): Consumer | null {
    return this.#consumersByCustomId.get(customId) ?? null;
  }

  /** Kong's `load_consumer(value, search_by_username)`: by id first, then by username (plugins' `anonymous`). */
  consumerByIdOrUsername(value: string): Consumer | null {
    return this.#consumersById.get(value) ?? this.#consumersByUsername.get(value) ?? null;
  }

  /** ACL groups of a consumer, in config order; an empty frozen array when it has none. */
  aclGroups(consumerId: string): readonly string[] {
    return this.#aclGroups.get(consumerId) ?? NO_GROUPS;
  }
}

function addOnce(map: Map<string, CredentialMatch>, value: unknown, credential: Credential, consumer: Consumer): void {
  if (typeof value !== 'string' || map.has(value)) return;
  map.set(value, { credential, consumer });
}
