// Keep-alive connection pools to upstream peers (worker thread): one undici Pool per origin and
// connect timeout, made on first use and reused by every request of this worker. Pools a new config
// no longer names are closed once their in-flight requests are done (undici's `close` waits).
// Connect timeouts run on the worker's timer wheel (undici's own connect timer is switched off).
import type { Socket } from 'node:net';
import { buildConnector, errors, Pool } from 'undici';
import type { Service } from '../../config/types.ts';
import type { TimerWheel } from '../timers/wheel.ts';

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
  /** The worker's wheel: connect timeouts here, read and write timeouts in upstream-timeouts.ts. */
  readonly wheel: TimerWheel;
  readonly #pools = new Map<string, Pool>();
  readonly #direct = new WeakMap<Service, DirectTarget>();

  constructor(wheel: TimerWheel) {
    this.wheel = wheel;
  }

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
        connect: wheelConnector(this.wheel, connectTimeout),
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

/** undici's `net.connect`-based connector returns the socket it opens (its types say void). */
type Connect = (options: buildConnector.Options, callback: buildConnector.Callback) => Socket;

/**
 * undici's connector without its timer, bounded by a wheel timer instead: one per connection
 * attempt, cancelled on connect or error. A timeout destroys the socket with undici's own
 * ConnectTimeoutError, so the request fails (and is retried) exactly as before.
 */
function wheelConnector(wheel: TimerWheel, timeoutMs: number): buildConnector.connector {
  const connect = buildConnector({ timeout: 0 }) as unknown as Connect;
  return (options, callback) => {
    let timer = 0;
    const socket = connect(options, (...args) => {
      if (timer !== 0) wheel.cancel(timer);
      timer = 0;
      callback(...args);
    });
    timer = wheel.schedule('upstream-connect-timeout', timeoutMs, (sock: Socket) => {
      timer = 0;
      sock.destroy(new errors.ConnectTimeoutError(`connect timeout (attempted address: ${options.hostname}:${options.port}, timeout: ${timeoutMs}ms)`));
    }, socket);
  };
}
