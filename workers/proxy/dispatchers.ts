// Keep-alive connection pools to upstream peers (worker thread): one undici Pool per origin and
// connect timeout, made on first use and reused by every request of this worker. Pools a new config
// no longer names are closed once their in-flight requests are done (undici's `close` waits).
import { Pool } from 'undici';

/** Kong keeps idle upstream connections 60 s (upstream_keepalive_idle_timeout). */
const KEEPALIVE_MS = 60_000;

export class Dispatchers {
  readonly #pools = new Map<string, Pool>();

  get(origin: string, connectTimeout: number): Pool {
    const key = `${connectTimeout}|${origin}`;
    let pool = this.#pools.get(key);
    if (pool === undefined) {
      pool = new Pool(origin, {
        connect: { timeout: connectTimeout },
        keepAliveTimeout: KEEPALIVE_MS,
        keepAliveMaxTimeout: KEEPALIVE_MS,
        pipelining: 1,
      });
      this.#pools.set(key, pool);
    }
    return pool;
  }

  /** Closes pools whose origin is not in `keep` (origins still reachable in the new config). */
  retain(keep: ReadonlySet<string>): void {
    for (const [key, pool] of this.#pools) {
      if (keep.has(key.slice(key.indexOf('|') + 1))) continue;
      this.#pools.delete(key);
      void pool.close().catch(() => undefined);
    }
  }

  get size(): number {
    return this.#pools.size;
  }

  async close(): Promise<void> {
    const pools = [...this.#pools.values()];
    this.#pools.clear();
    await Promise.allSettled(pools.map((pool) => pool.close()));
  }
}
