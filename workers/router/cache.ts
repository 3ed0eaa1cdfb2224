// Bounded cache of recent routing decisions (worker thread, hot path).
// Two generations approximate LRU at O(1) with no bookkeeping on a hit: writes go to `young`; when it is
// full, `old` is dropped whole and `young` becomes `old`; a hit in `old` is copied back into `young`.
// A key read at least once per generation survives; at most 2 × capacity keys are held.
// A router owns one cache and a rebuild makes a new router, so invalidation is dropping the old one.

export class TwoGenerationCache<V> {
  readonly #capacity: number;
  #young = new Map<string, V>();
  #old = new Map<string, V>();

  constructor(capacity: number) {
    this.#capacity = capacity;
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
    this.#young.set(key, value);
    if (this.#young.size >= this.#capacity) {
      this.#old = this.#young;
      this.#young = new Map();
    }
  }

  get size(): number {
    return this.#young.size + this.#old.size;
  }
}
