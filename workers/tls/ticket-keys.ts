// Session ticket keys of the TLS listener (worker thread). The key of rotation period n is
// HKDF-SHA256(secret, salt = n): the primary draws the secret once at start and gives it to every
// worker, so all workers compute the same key for the same period without exchanging messages, and
// a ticket issued by one worker resumes on another (the kernel spreads connections over workers).
// A worker switches keys at each period boundary on its timer wheel (tls/listener.ts).
import { hkdfSync } from 'node:crypto';

/** OpenSSL's ticket key block: 16 bytes name, 16 HMAC secret, 16 AES key. */
export const TICKET_KEY_BYTES = 48;

/** The rotation period `now` falls in. */
export function ticketPeriod(now: number, rotationMs: number): number {
  return Math.floor(now / rotationMs);
}

/** ms from `now` to the start of the next period. */
export function untilNextPeriod(now: number, rotationMs: number): number {
  return (ticketPeriod(now, rotationMs) + 1) * rotationMs - now;
}

export function ticketKeys(secret: Uint8Array, period: number): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, Buffer.from(`sluice-ticket-period-${period}`), 'sluice session tickets', TICKET_KEY_BYTES));
}
