// Router micro-benchmark: build time and cost per match at 100, 1k and 10k routes, indexed router vs a linear
// scan of the same ranked routes (workers/router/linear.ts), in one run. Single thread, about 20 s.
// Run: node_modules/.bin/node bench/router.ts
import type { Route, Service } from '../config/types.ts';
import { LinearMatcher } from '../workers/router/linear.ts';
import { buildRouter } from '../workers/router/router.ts';
import type { Match, RequestHeaders } from '../workers/router/types.ts';
import { mulberry32 as prng } from '../test/helpers/prng.ts';

const SIZES = [100, 1_000, 10_000];
const REQUESTS = 1_000;
/** Time each measurement gets, roughly; enough to average out a noisy core. */
const BUDGET_MS = 1_000;
const NO_HEADERS: RequestHeaders = {};

function makeRoute(i: number, fields: Partial<Route>): Route {
  return {
    id: `route-${i}`, name: null, service: { id: 'svc' }, protocols: ['http', 'https'], methods: null, hosts: null,
    paths: null, headers: null, strip_path: true, preserve_host: false, regex_priority: 0, path_handling: 'v0',
    https_redirect_status_code: 426, request_buffering: true, response_buffering: true, tags: null, created_at: i,
    ...fields,
  };
}

const RESOURCES = ['users', 'orders', 'items', 'carts', 'invoices', 'search', 'auth', 'files'];

/**
 * A realistic mix: half the routes on exact hosts (one host per ~20 routes), 10% on tenant wildcards,
 * 15% regex paths (mostly with a literal head, 5 catch-all patterns without), 10% method-bound, the rest plain prefixes.
 */
function makeRoutes(count: number): Route[] {
  const random = prng(count);
  const hosts = Math.max(1, Math.floor(count / 20));
  const routes: Route[] = [];
  for (let i = 0; i < count; i++) {
    const roll = random();
    const resource = RESOURCES[i % RESOURCES.length]!;
    if (i < 5) routes.push(makeRoute(i, { paths: [`~/(legacy|old)/.*\\.php${i}$`] }));
    else if (roll < 0.5) routes.push(makeRoute(i, { hosts: [`svc${i % hosts}.example.com`], paths: [`/api/v${1 + (i % 3)}/${resource}${i}`] }));
    else if (roll < 0.6) routes.push(makeRoute(i, { hosts: [`*.tenant${i % hosts}.example.com`], paths: [`/app${i}`] }));
    else if (roll < 0.75) routes.push(makeRoute(i, { paths: [`~/${resource}/${i}/(?<id>\\d+)(/.*)?$`], regex_priority: i % 3 }));
    else if (roll < 0.85) routes.push(makeRoute(i, { methods: ['GET', 'POST'], paths: [`/rpc/${resource}${i}`] }));
    else routes.push(makeRoute(i, { paths: [`/static/${resource}${i}`] }));
  }
  return routes;
}

interface Request {
  method: string;
  host: string;
  path: string;
}

/** Requests aimed at random routes (with extra path segments), and 10% that match nothing. */
function makeRequests(routes: readonly Route[]): Request[] {
  const random = prng(routes.length + 1);
  const requests: Request[] = [];
  for (let n = 0; n < REQUESTS; n++) {
    if (n % 10 === 9) {
      requests.push({ method: 'GET', host: 'unknown.example.net', path: `/nothing/here/${n}` });
      continue;
    }
    const r = routes[Math.floor(random() * routes.length)]!;
    const host = r.hosts === null ? 'gateway.example.com' : r.hosts[0]!.replace('*', `t${n}`);
    const path = r.paths![0]!.startsWith('~')
      ? r.paths![0]!.startsWith('~/(') ? `/legacy/x/y.php${r.created_at}` : `/${r.paths![0]!.split('/')[1]}/${r.created_at}/${n}/detail`
      : `${r.paths![0]!}/${n}`;
    requests.push({ method: 'GET', host, path });
  }
  return requests;
}

interface Matcher {
  match(method: string, host: string, path: string, headers: RequestHeaders): Match | null;
}

let sink = 0;

/** ns per match, running the request list as many times as fit in the budget (at least once). */
function measure(matcher: Matcher, requests: readonly Request[]): number {
  const pass = (): void => {
    for (let i = 0; i < requests.length; i++) {
      const q = requests[i]!;
      const m = matcher.match(q.method, q.host, q.path, NO_HEADERS);
      if (m !== null) sink += m.upstreamPath.length;
    }
  };
  pass(); // warm-up: JIT, and the cache when there is one
  const start = performance.now();
  let passes = 0;
  do {
    pass();
    passes++;
  } while (performance.now() - start < BUDGET_MS);
  return ((performance.now() - start) * 1e6) / (passes * requests.length);
}

function buildMs(routes: readonly Route[], services: Record<string, Service>): number {
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const start = performance.now();
    buildRouter(routes, services);
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return times[2]!;
}

function checkAgreement(routes: readonly Route[], services: Record<string, Service>, requests: readonly Request[]): number {
  const router = buildRouter(routes, services, { cacheSize: 0 });
  const linear = new LinearMatcher(routes, services);
  let matched = 0;
  for (const q of requests) {
    const a = router.match(q.method, q.host, q.path, NO_HEADERS);
    const b = linear.match(q.method, q.host, q.path, NO_HEADERS);
    if (a?.route.id !== b?.route.id || a?.upstreamPath !== b?.upstreamPath) {
      throw new Error(`index and linear disagree on ${q.method} ${q.host} ${q.path}: ${a?.route.id} vs ${b?.route.id}`);
    }
    if (a !== null) matched++;
  }
  return matched;
}

const services: Record<string, Service> = {
  svc: {
    id: 'svc', name: null, protocol: 'http', host: 'upstream', port: 80, path: '/base', retries: 5,
    connect_timeout: 60000, write_timeout: 60000, read_timeout: 60000, tls_verify: null, tls_verify_depth: null, enabled: true, tags: null,
  },
};

const rows: string[][] = [];
for (const size of SIZES) {
  const routes = makeRoutes(size);
  const requests = makeRequests(routes);
  const matched = checkAgreement(routes, services, requests);
  const build = buildMs(routes, services);
  const indexed = measure(buildRouter(routes, services, { cacheSize: 0 }), requests);
  const cached = measure(buildRouter(routes, services), requests);
  const linear = measure(new LinearMatcher(routes, services), requests);
  rows.push([
    String(size), build.toFixed(1), indexed.toFixed(0), cached.toFixed(0), linear.toFixed(0), (linear / indexed).toFixed(1) + '×',
    `${matched}/${requests.length}`,
  ]);
}

const header = ['routes', 'build ms', 'indexed ns/match', 'cached ns/match', 'linear ns/match', 'linear/indexed', 'matched'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (cells: string[]): string => '| ' + cells.map((c, i) => c.padStart(widths[i]!)).join(' | ') + ' |';
console.log(`Node ${process.version}, ${REQUESTS} requests per pass, ~${BUDGET_MS} ms per measurement`);
console.log(line(header));
console.log('|' + widths.map((w) => '-'.repeat(w + 1) + ':').join('|') + '|');
for (const row of rows) console.log(line(row));
if (sink === -1) console.log('');
