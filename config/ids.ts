// Deterministic entity ids. Pure; runs on any thread.
// An entity written without an `id` gets a UUID v5 of the Sluice namespace and its natural key,
// so the same file always yields the same ids (and so the same hashes), on every load, on every
// machine, whether the entity was nested or written flat with a reference.
import { parse as parseUuid, v5 } from 'uuid';

/** Fixed forever: changing it changes every generated id, and so every hash. */
export const SLUICE_NAMESPACE = 'd572caeb-6ffd-4426-9f5d-4bc04162f446';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID_RE.test(value);
}

/**
 * `entityType` is Kong's singular type (`route`, `keyauth_credential`); `key` its natural key
 * parts. JSON-encoding the parts keeps them unambiguous (`a:b` + `c` never equals `a` + `b:c`).
 */
export function deriveId(entityType: string, key: readonly (string | number)[]): string {
  const name = JSON.stringify([entityType, ...key]);
  let id = derived.get(name);
  if (id === undefined) {
    // Bounded: emptied when full, so many different configs never grow it past this.
    if (derived.size >= MAX_DERIVED) derived.clear();
    id = uuidV5(name);
    derived.set(name, id);
  }
  return id;
}

/**
 * Ids derived on this thread, by name: a SHA-1 per entity was about a twentieth of preparing a
 * config, and a config thread derives the same ids load after load.
 */
const derived = new Map<string, string>();
const MAX_DERIVED = 1 << 18;

// The namespace as bytes, parsed once: `uuid` re-parses a string namespace on every call, and a
// config derives an id for nearly every entity (about 17,000 for 10,000 routes).
const NAMESPACE_BYTES = parseUuid(SLUICE_NAMESPACE);

function uuidV5(name: string): string {
  return v5(name, NAMESPACE_BYTES);
}
