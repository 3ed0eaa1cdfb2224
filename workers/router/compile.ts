// Route compilation and Kong's route order (worker thread, build time; the `*Match` helpers run per request).
//
// Facts from Kong 3.x traditional_compatible (kong/router/compat.lua, transform.lua, atc-router):
// - A route whose paths differ in kind or length is split into one entry per group: all regex paths
//   together, and the plain paths of each length together. Each entry is ranked on its own.
// - Rank, most significant first:
//     1. number of match categories present (methods, hosts, headers, paths, snis);
//     2. hosts present and none is a wildcard ("plain hosts only");
//     3. number of header names;
//     4. the entry's paths are regexes (a regex entry beats any plain-prefix entry, whatever its length);
//     5. regex_priority, for regex entries only (higher first);
//     6. plain prefix length in bytes (longest first);
//   ATC breaks the remaining ties by route UUID; Sluice uses created_at (the route's position in the source),
//   then id, as config/types.ts specifies, so the order is stable and readable.
// - Kong packs regex_priority into an unsigned field, so a negative value sorts above everything there;
//   Sluice compares it as the signed number it is.
import type { Route, Service } from '../../config/types.ts';
import { SluiceError } from '../../runtime/protocol/errors.ts';
import { HOST_EXACT, HostPattern } from './host.ts';
import { compilePathRegex } from './path-regex.ts';
import type { RequestHeaders } from './types.ts';

export class PathCondition {
  /** As configured (`/api`, `~/users/(?<id>\d+)`). */
  readonly path: string;
  /** null for a plain prefix. */
  readonly regex: RegExp | null;
  readonly groupCount: number;
  /** Prefix-tree key: the prefix itself, or the regex's literal prefix. */
  readonly key: string;

  constructor(path: string, routeId: string, field: string) {
    this.path = path;
    if (path.charCodeAt(0) !== 0x7e) {
      this.regex = null;
      this.groupCount = 0;
      this.key = path;
      return;
    }
    try {
      const compiled = compilePathRegex(path);
      this.regex = compiled.regex;
      this.groupCount = compiled.groupCount;
      this.key = compiled.literal;
    } catch (error) {
      throw new SluiceError('SLUICE_ERR_CONFIG_INVALID', `invalid regex path ${JSON.stringify(path)}`, {
        entity_type: 'routes', entity: routeId, field, message: (error as Error).message,
      });
    }
  }
}

export class HeaderCondition {
  /** Lower-case, as Node delivers header names. */
  readonly name: string;
  /** Lower-case values compared to the lower-cased request value. */
  readonly exact: readonly string[];
  /** `~*` values (Kong 3): unanchored, case-insensitive. Kong lower-cases the pattern text, which would turn `\D` into `\d`; Sluice uses the `i` flag. */
  readonly patterns: readonly RegExp[];

  constructor(name: string, values: readonly string[], routeId: string) {
    this.name = name.toLowerCase();
    const exact: string[] = [];
    const patterns: RegExp[] = [];
    for (const value of values) {
      if (!value.startsWith('~*')) {
        exact.push(value.toLowerCase());
        continue;
      }
      try {
        patterns.push(new RegExp(value.slice(2), 'i'));
      } catch (error) {
        throw new SluiceError('SLUICE_ERR_CONFIG_INVALID', `invalid header regex ${JSON.stringify(value)}`, {
          entity_type: 'routes', entity: routeId, field: `headers.${name}`, message: (error as Error).message,
        });
      }
    }
    this.exact = exact;
    this.patterns = patterns;
  }
}

/** One route, or one path group of a split route: the unit Kong ranks. Immutable. */
export class Entry {
  readonly route: Route;
  readonly service: Service | null;
  readonly methods: ReadonlySet<string> | null;
  readonly hosts: readonly HostPattern[] | null;
  readonly headers: readonly HeaderCondition[] | null;
  /**
   * Server names the TLS connection must have sent (lower-case), or null. Kong's traditional router:
   * a request over plain HTTP passes this condition; one over TLS must name one of them.
   */
  readonly snis: ReadonlySet<string> | null;
  /** This group's paths in route order, or null when the route has no paths. */
  readonly paths: readonly PathCondition[] | null;
  // Rank (see top of file).
  readonly categories: number;
  readonly plainHostsOnly: boolean;
  readonly headerCount: number;
  readonly isRegex: boolean;
  readonly regexPriority: number;
  readonly prefixLength: number;
  /**
   * The rank packed into two numbers, higher first, so the router's hot scan compares two doubles
   * before the tie-breakers: `rankHigh` holds rules 1–4 (categories ≤ 4, one bit, header names
   * below 2^38, one bit — exact in a double), `rankLow` rule 5 or 6 (an entry is regex or plain,
   * so only one of regex_priority and prefix length is in play between two entries of equal `rankHigh`).
   */
  readonly rankHigh: number;
  readonly rankLow: number;
  // Upstream path join, precomputed.
  readonly serviceBase: string;
  readonly v1: boolean;

  constructor(route: Route, service: Service | null, shared: Shared, paths: readonly PathCondition[] | null) {
    this.route = route;
    this.service = service;
    this.methods = shared.methods;
    this.hosts = shared.hosts;
    this.headers = shared.headers;
    this.snis = shared.snis;
    this.paths = paths;
    this.categories = (shared.methods ? 1 : 0) + (shared.hosts ? 1 : 0) + (shared.headers ? 1 : 0) + (paths ? 1 : 0) + (shared.snis ? 1 : 0);
    this.plainHostsOnly = shared.hosts !== null && shared.hosts.every(isExact);
    this.headerCount = shared.headers === null ? 0 : shared.headers.length;
    this.isRegex = paths !== null && paths[0]!.regex !== null;
    this.regexPriority = this.isRegex ? route.regex_priority : 0;
    this.prefixLength = paths !== null && !this.isRegex ? Buffer.byteLength(paths[0]!.path) : 0;
    this.rankHigh = this.categories * 2 ** 40 + (this.plainHostsOnly ? 2 ** 39 : 0) + this.headerCount * 2 + (this.isRegex ? 1 : 0);
    this.rankLow = this.isRegex ? this.regexPriority : this.prefixLength;
    this.serviceBase = service?.path ?? '/';
    this.v1 = route.path_handling === 'v1';
  }
}

interface Shared {
  methods: ReadonlySet<string> | null;
  hosts: HostPattern[] | null;
  headers: HeaderCondition[] | null;
  snis: ReadonlySet<string> | null;
}

function isExact(host: HostPattern): boolean {
  return host.kind === HOST_EXACT;
}

const HTTP_PROTOCOLS = new Set(['http', 'https', 'grpc', 'grpcs']);

/**
 * Compiles routes into ranked entries, best first.
 * @throws SluiceError `SLUICE_ERR_CONFIG_INVALID` on an invalid regex (config validation should catch it first).
 */
export function compileRoutes(routes: readonly Route[], services: Readonly<Record<string, Service>>): Entry[] {
  const entries: Entry[] = [];
  for (const route of routes) {
    for (const entry of compileRoute(route, services)) entries.push(entry);
  }
  entries.sort(compareEntries);
  return entries;
}

const NO_ENTRIES: readonly Entry[] = Object.freeze([]);

/**
 * One route's entries, unsorted. None, as Kong leaves them out of its HTTP router, for a route whose
 * service is disabled or that has no HTTP-family protocol. A route that references a missing service
 * gets `service: null`.
 * @throws SluiceError `SLUICE_ERR_CONFIG_INVALID` on an invalid regex.
 */
export function compileRoute(route: Route, services: Readonly<Record<string, Service>>): readonly Entry[] {
  if (!route.protocols.some((p) => HTTP_PROTOCOLS.has(p))) return NO_ENTRIES;
  const service = route.service === null ? null : (services[route.service.id] ?? null);
  if (service !== null && !service.enabled) return NO_ENTRIES;
  const shared: Shared = {
    methods: nonEmpty(route.methods) ? new Set(route.methods.map((m) => m.toUpperCase())) : null,
    hosts: nonEmpty(route.hosts) ? route.hosts.map((h) => new HostPattern(h)) : null,
    headers: compileHeaders(route),
    snis: route.snis !== undefined && nonEmpty(route.snis) ? new Set(route.snis.map((sni) => sni.toLowerCase())) : null,
  };
  if (!nonEmpty(route.paths)) return [new Entry(route, service, shared, null)];
  return groupPaths(route).map((group) => new Entry(route, service, shared, group));
}

function nonEmpty<T>(list: readonly T[] | null): list is readonly T[] {
  return list !== null && list.length > 0;
}

function compileHeaders(route: Route): HeaderCondition[] | null {
  if (route.headers === null) return null;
  const conditions: HeaderCondition[] = [];
  for (const [name, values] of Object.entries(route.headers)) {
    if (values.length > 0) conditions.push(new HeaderCondition(name, values, route.id));
  }
  return conditions.length > 0 ? conditions : null;
}

/** Kong's split: one group for all regex paths, one per plain prefix length; route order kept inside a group. */
function groupPaths(route: Route): PathCondition[][] {
  const groups = new Map<string, PathCondition[]>();
  route.paths!.forEach((path, i) => {
    const condition = new PathCondition(path, route.id, `paths.${i}`);
    const key = condition.regex !== null ? 'regex' : String(Buffer.byteLength(path));
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [condition]);
    else group.push(condition);
  });
  return [...groups.values()];
}

/** Kong's order (top of file): negative when `a` ranks before `b`. Zero only for the same entry. */
export function compareEntries(a: Entry, b: Entry): number {
  if (a.rankHigh !== b.rankHigh) return b.rankHigh - a.rankHigh;
  if (a.rankLow !== b.rankLow) return b.rankLow - a.rankLow;
  if (a.route.created_at !== b.route.created_at) return a.route.created_at - b.route.created_at;
  if (a.route.id !== b.route.id) return a.route.id < b.route.id ? -1 : 1;
  // Two path groups of one route differ in kind or prefix length, so rankHigh or rankLow told them apart.
  return 0;
}

/** The SNI condition (see Entry.snis): `sni` null for a request over plain HTTP, '' for TLS without a server name. */
export function sniMatches(snis: ReadonlySet<string>, sni: string | null): boolean {
  return sni === null || snis.has(sni);
}

/** Every condition must hold; within one, any value of any occurrence of the header may match. */
export function headersMatch(conditions: readonly HeaderCondition[], headers: RequestHeaders): boolean {
  for (let i = 0; i < conditions.length; i++) {
    const condition = conditions[i]!;
    const value = headers[condition.name];
    if (value === undefined) return false;
    if (typeof value === 'string') {
      if (!valueMatches(condition, value)) return false;
      continue;
    }
    let found = false;
    for (let j = 0; j < value.length && !found; j++) found = valueMatches(condition, value[j]!);
    if (!found) return false;
  }
  return true;
}

function valueMatches(condition: HeaderCondition, value: string): boolean {
  const exact = condition.exact;
  if (exact.length > 0) {
    const lower = value.toLowerCase();
    for (let i = 0; i < exact.length; i++) if (exact[i] === lower) return true;
  }
  const patterns = condition.patterns;
  // No `g`/`y` flag, so `test` keeps no state between requests.
  for (let i = 0; i < patterns.length; i++) if (patterns[i]!.test(value)) return true;
  return false;
}

/** The first host pattern that matches, exact ones before wildcards (Kong's traditional order), else null. */
export function matchedHost(hosts: readonly HostPattern[], hostname: string, port: number): string | null {
  for (let i = 0; i < hosts.length; i++) {
    const host = hosts[i]!;
    if (host.kind === HOST_EXACT && host.matches(hostname, port)) return host.pattern;
  }
  for (let i = 0; i < hosts.length; i++) {
    const host = hosts[i]!;
    if (host.kind !== HOST_EXACT && host.matches(hostname, port)) return host.pattern;
  }
  return null;
}
