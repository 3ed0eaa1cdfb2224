// proxy-cache (worker thread), Kong 3.x's memory strategy: answers GET/HEAD (request_method) from
// a store of earlier upstream answers, keyed as Kong keys them (cache-key.ts).
//   access         not cacheable (method; with cache_control: no-store, no-cache, Authorization)
//                  → X-Cache-Status: Bypass. Else look up: a fresh entry is answered here (Hit,
//                  with Age); none → Miss (504 with `only-if-cached`); stale → Refresh. Freshness:
//                  age <= cache_ttl, or with cache_control the request's max-age, max-stale, min-fresh.
//   header_filter  a Miss/Refresh answer is stored if its status is in response_code, its
//                  Content-Type matches content_type exactly, and (cache_control) it is not
//                  private/no-store/no-cache and has a TTL > 0; else X-Cache-Status: Bypass.
//   body_filter    collects the stored answer's body as it streams to the client; stored once it
//                  ended (an answer cut short is not stored).
// Headers are shown per response_headers, or all with a `Kong-Debug` request header.
//
// Where entries live: one store per plugin config per worker (store.ts), not one shared by the
// process's workers — measured in bench/RESULTS.transform.md: a hit served from the worker's own
// Map costs microseconds, one fetched from a cache thread over a MessagePort costs a round trip and
// a copy of the body each time, which outweighs the extra misses (one per worker per key and TTL).
// Entries expire on the worker's timer wheel at their storage TTL (storage_ttl, else the freshness
// TTL), and the store is bounded in bytes (LRU eviction). The instance — and so its store —
// survives every reconfigure that does not change this plugin config.
// Kong's Admin API purge endpoints (/proxy-cache) are not served: the entries live in the workers.
import { schema, type Config } from '../../../config/plugins/proxy-cache.ts';
import type { RequestContext } from '../../proxy/context.ts';
import { definePlugin } from '../define.ts';
import type { PluginEnv, PluginInstance, UpstreamResponse } from '../types.ts';
import { ContentTypes, NO_DIRECTIVES, parseDirectives, resourceTtl, seconds, type Directives } from './cache-control.ts';
import { cacheKey, type KeyRules } from './cache-key.ts';
import { AnswerStore, type CachedAnswer } from './store.ts';

/** Bytes one proxy-cache config may hold on one worker; an answer over a quarter of it is not stored. */
export const STORE_BYTES = 64 * 1024 * 1024;
const MAX_TIMER_SECONDS = Math.floor((2 ** 31 - 1) / 1000);

/** Kong's hop-by-hop list for replayed answers (content-length too: it is written anew). */
const NOT_REPLAYED = new Set(['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailers', 'transfer-encoding', 'upgrade', 'content-length', 'age', 'x-cache-status', 'x-cache-key']);

/** One Miss/Refresh on its way to being stored. */
class Pending {
  readonly key: string;
  status = 0;
  headers: string[] | null = null;
  ttl = 0;
  chunks: Buffer[] = [];
  bytes = 0;

  constructor(key: string) {
    this.key = key;
  }
}

const nowSeconds = (): number => Math.floor(Date.now() / 1000);

class ProxyCache implements PluginInstance {
  readonly store: AnswerStore;
  readonly #config: Config;
  readonly #methods: ReadonlySet<string>;
  readonly #codes: ReadonlySet<number>;
  readonly #types: ContentTypes;
  readonly #rules: KeyRules;
  readonly #pending = new WeakMap<RequestContext, Pending>();

  constructor(config: Config, env: PluginEnv) {
    this.#config = config;
    this.#methods = new Set(config.request_method);
    this.#codes = new Set(config.response_code);
    this.#types = new ContentTypes(config.content_type);
    this.#rules = { varyQuery: config.vary_query_params, varyHeaders: config.vary_headers, ignoreUriCase: config.ignore_uri_case };
    this.store = new AnswerStore(env.wheel, STORE_BYTES);
  }

  #show(ctx: RequestContext, name: 'X-Cache-Status' | 'X-Cache-Key', value: string): void {
    if (this.#config.response_headers[name] || ctx.req.headers['kong-debug'] !== undefined) ctx.addResponseHeader(name, value);
  }

  access(ctx: RequestContext): void {
    const config = this.#config;
    const req = ctx.req;
    const cc = config.cache_control ? parseDirectives(req.headers['cache-control']) : NO_DIRECTIVES;
    if (!this.#methods.has(req.method) || (config.cache_control && (cc['no-store'] !== undefined || cc['no-cache'] !== undefined || req.headers.authorization !== undefined))) {
      return this.#show(ctx, 'X-Cache-Status', 'Bypass');
    }
    const key = cacheKey(ctx, this.#rules);
    this.#show(ctx, 'X-Cache-Key', key);
    const hit = this.store.get(key);
    if (hit === undefined) {
      // RFC 9111 §5.2.1.7: the client wants a stored answer or nothing.
      if (config.cache_control && cc['only-if-cached'] !== undefined) return ctx.exit(504, null);
      return this.#expect(ctx, key, 'Miss');
    }
    const age = nowSeconds() - hit.timestamp;
    if (config.cache_control ? stale(cc, age, hit.ttl) : age > config.cache_ttl) return this.#expect(ctx, key, 'Refresh');
    ctx.shared['proxy_cache_hit'] = { res: { status: hit.status, body_len: hit.body.length, timestamp: hit.timestamp, ttl: hit.ttl } };
    this.#serve(ctx, hit, key, age);
  }

  #expect(ctx: RequestContext, key: string, status: 'Miss' | 'Refresh'): void {
    this.#pending.set(ctx, new Pending(key));
    this.#show(ctx, 'X-Cache-Status', status);
  }

  /**
   * The stored answer, as Kong's exit with it: its headers minus hop-by-hop ones, then Age and ours.
   * Through ctx.exit, so the route's other header_filter/body_filter plugins see it as in Kong.
   */
  #serve(ctx: RequestContext, hit: CachedAnswer, key: string, age: number): void {
    const config = this.#config;
    const debug = ctx.req.headers['kong-debug'] !== undefined;
    const replayed: Record<string, string | string[]> = {};
    const stored = hit.headers;
    for (let i = 0; i < stored.length; i += 2) {
      const name = stored[i]!;
      if (NOT_REPLAYED.has(name) || name.includes('ratelimit-remaining')) continue;
      // A repeated header (set-cookie) was stored as consecutive lines: replayed as a list.
      const seen = replayed[name];
      if (seen === undefined) replayed[name] = stored[i + 1]!;
      else if (typeof seen === 'string') replayed[name] = [seen, stored[i + 1]!];
      else seen.push(stored[i + 1]!);
    }
    if (config.response_headers.age || debug) replayed['age'] = String(age);
    if (config.response_headers['X-Cache-Status'] || debug) replayed['X-Cache-Status'] = 'Hit';
    if (config.response_headers['X-Cache-Key'] || debug) replayed['X-Cache-Key'] = key;
    ctx.exit(hit.status, hit.body, replayed);
  }

  headerFilter(ctx: RequestContext, upstream: UpstreamResponse): void {
    const pending = this.#pending.get(ctx);
    if (pending === undefined) return;
    const config = this.#config;
    const headers = upstream.headers;
    const cc = config.cache_control ? parseDirectives(headers['cache-control']) : NO_DIRECTIVES;
    const ttl = config.cache_control ? resourceTtl(cc, headers.expires, nowSeconds()) : config.cache_ttl;
    const cacheable =
      this.#codes.has(upstream.statusCode) &&
      this.#types.matches(headers['content-type']) &&
      !(config.cache_control && (cc['private'] !== undefined || cc['no-store'] !== undefined || cc['no-cache'] !== undefined || ttl <= 0));
    if (!cacheable) {
      this.#pending.delete(ctx);
      this.#show(ctx, 'X-Cache-Status', 'Bypass');
      return;
    }
    const flat: string[] = [];
    for (const name in headers) {
      const value = headers[name];
      if (value === undefined) continue;
      if (typeof value === 'string') flat.push(name, value);
      else for (const v of value) flat.push(name, v);
    }
    pending.status = upstream.statusCode;
    pending.headers = flat;
    pending.ttl = ttl;
  }

  bodyFilter(ctx: RequestContext, chunk: Buffer, last: boolean): Buffer {
    const pending = this.#pending.get(ctx);
    if (pending === undefined || pending.headers === null) return chunk;
    if (chunk.length > 0) {
      pending.bytes += chunk.length;
      // Past what the store would take: stop collecting rather than hold it to the end.
      if (pending.bytes > this.store.maxBytes / 4) {
        this.#pending.delete(ctx);
        return chunk;
      }
      pending.chunks.push(chunk);
    }
    if (last) {
      this.#pending.delete(ctx);
      const config = this.#config;
      const answer: CachedAnswer = { status: pending.status, headers: pending.headers, body: Buffer.concat(pending.chunks, pending.bytes), timestamp: nowSeconds(), ttl: pending.ttl };
      const storageTtl = config.storage_ttl ?? (config.cache_control ? pending.ttl : config.cache_ttl);
      this.store.set(pending.key, answer, Math.min(storageTtl, MAX_TIMER_SECONDS));
    }
    return chunk;
  }

  close(): void {
    this.store.clear();
  }
}

/** The request's Cache-Control asks for fresher than this entry (Kong's order: max-age, max-stale, min-fresh). */
function stale(cc: Directives, age: number, ttl: number): boolean {
  const maxAge = seconds(cc, 'max-age');
  if (maxAge !== undefined && age > maxAge) return true;
  const maxStale = seconds(cc, 'max-stale');
  if (maxStale !== undefined && age - ttl > maxStale) return true;
  const minFresh = seconds(cc, 'min-fresh');
  if (minFresh !== undefined && ttl - age < minFresh) return true;
  return false;
}

export default definePlugin<Config>(schema, ProxyCache);
