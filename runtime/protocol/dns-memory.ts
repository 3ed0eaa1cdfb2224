// Layout and access protocol of the SharedArrayBuffer that carries DNS answers from the one thread
// that resolves (the health-check and DNS thread, workers/health/main.ts) to every worker and the
// primary. Both sides import this file. One writer; any number of readers; no lookups anywhere else.
//
// Layout: Int32 header [MAGIC, sequence, byte length, capacity, queries, failures, stale answers
// served, coalesced lookups], then the answers as UTF-8 JSON: { name: Address[] | null } (null: the
// name has no usable answer, Kong's DNS_ERROR). The sequence is a seqlock: odd while the writer is
// copying, bumped to even when done. A reader looks at the sequence (one Atomics.load, on its timer
// wheel, never per request), copies, then checks the sequence did not move.

const MAGIC = 0x53444e31; // "SDN1"
const HEADER_WORDS = 8;
const W_SEQ = 1;
const W_LENGTH = 2;
const W_CAPACITY = 3;
export const DNS_COUNTERS = { queries: 4, failures: 5, stale: 6, coalesced: 7 } as const;
export type DnsCounter = keyof typeof DNS_COUNTERS;

export interface DnsAddress {
  /** An IPv4 or IPv6 address (bare, no brackets). */
  ip: string;
  /** From an SRV record; null: the target's own port. */
  port: number | null;
  /** From an SRV record; null: the target's own weight. */
  weight: number | null;
}

export type DnsAnswers = Record<string, DnsAddress[] | null>;

export const DEFAULT_DNS_BYTES = 4 * 1024 * 1024;

export function createDnsMemory(capacityBytes: number = DEFAULT_DNS_BYTES): SharedArrayBuffer {
  const buffer = new SharedArrayBuffer(HEADER_WORDS * 4 + capacityBytes);
  const view = new Int32Array(buffer, 0, HEADER_WORDS);
  view[0] = MAGIC;
  view[W_CAPACITY] = capacityBytes;
  return buffer;
}

export class DnsMemory {
  readonly #header: Int32Array;
  readonly #bytes: Uint8Array;

  constructor(buffer: SharedArrayBuffer) {
    const header = new Int32Array(buffer, 0, HEADER_WORDS);
    if (header[0] !== MAGIC) throw new TypeError('not a DNS memory buffer (use createDnsMemory)');
    this.#header = header;
    this.#bytes = new Uint8Array(buffer, HEADER_WORDS * 4, header[W_CAPACITY]!);
  }

  get sequence(): number {
    return Atomics.load(this.#header, W_SEQ);
  }

  /** Writer only. False when the answers do not fit (the previous ones stay published). */
  publish(answers: DnsAnswers): boolean {
    const encoded = new TextEncoder().encode(JSON.stringify(answers));
    if (encoded.length > this.#bytes.length) return false;
    const header = this.#header;
    Atomics.add(header, W_SEQ, 1); // odd: being written
    this.#bytes.set(encoded);
    Atomics.store(header, W_LENGTH, encoded.length);
    Atomics.add(header, W_SEQ, 1); // even: done
    return true;
  }

  /** The published answers and the sequence they belong to; null when a write was in progress. */
  read(): { sequence: number; answers: DnsAnswers } | null {
    const header = this.#header;
    const before = Atomics.load(header, W_SEQ);
    if (before % 2 === 1) return null;
    const length = Atomics.load(header, W_LENGTH);
    // Copied out of shared memory first: TextDecoder does not take shared views.
    const copy = this.#bytes.slice(0, length);
    if (Atomics.load(header, W_SEQ) !== before) return null;
    return { sequence: before, answers: length === 0 ? {} : (JSON.parse(new TextDecoder().decode(copy)) as DnsAnswers) };
  }

  count(counter: DnsCounter, by = 1): void {
    Atomics.add(this.#header, DNS_COUNTERS[counter], by);
  }

  counter(counter: DnsCounter): number {
    return Atomics.load(this.#header, DNS_COUNTERS[counter]);
  }
}
