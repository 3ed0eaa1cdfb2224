// The request router (worker thread): built from routes + services whenever either group changes
// (workers/state.ts), then asked for every request. Semantics: Kong 3.x traditional_compatible; see
// compile.ts for the route order and upstream-path.ts for the path join.
//
// Data structure. Routes compile into ranked entries (compile.ts) and every entry gets a global `seq`:
// the answer for a request is the matching candidate with the lowest seq. Candidates (entry × host × path)
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
// A request walks at most a few trees along its path; each visited node's items are sorted by seq, so a
// scan stops at the first full match or at the first seq no better than the best so far. Cost grows with
// the path length and the candidates sharing one host and one path prefix, not with the route count.
// When no route has header conditions, decisions are cached by method + Host + raw path (cache.ts);
// a rebuild makes a new Router, which is the invalidation.
import type { Route, Service } from '../../config/types.ts';
import { SluiceError } from '../../runtime/protocol/errors.ts';
import { TwoGenerationCache } from './cache.ts';
import { compileRoutes, headersMatch, matchedHost, type Entry, type PathCondition } from './compile.ts';
import { HOST_EXACT, HOST_SUFFIX, RequestHost } from './host.ts';
import { normalizePath } from './normalize.ts';
import { RadixNode, radixInsert, radixSortItems, radixWalk } from './radix.ts';
import { makeMatch } from './result.ts';
import type { Match, RequestHeaders, Router, RouterOptions } from './types.ts';

export type { Match, RequestHeaders, Router, RouterOptions, UriCaptures } from './types.ts';

const DEFAULT_CACHE_SIZE = 4096;
/** Longer paths are not cached: attacker-chosen long paths must not make the cache's memory unbounded. */
const MAX_CACHED_PATH = 1024;
const NO_HEADERS: RequestHeaders = Object.freeze({});

// How a candidate tests the host beyond what its bucket already guarantees.
const HOST_TEST_NONE = 0;
const HOST_TEST_ENDS = 1;
const HOST_TEST_STARTS = 2;

class Candidate {
  readonly seq: number;
  readonly entry: Entry;
  readonly path: PathCondition | null;
  /** 0 = any port. */
  readonly port: number;
  readonly hostTest: number;
  readonly hostArg: string;

  constructor(entry: Entry, pathIndex: number, port: number, hostTest: number, hostArg: string) {
    this.seq = entry.seq + pathIndex;
    this.entry = entry;
    this.path = entry.paths === null ? null : entry.paths[pathIndex]!;
    this.port = port;
    this.hostTest = hostTest;
    this.hostArg = hostArg;
  }
}

type Tree = RadixNode<Candidate>;

function bySeq(a: Candidate, b: Candidate): number {
  return a.seq - b.seq;
}

class IndexedRouter implements Router {
  readonly routeCount: number;
  readonly cacheEnabled: boolean;
  cacheHits = 0;
  cacheMisses = 0;

  readonly #exact = new Map<string, Tree>();
  readonly #suffix = new Map<string, Tree>();
  readonly #prefix = new Map<string, Tree>();
  readonly #oddHosts = new RadixNode<Candidate>('');
  readonly #anyHost = new RadixNode<Candidate>('');
  readonly #cache: TwoGenerationCache<Match | null> | null;
  readonly #listenPort: number;

  // Per-request scratch. `match` is synchronous and a router belongs to one thread, so one set suffices.
  readonly #host = new RequestHost();
  readonly #nodes: Tree[] = [];
  #method = '';
  #path = '';
  #headers: RequestHeaders = NO_HEADERS;
  #best: Candidate | null = null;
  #bestSeq = Infinity;
  #bestExec: RegExpExecArray | null = null;

  constructor(entries: readonly Entry[], options: RouterOptions) {
    this.#listenPort = options.listenPort ?? 80;
    const routeIds = new Set<string>();
    let hasHeaders = false;
    for (const entry of entries) {
      routeIds.add(entry.route.id);
      if (entry.headers !== null) hasHeaders = true;
      this.#file(entry);
    }
    this.routeCount = routeIds.size;
    const cacheSize = options.cacheSize ?? DEFAULT_CACHE_SIZE;
    this.cacheEnabled = !hasHeaders && cacheSize > 0;
    this.#cache = this.cacheEnabled ? new TwoGenerationCache(cacheSize) : null;
    for (const tree of [...this.#exact.values(), ...this.#suffix.values(), ...this.#prefix.values(), this.#oddHosts, this.#anyHost]) {
      radixSortItems(tree, bySeq);
    }
  }

  #file(entry: Entry): void {
    if (entry.hosts === null) return this.#fileIn(this.#anyHost, entry, 0, HOST_TEST_NONE, '');
    for (const host of entry.hosts) {
      if (host.kind === HOST_EXACT) {
        this.#fileIn(treeFor(this.#exact, host.value), entry, host.port, HOST_TEST_NONE, '');
      } else if (host.kind === HOST_SUFFIX) {
        if (host.value.startsWith('.')) this.#fileIn(treeFor(this.#suffix, host.value), entry, host.port, HOST_TEST_NONE, '');
        else this.#fileIn(this.#oddHosts, entry, host.port, HOST_TEST_ENDS, host.value);
      } else if (host.value.endsWith('.')) {
        this.#fileIn(treeFor(this.#prefix, host.value), entry, host.port, HOST_TEST_NONE, '');
      } else {
        this.#fileIn(this.#oddHosts, entry, host.port, HOST_TEST_STARTS, host.value);
      }
    }
  }

  #fileIn(tree: Tree, entry: Entry, port: number, hostTest: number, hostArg: string): void {
    if (entry.paths === null) return radixInsert(tree, '', new Candidate(entry, 0, port, hostTest, hostArg));
    for (let i = 0; i < entry.paths.length; i++) {
      radixInsert(tree, entry.paths[i]!.key, new Candidate(entry, i, port, hostTest, hostArg));
    }
  }

  match(method: string, host: string, rawPath: string, headers: RequestHeaders): Match | null {
    const cache = this.#cache;
    if (cache === null || rawPath.length > MAX_CACHED_PATH) return this.#lookup(method, host, rawPath, headers);
    // '\n' cannot occur in a method, a Host header value or a request path, so keys do not collide.
    const key = method + '\n' + host + '\n' + rawPath;
    const cached = cache.get(key);
    if (cached !== undefined) {
      this.cacheHits++;
      return cached;
    }
    this.cacheMisses++;
    const result = this.#lookup(method, host, rawPath, headers);
    cache.set(key, result);
    return result;
  }

  #lookup(method: string, hostHeader: string, rawPath: string, headers: RequestHeaders): Match | null {
    const path = normalizePath(rawPath);
    if (path === null) throw new SluiceError('SLUICE_ERR_BAD_REQUEST', 'malformed request path');
    const host = this.#host;
    host.parse(hostHeader, this.#listenPort);
    const hostname = host.hostname;
    this.#method = method;
    this.#path = path;
    this.#headers = headers;
    this.#best = null;
    this.#bestSeq = Infinity;
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
      // Items are sorted by seq: nothing further in this node can beat the best so far.
      if (candidate.seq >= this.#bestSeq) return;
      const entry = candidate.entry;
      if (entry.methods !== null && !entry.methods.has(this.#method)) continue;
      if (candidate.port !== 0 && candidate.port !== this.#host.port) continue;
      if (candidate.hostTest !== HOST_TEST_NONE) {
        const hostname = this.#host.hostname;
        const ok = candidate.hostTest === HOST_TEST_ENDS ? hostname.endsWith(candidate.hostArg) : hostname.startsWith(candidate.hostArg);
        if (!ok) continue;
      }
      if (entry.headers !== null && !headersMatch(entry.headers, this.#headers)) continue;
      let exec: RegExpExecArray | null = null;
      const regex = candidate.path === null ? null : candidate.path.regex;
      if (regex !== null) {
        exec = regex.exec(this.#path);
        if (exec === null) continue;
      }
      // Reaching this node already proved a plain prefix: the path starts with the item's key.
      this.#best = candidate;
      this.#bestSeq = candidate.seq;
      this.#bestExec = exec;
      return;
    }
  }
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
  return new IndexedRouter(compileRoutes(routes, services), options);
}
