// Bounded cache of recent routing decisions (worker thread, hot path).
// Two generations approximate LRU at O(1) with no bookkeeping on a hit: writes go to `young`; when it is
// full (by count or by bytes), `old` is dropped whole and `young` becomes `old`; a hit in `old` is copied
// back into `young`. A key read at least once per generation survives.
// Bounds: at most 2 × capacity keys, and at most `byteBudget` bytes as `sizeOf` estimates them — each
// generation holds at most half the budget, and an entry bigger than half is not kept.
// The router replaces its cache on every update, which is the invalidation.

export type SizeOf<V> = (key: string, value: V) => number;

export class TwoGenerationCache<V> {
  readonly #capacity: number;
  readonly #half: number;
  readonly #sizeOf: SizeOf<V>;
  #young = new Map<string, V>();
  #old = new Map<string, V>();
  #youngBytes = 0;
  #oldBytes = 0;

  constructor(capacity: number, byteBudget = Infinity, sizeOf: SizeOf<V> = () => 0) {
    this.#capacity = capacity;
    this.#half = byteBudget / 2;
    this.#sizeOf = sizeOf;
  }

  /** undefined on a miss (values themselves may be null: a cached "no route"). */
  get(key: string): V | undefined {
    const young = this.#young.get(key);
    if (young !== undefined) return young;
    const old = this.#old.get(key);
    if (old !== undefined) this.set(key, old);
    return old;
  }

  set(key: string, value: V): void {
    const bytes = this.#sizeOf(key, value);
    if (bytes > this.#half) return;
    const had = this.#young.get(key);
    if (had !== undefined) this.#youngBytes -= this.#sizeOf(key, had);
    else if (this.#young.size >= this.#capacity || this.#youngBytes + bytes > this.#half) this.#turn();
    this.#young.set(key, value);
    this.#youngBytes += bytes;
  }

  #turn(): void {
    this.#old = this.#young;
    this.#oldBytes = this.#youngBytes;
    this.#young = new Map();
    this.#youngBytes = 0;
  }

  get size(): number {
    return this.#young.size + this.#old.size;
  }

  /** Estimated bytes held, both generations (a key in both counts twice: it is held twice). */
  get bytes(): number {
    return this.#youngBytes + this.#oldBytes;
  }
}
