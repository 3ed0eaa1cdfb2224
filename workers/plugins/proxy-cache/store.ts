// One proxy-cache config's stored answers on one worker (worker thread): an LRU bounded in bytes,
// each entry dropped by a timer on the worker's wheel when its storage TTL ends (Kong's shm set
// with a TTL), so an expired entry frees its memory without waiting to be looked up again.
// Map order is the recency order: a hit moves its entry to the end, eviction takes from the front.
import type { TimerHandle, TimerWheel } from '../../timers/wheel.ts';

export interface CachedAnswer {
  readonly status: number;
  /** Response headers to replay, flat [name, value, ...], lower-case names. */
  readonly headers: readonly string[];
  readonly body: Buffer;
  /** Seconds since the epoch when it was stored (Kong's `timestamp`). */
  readonly timestamp: number;
  /** Freshness in seconds (cache_ttl, or from Cache-Control with cache_control). */
  readonly ttl: number;
}

interface Entry {
  answer: CachedAnswer;
  bytes: number;
  timer: TimerHandle;
}

/** Estimated bytes of an entry: body, headers, key, and a fixed overhead for the objects around them. */
function sizeOf(key: string, answer: CachedAnswer): number {
  let bytes = 256 + key.length + answer.body.length;
  for (const part of answer.headers) bytes += part.length + 16;
  return bytes;
}

export class AnswerStore {
  readonly #entries = new Map<string, Entry>();
  readonly #wheel: TimerWheel;
  readonly maxBytes: number;
  bytes = 0;
  evictions = 0;
  expirations = 0;

  constructor(wheel: TimerWheel, maxBytes: number) {
    this.#wheel = wheel;
    this.maxBytes = maxBytes;
  }

  get size(): number {
    return this.#entries.size;
  }

  get(key: string): CachedAnswer | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    return entry.answer;
  }

  /** Stores for `storageTtl` seconds; false when the answer alone is larger than a quarter of the store. */
  set(key: string, answer: CachedAnswer, storageTtl: number): boolean {
    const bytes = sizeOf(key, answer);
    if (bytes > this.maxBytes / 4) return false;
    this.delete(key);
    while (this.bytes + bytes > this.maxBytes) {
      const oldest = this.#entries.keys().next();
      if (oldest.done === true) break;
      this.delete(oldest.value);
      this.evictions++;
    }
    const timer = this.#wheel.schedule('proxy-cache-expiry', Math.max(1, storageTtl * 1000), expire, { store: this, key });
    this.#entries.set(key, { answer, bytes, timer });
    this.bytes += bytes;
    return true;
  }

  delete(key: string): boolean {
    const entry = this.#entries.get(key);
    if (entry === undefined) return false;
    this.#entries.delete(key);
    this.bytes -= entry.bytes;
    this.#wheel.cancel(entry.timer);
    return true;
  }

  /** Drops everything (the instance is closed). */
  clear(): void {
    for (const entry of this.#entries.values()) this.#wheel.cancel(entry.timer);
    this.#entries.clear();
    this.bytes = 0;
  }

  /** The storage TTL ran out: the entry goes (unless it was replaced since, with its own timer). */
  expired(key: string, handle: TimerHandle): void {
    const entry = this.#entries.get(key);
    if (entry === undefined || entry.timer !== handle) return;
    this.#entries.delete(key);
    this.bytes -= entry.bytes;
    this.expirations++;
  }
}

function expire(arg: { store: AnswerStore; key: string }, handle: TimerHandle): void {
  arg.store.expired(arg.key, handle);
}
