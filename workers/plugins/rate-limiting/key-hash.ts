// Runs on a worker thread: the 64-bit hash that names a counter in the shared table (two int32
// halves). Every worker runs this same code, so one key hashes alike on all of them. Two 32-bit
// multiply-xor lanes with a final cross-mix (the cyrb53 construction, kept to 64 bits): fast on
// short strings, and a collision (two keys sharing a counter) needs ~2^32 live keys in one window.

export class KeyHash {
  hi = 0;
  lo = 0;

  /** Hashes `text` continuing from `seed` (a previous KeyHash, e.g. of the plugin id); result in hi/lo. */
  update(seed: KeyHash | null, text: string): void {
    let h1 = seed === null ? 0xdeadbeef : seed.hi;
    let h2 = seed === null ? 0x41c6ce57 : seed.lo;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, 2654435761);
      h2 = Math.imul(h2 ^ c, 1597334677);
    }
    h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
    h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
    h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
    h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
    this.hi = h1 | 0;
    this.lo = h2 | 0;
  }
}
