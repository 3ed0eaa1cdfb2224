// Reference matcher (worker thread code, used by tests and bench/router.ts only): the same compiled and
// ranked entries as the indexed router, tried one by one in rank order. It is the oracle the index must
// agree with, and the baseline its benchmark is measured against. O(routes) per request; never serve with it.
import type { Route, Service } from '../../config/types.ts';
import { SluiceError } from '../../runtime/protocol/errors.ts';
import { compileRoutes, headersMatch, matchedHost, sniMatches, type Entry } from './compile.ts';
import { RequestHost } from './host.ts';
import { normalizePath } from './normalize.ts';
import { makeMatch } from './result.ts';
import type { Match, RequestHeaders } from './types.ts';

export class LinearMatcher {
  readonly #entries: readonly Entry[];
  readonly #listenPort: number;
  readonly #host = new RequestHost();

  readonly #tlsPort: number;

  constructor(routes: readonly Route[], services: Readonly<Record<string, Service>>, listenPort = 80, tlsPort = 443) {
    this.#entries = compileRoutes(routes, services);
    this.#listenPort = listenPort;
    this.#tlsPort = tlsPort;
  }

  match(method: string, hostHeader: string, rawPath: string, headers: RequestHeaders, sni: string | null = null): Match | null {
    const path = normalizePath(rawPath);
    if (path === null) throw new SluiceError('SLUICE_ERR_BAD_REQUEST', 'malformed request path');
    const host = this.#host;
    host.parse(hostHeader, sni === null ? this.#listenPort : this.#tlsPort);
    for (const entry of this.#entries) {
      if (entry.methods !== null && !entry.methods.has(method)) continue;
      let hostMatched: string | null = null;
      if (entry.hosts !== null) {
        hostMatched = matchedHost(entry.hosts, host.hostname, host.port);
        if (hostMatched === null) continue;
      }
      if (entry.headers !== null && !headersMatch(entry.headers, headers)) continue;
      if (entry.snis !== null && !sniMatches(entry.snis, sni)) continue;
      if (entry.paths === null) return makeMatch(entry, path, hostMatched, null, null);
      for (const condition of entry.paths) {
        if (condition.regex === null) {
          if (path.startsWith(condition.path)) return makeMatch(entry, path, hostMatched, condition, null);
          continue;
        }
        const exec = condition.regex.exec(path);
        if (exec !== null) return makeMatch(entry, path, hostMatched, condition, exec);
      }
    }
    return null;
  }
}
