// A group's `[id, hash]` pairs sorted by id, kept as their JSON text in chunks, so that its group
// hash (hash.ts groupHash: sha256 of exactly that JSON text) after a few changes re-encodes only
// the chunks they touch. Pure; runs on any thread (the config thread's preparer keeps one per
// group it changed: config/incremental.ts). At 10,000 routes, writing all pairs as JSON took
// 6 ms of a one-route change and the sha256 over them under 1 ms.
import { createHash } from 'node:crypto';

/** Pairs per chunk: a chunk is split past twice this. */
const CHUNK = 256;

interface Chunk {
  ids: string[];
  hashes: string[];
  /** JSON text of the chunk's pairs without the enclosing brackets; null once changed. */
  text: string | null;
}

export class SortedPairs {
  #chunks: Chunk[] = [];

  /** From ids sorted in code-unit order (as groupHash sorts them) and their hashes. */
  constructor(sorted: readonly string[], hashes: Readonly<Record<string, string>>) {
    for (let i = 0; i < sorted.length; i += CHUNK) {
      const ids = sorted.slice(i, i + CHUNK);
      this.#chunks.push({ ids, hashes: ids.map((id) => hashes[id] as string), text: null });
    }
  }

  /** Adds the pair, or replaces the hash of `id`. */
  set(id: string, hash: string): void {
    if (this.#chunks.length === 0) this.#chunks.push({ ids: [], hashes: [], text: null });
    const c = this.#chunkFor(id);
    const chunk = this.#chunks[c] as Chunk;
    const at = lowerBound(chunk.ids, id);
    if (chunk.ids[at] === id) {
      chunk.hashes[at] = hash;
    } else {
      chunk.ids.splice(at, 0, id);
      chunk.hashes.splice(at, 0, hash);
      if (chunk.ids.length > 2 * CHUNK) {
        const half = chunk.ids.length >> 1;
        this.#chunks.splice(c + 1, 0, { ids: chunk.ids.splice(half), hashes: chunk.hashes.splice(half), text: null });
      }
    }
    chunk.text = null;
  }

  delete(id: string): void {
    if (this.#chunks.length === 0) return;
    const c = this.#chunkFor(id);
    const chunk = this.#chunks[c] as Chunk;
    const at = lowerBound(chunk.ids, id);
    if (chunk.ids[at] !== id) return;
    chunk.ids.splice(at, 1);
    chunk.hashes.splice(at, 1);
    chunk.text = null;
    if (chunk.ids.length === 0 && this.#chunks.length > 1) this.#chunks.splice(c, 1);
  }

  /** groupHash of the pairs held: sha256 hex of `[["id","hash"],...]`. */
  digest(): string {
    const h = createHash('sha256');
    h.update('[');
    let first = true;
    for (const chunk of this.#chunks) {
      if (chunk.ids.length === 0) continue;
      if (chunk.text === null) {
        const pairs = new Array<[string, string]>(chunk.ids.length);
        for (let i = 0; i < pairs.length; i++) pairs[i] = [chunk.ids[i] as string, chunk.hashes[i] as string];
        chunk.text = JSON.stringify(pairs).slice(1, -1);
      }
      if (!first) h.update(',');
      h.update(chunk.text);
      first = false;
    }
    h.update(']');
    return h.digest('hex');
  }

  /** The chunk whose range holds `id`: the last whose first id is not after it (or the first). */
  #chunkFor(id: string): number {
    let lo = 0;
    let hi = this.#chunks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      const first = (this.#chunks[mid] as Chunk).ids[0];
      if (first !== undefined && first <= id) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
}

function lowerBound(ids: readonly string[], id: string): number {
  let lo = 0;
  let hi = ids.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((ids[mid] as string) < id) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
