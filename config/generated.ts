// Values Kong generates when a declarative file leaves them out: a key-auth credential's `key`, a
// jwt secret's `key` and `secret`, an hmac-auth credential's `secret`. Pure; runs on any thread.
//
// Kong fills them with random strings. Sluice derives them with an HMAC of the entity's id under a
// secret the running gateway holds (PrepareOptions.generatorSecret): unguessable from the file, as
// Kong's are, yet the same on every reload of the same file while the gateway runs, so a reload
// that changed nothing keeps the config hash and every client keeps its key. A restart picks a new
// secret, as Kong DB-less generates new values on each start. Read them from the Admin API
// (`GET /consumers/{consumer}/key-auth`).
import { createHmac, randomBytes } from 'node:crypto';
import type { Item } from './item.ts';

/** Used when the caller passes no secret: fixed for the life of this thread. */
const THREAD_SECRET = randomBytes(32).toString('hex');

/** Fields generated per credential kind, when absent or null. */
const GENERATED: Partial<Record<string, readonly string[]>> = {
  keyauth_credentials: ['key'],
  jwt_secrets: ['key', 'secret'],
  hmacauth_credentials: ['secret'],
};

/** Fills generated fields in place; runs after ids are assigned (the values derive from them). */
export function fillGenerated(items: readonly Item[], secret: string = THREAD_SECRET): void {
  for (const item of items) {
    const fields = GENERATED[item.kind ?? ''];
    if (fields === undefined || !item.ok) continue;
    for (const field of fields) {
      const v = item.value[field];
      if (v !== undefined && v !== null) continue;
      // 32 hex characters, the length of Kong's random_string().
      item.generated.push(field);
      item.value[field] = createHmac('sha256', secret).update(`${item.type}\0${field}\0${item.id}`).digest('hex').slice(0, 32);
    }
  }
}
