// Runs on the bench orchestrator. The Kong 3.x declarative configs the bench feeds Sluice.
// Plain objects: written to a file for --config, or POSTed as JSON to the Admin API.

export const API_KEY = 'bench-key';

export type DeclarativeConfig = Record<string, unknown>;

/** One service to the fast upstream, one catch-all route, no plugins. */
export function plainConfig(upstreamUrl: string): DeclarativeConfig {
  return {
    _format_version: '3.0',
    services: [{ name: 'bench', url: upstreamUrl, routes: [{ name: 'bench', paths: ['/'] }] }],
  };
}

/**
 * key-auth + rate-limiting on the route; one consumer with one key. The limit is far above what
 * one machine can send, so every request is counted but answered 200: we measure the plugins'
 * cost, not 429s.
 */
export function pluginsConfig(upstreamUrl: string): DeclarativeConfig {
  return {
    _format_version: '3.0',
    services: [
      {
        name: 'bench',
        url: upstreamUrl,
        routes: [
          {
            name: 'bench',
            paths: ['/'],
            plugins: [
              { name: 'key-auth', config: { key_names: ['apikey'] } },
              { name: 'rate-limiting', config: { second: 100_000_000, policy: 'local' } },
            ],
          },
        ],
      },
    ],
    consumers: [{ username: 'bench', keyauth_credentials: [{ key: API_KEY }] }],
  };
}

/**
 * The service points at an upstream entity; its one target is the only thing the churn changes.
 * Both target addresses answer identically, so traffic sees no difference between versions.
 */
export function upstreamConfig(targetAddress: string): DeclarativeConfig {
  return {
    _format_version: '3.0',
    services: [{ name: 'bench', url: 'http://bench-upstream', routes: [{ name: 'bench', paths: ['/'] }] }],
    upstreams: [{ name: 'bench-upstream', targets: [{ target: targetAddress, weight: 100 }] }],
  };
}

/**
 * One service to `upstreamUrl` with a route `/<name>` per entry of `plugins`, carrying that
 * entry's plugins: the shape of the plugin scenarios (one route per case, same upstream).
 */
export function routePerCase(upstreamUrl: string, plugins: Record<string, unknown[]>): { _format_version: string; services: unknown[] } {
  const routes = Object.entries(plugins).map(([name, list]) => ({ name, paths: [`/${name}`], plugins: list }));
  return { _format_version: '3.0', services: [{ name: 'bench', url: upstreamUrl, routes }] };
}
