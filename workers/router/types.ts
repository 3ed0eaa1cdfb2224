// Public shapes of the router (worker thread). The proxy imports these; the router's internals do not leak.
import type { Route, Service } from '../../config/types.ts';

/** What `match` reads from the request headers: Node's `IncomingHttpHeaders` fits (names lower-case). */
export type RequestHeaders = Readonly<Record<string, string | readonly string[] | undefined>>;

/** Captures of a regex path, numbered as Kong numbers `uri_captures`. */
export interface UriCaptures {
  /** Named groups that took part in the match. */
  readonly named: Readonly<Record<string, string>>;
  /** `[0]` is the whole match, `[n]` is group n (named groups included); a group that did not take part is ''. */
  readonly unnamed: readonly string[];
}

/**
 * One routing decision. Matches are cached and shared between requests: frozen, never mutate one.
 */
export interface Match {
  readonly route: Route;
  /** null when the route has no service (the proxy answers with an error). */
  readonly service: Service | null;
  /** The normalized request path the route matched (what Kong calls the request uri). */
  readonly path: string;
  /** The part of `path` that strip_path removed (Kong's `match_t.prefix`, for X-Forwarded-Prefix), else null. */
  readonly prefix: string | null;
  /** Path to send upstream: service.path joined with the rest of `path`, as Kong's path_handling v0/v1 does. */
  readonly upstreamPath: string;
  /** Captures when a regex path with capture groups matched, else null. */
  readonly uriCaptures: UriCaptures | null;
  /** The route's `hosts` entry that matched, as configured (`*.example.com`, `a.com:8443`), or null if it has no hosts. */
  readonly hostMatched: string | null;
}

export interface RouterOptions {
  /** Port assumed when the Host header carries none (Kong falls back to the listener's port). Default 80. */
  listenPort?: number;
  /** The same for a request on the TLS listener (a match given a server name). Default 443. */
  tlsPort?: number;
  /** Recent-match cache: keys kept per generation (two generations); 0 disables. Default 4096. */
  cacheSize?: number;
  /** Recent-match cache: estimated bytes it may hold in all (keys, matches, overhead). Default 4 MiB. */
  cacheBytes?: number;
}

/** What a config change did to the router's inputs: only these are looked at by `update`. */
export interface RouterChanges {
  /** Routes added or changed, as they are now. */
  readonly routes: readonly Route[];
  /** Ids of removed routes. */
  readonly removedRoutes: readonly string[];
  /** Ids of services added, changed or removed: the routes that name them are filed again. */
  readonly services: readonly string[];
}

export interface Router {
  /**
   * Finds the route for a request, or null when none matches (404).
   * @param host the Host header as received, port included when present.
   * @param rawPath path only (no query), still percent-encoded.
   * @param sni the TLS server name the client sent ('' if none), or null for plain HTTP (the default).
   * @throws SluiceError `SLUICE_ERR_BAD_REQUEST` (400) when the path is malformed: it does not start with '/'
   *   or holds a '%' that does not begin a valid percent-encoded triplet.
   */
  match(method: string, host: string, rawPath: string, headers: RequestHeaders, sni?: string | null): Match | null;
  /**
   * Edits the router in place to reflect `changes`, `services` being the services as they are now.
   * Work is proportional to the routes changed (and the routes of changed services), not to the
   * route count. All or nothing: on a throw the router is unchanged.
   * @returns how many routes were filed again or removed.
   * @throws SluiceError `SLUICE_ERR_CONFIG_INVALID` on a route regex JS cannot compile.
   */
  update(changes: RouterChanges, services: Readonly<Record<string, Service>>): number;
  /** Routes that can match (routes of disabled services and stream-only routes are left out). */
  readonly routeCount: number;
  /** False when a route matches on headers (the cache key would not cover the request) or the cache is off. */
  readonly cacheEnabled: boolean;
  readonly cacheHits: number;
  readonly cacheMisses: number;
  /** Decisions cached now, and their estimated bytes; the bytes stay within `cacheBudget`. */
  readonly cacheEntries: number;
  readonly cacheBytes: number;
  readonly cacheBudget: number;
}
