// The request router (worker thread): built from routes + services when a worker gets its first
// config (or on `--rebuild-all`), then updated in place by the routes and services each delta
// changes (workers/state.ts), and asked for every request. Semantics: Kong 3.x
// traditional_compatible; see compile.ts for the route order and upstream-path.ts for the path join.
//
// Data structure. Routes compile into ranked entries (compile.ts); candidates (entry × host × path)
// are filed in buckets chosen by host, and inside a bucket in a radix tree keyed by path:
//
//   exact    Map hostname → tree       `api.example.com`, `api.example.com:8443`
//   suffix   Map ".suffix" → tree      `*.example.com`  (looked up once per dot of the request host)
//   prefix   Map "prefix." → tree      `example.*`      (looked up once per dot of the request host)
//   oddHosts tree                      wildcards not cut at a dot (`*example.com`): host tested per candidate
//   anyHost  tree                      routes without hosts
//
//   tree: plain prefix `/api/v1` → key `/api/v1`; regex `~/users/\d+` → key `/users/` (its literal prefix,
//         path-regex.ts), a regex with no literal prefix and a route without paths → key '' (the root).
//
// The answer for a request is the matching candidate that ranks first (compareCandidates). A request
// walks at most a few trees along its path; each visited node's items are kept sorted by rank, so a
// scan stops at the first full match or at the first item ranking no better than the best so far.
// Cost grows with the path length and the candidates sharing one host and one path prefix, not with
// the route count.
//
// Updates. Ranks are compared, never numbered, so filing or unfiling one candidate touches one node
// of one tree: O(key length + that node's items), whatever the route count. `update` compiles every
// changed route first (the only step that can throw), then edits the trees, so a route that cannot
// compile leaves the router as it was. A route's candidates are remembered by route id, and a
// service's routes by service id, so a changed service re-files exactly its routes. `match` is
// synchronous and a request routes once when it starts, so editing in place between two requests is
// invisible to both; Match objects already handed out are frozen and keep the route they named.
//
// When no route has header conditions, decisions are cached by method + Host + raw path (cache.ts),
// plus the TLS server name when a route matches on snis, within a byte budget; every update empties
// the cache.
import type { Route, Service } from '../../config/types.ts';
import { SluiceError } from '../../runtime/protocol/errors.ts';
import { TwoGenerationCache } from './cache.ts';
import { compareEntries, compileRoute, headersMatch, matchedHost, sniMatches, type Entry, type PathCondition } from './compile.ts';
import { HOST_EXACT, HOST_SUFFIX, RequestHost } from './host.ts';
import { normalizePath } from './normalize.ts';
import { RadixNode, radixInsert, radixInsertSorted, radixIsEmpty, radixRemove, radixSortItems, radixWalk } from './radix.ts';
import { makeMatch } from './result.ts';
import type { Match, RequestHeaders, Router, RouterChanges, RouterOptions } from './types.ts';

export type { Match, RequestHeaders, Router, RouterChanges, RouterOptions, UriCaptures } from './types.ts';

const DEFAULT_CACHE_SIZE = 4096;
/** Bytes the match cache may hold (estimated, cache.ts); ~300 B per ordinary entry, so the count binds first. */
const DEFAULT_CACHE_BYTES = 4 * 1024 * 1024;
/** Longer paths are not cached: attacker-chosen long paths must not make the cache's memory unbounded. */
const MAX_CACHED_PATH = 1024;
/** Longer Host headers are not cached: a DNS name is at most 253 bytes, plus `:port`. */
const MAX_CACHED_HOST = 261;
/** Estimated bytes of a cache entry besides its strings: the Map slot, the Match object and its fields. */
const ENTRY_OVERHEAD = 160;
const NO_HEADERS: RequestHeaders = Object.freeze({});

// How a candidate tests the host beyond what its bucket already guarantees.
const HOST_TEST_NONE = 0;
const HOST_TEST_ENDS = 1;
const HOST_TEST_STARTS = 2;

type Tree = RadixNode<Candidate>;

class Candidate {
  readonly entry: Entry;
  /** Index of this candidate's path in `entry.paths` (0 when it has none): the order inside an entry. */
  readonly pathIndex: number;
  readonly path: PathCondition | null;
  /** 0 = any port. */
  readonly port: number;
  readonly hostTest: number;
  readonly hostArg: string;
  /** Where it is filed, so it can be unfiled: the host map and key of its tree (null: a fixed tree), the tree, its path key. */
  readonly bucket: Map<string, Tree> | null;
  readonly bucketKey: string;
  readonly tree: Tree;
  readonly key: string;

  constructor(entry: Entry, pathIndex: number, port: number, hostTest: number, hostArg: string, bucket: Map<string, Tree> | null, bucketKey: string, tree: Tree) {
    this.entry = entry;
    this.pathIndex = pathIndex;
    this.path = entry.paths === null ? null : entry.paths[pathIndex]!;
    this.port = port;
    this.hostTest = hostTest;
    this.hostArg = hostArg;
    this.bucket = bucket;
    this.bucketKey = bucketKey;
    this.tree = tree;
    this.key = this.path === null ? '' : this.path.key;
  }
}

/** Negative when `a` ranks before `b`: the entries' order, then path order inside one entry. */
function compareCandidates(a: Candidate, b: Candidate): number {
  return a.entry === b.entry ? a.pathIndex - b.pathIndex : compareEntries(a.entry, b.entry);
}

/** Hot path: does `a` rank before `b`? compareCandidates < 0, with the common decisions first. */
function precedes(a: Candidate, b: Candidate): boolean {
  const x = a.entry;
  const y = b.entry;
  if (x === y) return a.pathIndex < b.pathIndex;
  if (x.rankHigh !== y.rankHigh) return x.rankHigh > y.rankHigh;
  if (x.rankLow !== y.rankLow) return x.rankLow > y.rankLow;
  return compareEntries(x, y) < 0;
}

/** What the router keeps per route: the route as filed and its candidates (none when Kong leaves it out). */
interface Filed {
  readonly route: Route;
  readonly candidates: readonly Candidate[];
  readonly headerEntries: number;
  readonly sniEntries: number;
}

class IndexedRouter implements Router {
  cacheHits = 0;
  cacheMisses = 0;

  readonly #exact = new Map<string, Tree>();
  readonly #suffix = new Map<string, Tree>();
  readonly #prefix = new Map<string, Tree>();
  readonly #oddHosts = new RadixNode<Candidate>('');
  readonly #anyHost = new RadixNode<Candidate>('');
  /** Every route given to the router, by id, filed or left out. */
  readonly #routes = new Map<string, Filed>();
  /** Service id → ids of the routes that name it (whether or not the service exists or is enabled). */
  readonly #routesOfService = new Map<string, Set<string>>();
  #routeCount = 0;
  #headerEntries = 0;
  /** Entries with an SNI condition: while there is one, the server name is part of the cache key. */
  #sniEntries = 0;
  readonly #cacheSize: number;
  readonly #cacheBytes: number;
  #cache: TwoGenerationCache<Match | null> | null = null;
  readonly #listenPort: number;
  readonly #tlsPort: number;

  // Per-request scratch. `match` is synchronous and a router belongs to one thread, so one set suffices.
  readonly #host = new RequestHost();
  readonly #nodes: Tree[] = [];
  #method = '';
  #path = '';
  #headers: RequestHeaders = NO_HEADERS;
  #sni: string | null = null;
  #best: Candidate | null = null;
  #bestExec: RegExpExecArray | null = null;

  constructor(routes: readonly Route[], services: Readonly<Record<string, Service>>, options: RouterOptions) {
    this.#listenPort = options.listenPort ?? 80;
    this.#tlsPort = options.tlsPort ?? 443;
    this.#cacheSize = options.cacheSize ?? DEFAULT_CACHE_SIZE;
    this.#cacheBytes = options.cacheBytes ?? DEFAULT_CACHE_BYTES;
    const compiled = routes.map((route) => compileRoute(route, services));
    // Bulk: append everywhere, then sort each node once (n log n), instead of n sorted inserts.
    for (let i = 0; i < routes.length; i++) this.#add(routes[i]!, compiled[i]!, false);
    for (const tree of [...this.#exact.values(), ...this.#suffix.values(), ...this.#prefix.values(), this.#oddHosts, this.#anyHost]) {
      radixSortItems(tree, compareCandidates);
    }
    this.#resetCache();
  }

  get routeCount(): number {
    return this.#routeCount;
  }

  get cacheEnabled(): boolean {
    return this.#cache !== null;
  }

  get cacheEntries(): number {
    return this.#cache?.size ?? 0;
  }

  get cacheBytes(): number {
    return this.#cache?.bytes ?? 0;
  }

  get cacheBudget(): number {
    return this.#cacheBytes;
  }

  update(changes: RouterChanges, services: Readonly<Record<string, Service>>): number {
    // The routes to file again, by id: changed routes, and the routes of changed services.
    const refile = new Map<string, Route | null>();
    for (const id of changes.removedRoutes) refile.set(id, null);
    for (const route of changes.routes) refile.set(route.id, route);
    for (const serviceId of changes.services) {
      const ids = this.#routesOfService.get(serviceId);
      if (ids === undefined) continue;
      for (const id of ids) if (!refile.has(id)) refile.set(id, this.#routes.get(id)!.route);
    }
    // Compile first: the only step that can throw, and nothing has changed yet if it does.
    const compiled = new Map<string, readonly Entry[]>();
    for (const [id, route] of refile) if (route !== null) compiled.set(id, compileRoute(route, services));
    for (const [id, route] of refile) {
      this.#remove(id);
      if (route !== null) this.#add(route, compiled.get(id)!, true);
    }
    this.#resetCache();
    return refile.size;
  }

  #add(route: Route, entries: readonly Entry[], sorted: boolean): void {
    const candidates: Candidate[] = [];
    let headerEntries = 0;
    let sniEntries = 0;
    for (const entry of entries) {
      if (entry.headers !== null) headerEntries++;
      if (entry.snis !== null) sniEntries++;
      this.#file(entry, candidates);
    }
    for (const candidate of candidates) {
      if (sorted) radixInsertSorted(candidate.tree, candidate.key, candidate, compareCandidates);
      else radixInsert(candidate.tree, candidate.key, candidate);
    }
    this.#routes.set(route.id, { route, candidates, headerEntries, sniEntries });
    if (candidates.length > 0) this.#routeCount++;
    this.#headerEntries += headerEntries;
    this.#sniEntries += sniEntries;
    if (route.service !== null) {
      let ids = this.#routesOfService.get(route.service.id);
      if (ids === undefined) this.#routesOfService.set(route.service.id, (ids = new Set()));
      ids.add(route.id);
    }
  }

  #remove(id: string): void {
    const filed = this.#routes.get(id);
    if (filed === undefined) return;
    this.#routes.delete(id);
    for (const candidate of filed.candidates) {
      radixRemove(candidate.tree, candidate.key, candidate, compareCandidates);
      // An emptied host tree goes too, or churning host names would grow the maps forever.
      if (candidate.bucket !== null && radixIsEmpty(candidate.tree) && candidate.bucket.get(candidate.bucketKey) === candidate.tree) {
        candidate.bucket.delete(candidate.bucketKey);
      }
    }
    if (filed.candidates.length > 0) this.#routeCount--;
    this.#headerEntries -= filed.headerEntries;
    this.#sniEntries -= filed.sniEntries;
    const serviceId = filed.route.service?.id;
    if (serviceId !== undefined) {
      const ids = this.#routesOfService.get(serviceId)!;
      ids.delete(id);
      if (ids.size === 0) this.#routesOfService.delete(serviceId);
    }
  }

  #resetCache(): void {
    // A header condition makes the decision depend on more than the key: no cache while one exists.
    this.#cache = this.#headerEntries === 0 && this.#cacheSize > 0 ? new TwoGenerationCache(this.#cacheSize, this.#cacheBytes, entryBytes) : null;
  }

  /** Makes `entry`'s candidates (one per host pattern × path) with the tree each goes into. */
  #file(entry: Entry, out: Candidate[]): void {
    if (entry.hosts === null) return this.#fileIn(null, '', this.#anyHost, entry, 0, HOST_TEST_NONE, '', out);
    for (const host of entry.hosts) {
      if (host.kind === HOST_EXACT) {
        this.#fileIn(this.#exact, host.value, treeFor(this.#exact, host.value), entry, host.port, HOST_TEST_NONE, '', out);
      } else if (host.kind === HOST_SUFFIX) {
        if (host.value.startsWith('.')) this.#fileIn(this.#suffix, host.value, treeFor(this.#suffix, host.value), entry, host.port, HOST_TEST_NONE, '', out);
        else this.#fileIn(null, '', this.#oddHosts, entry, host.port, HOST_TEST_ENDS, host.value, out);
      } else if (host.value.endsWith('.')) {
        this.#fileIn(this.#prefix, host.value, treeFor(this.#prefix, host.value), entry, host.port, HOST_TEST_NONE, '', out);
      } else {
        this.#fileIn(null, '', this.#oddHosts, entry, host.port, HOST_TEST_STARTS, host.value, out);
      }
    }
  }

  #fileIn(bucket: Map<string, Tree> | null, bucketKey: string, tree: Tree, entry: Entry, port: number, hostTest: number, hostArg: string, out: Candidate[]): void {
    const count = entry.paths === null ? 1 : entry.paths.length;
    for (let i = 0; i < count; i++) out.push(new Candidate(entry, i, port, hostTest, hostArg, bucket, bucketKey, tree));
  }

  match(method: string, host: string, rawPath: string, headers: RequestHeaders, sni: string | null = null): Match | null {
    const cache = this.#cache;
    if (cache === null || rawPath.length > MAX_CACHED_PATH || host.length > MAX_CACHED_HOST) return this.#lookup(method, host, rawPath, headers, sni);
    // '\n' cannot occur in a method, a Host header value or a request path, so keys do not collide;
    // a server name is a DNS name (no '\n'), and '\0' stands for plain HTTP.
    let key = method + '\n' + host + '\n' + rawPath;
    // TLS requests are keyed apart even with no `snis` in any route: a Host without a port means
    // the TLS listener's port there (host entries may name a port).
    if (this.#sniEntries > 0 || sni !== null) key += '\n' + (sni ?? '\0');
    const cached = cache.get(key);
    if (cached !== undefined) {
      this.cacheHits++;
      return cached;
    }
    this.cacheMisses++;
    const result = this.#lookup(method, host, rawPath, headers, sni);
    cache.set(key, result);
    return result;
  }

  #lookup(method: string, hostHeader: string, rawPath: string, headers: RequestHeaders, sni: string | null): Match | null {
    const path = normalizePath(rawPath);
    if (path === null) throw new SluiceError('SLUICE_ERR_BAD_REQUEST', 'malformed request path');
    const host = this.#host;
    host.parse(hostHeader, sni === null ? this.#listenPort : this.#tlsPort);
    const hostname = host.hostname;
    this.#method = method;
    this.#path = path;
    this.#headers = headers;
    this.#sni = sni;
    this.#best = null;
    this.#bestExec = null;

    // Exact hosts first: they outrank wildcards, so the later scans stop sooner.
    if (this.#exact.size > 0) {
      const tree = this.#exact.get(hostname);
      if (tree !== undefined) this.#search(tree);
    }
    if (this.#suffix.size > 0) {
      for (let dot = hostname.indexOf('.'); dot !== -1; dot = hostname.indexOf('.', dot + 1)) {
        const tree = this.#suffix.get(hostname.slice(dot));
        if (tree !== undefined) this.#search(tree);
      }
    }
    if (this.#prefix.size > 0) {
      for (let dot = hostname.indexOf('.'); dot !== -1; dot = hostname.indexOf('.', dot + 1)) {
        const tree = this.#prefix.get(hostname.slice(0, dot + 1));
        if (tree !== undefined) this.#search(tree);
      }
    }
    this.#search(this.#oddHosts);
    this.#search(this.#anyHost);

    // `#search` wrote these; TypeScript still narrows them to the values assigned above.
    const best = this.#best as Candidate | null;
    const exec = this.#bestExec as RegExpExecArray | null;
    this.#headers = NO_HEADERS; // do not keep the request alive through the scratch fields
    this.#best = null;
    this.#bestExec = null;
    if (best === null) return null;
    const entry = best.entry;
    const hostMatched = entry.hosts === null ? null : matchedHost(entry.hosts, hostname, host.port);
    return makeMatch(entry, path, hostMatched, best.path, exec);
  }

  /** Scans the nodes along the path, deepest first (longer prefixes tend to win, which prunes more). */
  #search(tree: Tree): void {
    const nodes = this.#nodes;
    for (let n = radixWalk(tree, this.#path, nodes) - 1; n >= 0; n--) this.#scan(nodes[n]!.items);
  }

  #scan(items: readonly Candidate[]): void {
    for (let i = 0; i < items.length; i++) {
      const candidate = items[i]!;
      // Items are sorted by rank: nothing further in this node can beat the best so far.
      const best = this.#best;
      if (best !== null && !precedes(candidate, best)) return;
      const entry = candidate.entry;
      if (entry.methods !== null && !entry.methods.has(this.#method)) continue;
      if (candidate.port !== 0 && candidate.port !== this.#host.port) continue;
      if (candidate.hostTest !== HOST_TEST_NONE) {
        const hostname = this.#host.hostname;
        const ok = candidate.hostTest === HOST_TEST_ENDS ? hostname.endsWith(candidate.hostArg) : hostname.startsWith(candidate.hostArg);
        if (!ok) continue;
      }
      if (entry.headers !== null && !headersMatch(entry.headers, this.#headers)) continue;
      if (entry.snis !== null && !sniMatches(entry.snis, this.#sni)) continue;
      let exec: RegExpExecArray | null = null;
      const regex = candidate.path === null ? null : candidate.path.regex;
      if (regex !== null) {
        exec = regex.exec(this.#path);
        if (exec === null) continue;
      }
      // Reaching this node already proved a plain prefix: the path starts with the item's key.
      this.#best = candidate;
      this.#bestExec = exec;
      return;
    }
  }
}

/** A cache entry's estimated bytes. Strings count one byte per character (header values arrive as latin1). */
function entryBytes(key: string, match: Match | null): number {
  if (match === null) return ENTRY_OVERHEAD + key.length;
  // Captures are pieces of the path: at most its length again.
  return ENTRY_OVERHEAD + key.length + match.path.length * (match.uriCaptures === null ? 1 : 2) + match.upstreamPath.length;
}

function treeFor(map: Map<string, Tree>, key: string): Tree {
  let tree = map.get(key);
  if (tree === undefined) {
    tree = new RadixNode<Candidate>('');
    map.set(key, tree);
  }
  return tree;
}

/**
 * Builds a router from the current routes and services. Throws SluiceError `SLUICE_ERR_CONFIG_INVALID`
 * on a route regex JS cannot compile; the caller keeps serving with its previous router.
 */
export function buildRouter(routes: readonly Route[], services: Readonly<Record<string, Service>>, options: RouterOptions = {}): Router {
  return new IndexedRouter(routes, services, options);
}
