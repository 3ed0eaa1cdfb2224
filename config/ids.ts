// Deterministic entity ids. Pure; runs on any thread.
// An entity written without an `id` gets a UUID v5 of the Sluice namespace and its natural key,
// so the same file always yields the same ids (and so the same hashes), on every load, on every
// machine, whether the entity was nested or written flat with a reference.
import { Buffer } from 'node:buffer';
import { hash } from 'node:crypto';
import { parse as parseUuid } from 'uuid';

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
  return uuidV5(JSON.stringify([entityType, ...key]));
}

// UUID v5 (RFC 9562 §5.5) of SLUICE_NAMESPACE, the same value as `uuid`'s v5(name, namespace).
// Done here because a config derives an id for nearly every entity (about 17,000 for 10,000
// routes) and `uuid` re-parses the namespace and re-encodes the name by hand on every call.
const NAMESPACE_BYTES = Buffer.from(parseUuid(SLUICE_NAMESPACE));
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

function uuidV5(name: string): string {
  // The name is JSON text, so it is well-formed UTF-16 (JSON.stringify escapes lone surrogates):
  // Buffer's UTF-8 is exactly the bytes `uuid` would hash.
  const b = hash('sha1', Buffer.concat([NAMESPACE_BYTES, Buffer.from(name, 'utf8')]), 'buffer');
  b[6] = (b[6]! & 0x0f) | 0x50; // version 5
  b[8] = (b[8]! & 0x3f) | 0x80; // RFC variant
  const h = (i: number): string => HEX[b[i]!]!;
  return `${h(0)}${h(1)}${h(2)}${h(3)}-${h(4)}${h(5)}-${h(6)}${h(7)}-${h(8)}${h(9)}-${h(10)}${h(11)}${h(12)}${h(13)}${h(14)}${h(15)}`;
}
