// Keep-alive connection pools to upstream peers (worker thread): one undici Pool per origin and
// connect timeout, made on first use and reused by every request of this worker. Pools a new config
// no longer names are closed once their in-flight requests are done (undici's `close` waits).
import { Pool } from 'undici';
import type { Service } from '../../config/types.ts';

/** Where a service without an upstream entity sends: worked out once per Service object. */
export interface DirectTarget {
  readonly protocol: string;
  readonly host: string;
  readonly port: number;
  readonly connectTimeout: number;
  /** The upstream request's Host header (the port left out when it is the scheme's default). */
  readonly hostHeader: string;
  readonly pool: Pool;
}

/** Kong keeps idle upstream connections 60 s (upstream_keepalive_idle_timeout). */
const KEEPALIVE_MS = 60_000;

export class Dispatchers {
  readonly #pools = new Map<string, Pool>();
  readonly #direct = new WeakMap<Service, DirectTarget>();

  /**
   * The pool and Host header of a plain service, cached per Service object so the request path
   * builds no origin string and no pool key. Checked against the fields it was made from, and
   * remade once its pool was closed by `retain`.
   */
  direct(service: Service): DirectTarget {
    const target = this.#direct.get(service);
    if (
      target !== undefined &&
      !target.pool.closed &&
      !target.pool.destroyed &&
      target.port === service.port &&
      target.host === service.host &&
      target.protocol === service.protocol &&
      target.connectTimeout === service.connect_timeout
    ) {
      return target;
    }
    const { protocol, host, port } = service;
    const made: DirectTarget = {
      protocol,
      host,
      port,
      connectTimeout: service.connect_timeout,
      hostHeader: hostHeader(host, port, protocol),
      pool: this.get(`${protocol}://${host}:${port}`, service.connect_timeout),
    };
    this.#direct.set(service, made);
    return made;
  }

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

export function hostHeader(host: string, port: number, protocol: string): string {
  return (protocol === 'https' && port === 443) || (protocol === 'http' && port === 80) ? host : `${host}:${port}`;
}
