// Runs on the bench orchestrator (and in-process benches). A large route table as a Kong 3.x
// declarative config, and the one-route change the route benches apply to it again and again.

import type { DeclarativeConfig } from './sluice-configs.ts';

const RESOURCES = ['users', 'orders', 'items', 'carts', 'invoices', 'search', 'auth', 'files'];

/**
 * `routes` routes over routes/10 services, all to `upstreamUrl`: half on exact hosts (one host per
 * 20 routes), 10% on wildcard hosts, 15% regex paths, 10% bound to methods, the rest plain prefixes;
 * plus `/bench`, a catch-all load can hit. `change` n rewrites route `changing` (path and host, new
 * names each time): successive values make one-route deltas whose removed names never come back.
 */
export function routeTableConfig(routes: number, change: number, upstreamUrl = 'http://127.0.0.1:9000'): DeclarativeConfig {
  const services = [];
  const hosts = Math.max(1, Math.floor(routes / 20));
  for (let s = 0; s < routes / 10; s++) {
    const serviceRoutes: Record<string, unknown>[] = [];
    for (let r = 0; r < 10; r++) {
      const i = s * 10 + r;
      const resource = RESOURCES[i % RESOURCES.length]!;
      const name = `r-${s}-${r}`;
      const roll = (i * 7919) % 100;
      if (i === 0) serviceRoutes.push({ name: 'bench', paths: ['/bench'] });
      else if (i === 1) serviceRoutes.push({ name: 'changing', paths: [`/churn/${change}`], hosts: [`c${change}.example.com`] });
      else if (roll < 50) serviceRoutes.push({ name, hosts: [`svc${i % hosts}.example.com`], paths: [`/api/v${1 + (i % 3)}/${resource}${i}`] });
      else if (roll < 60) serviceRoutes.push({ name, hosts: [`*.tenant${i % hosts}.example.com`], paths: [`/app${i}`] });
      else if (roll < 75) serviceRoutes.push({ name, paths: [`~/${resource}/${i}/(?<id>\\d+)(/.*)?$`], regex_priority: i % 3 });
      else if (roll < 85) serviceRoutes.push({ name, methods: ['GET', 'POST'], paths: [`/rpc/${resource}${i}`] });
      else serviceRoutes.push({ name, paths: [`/static/${resource}${i}`] });
    }
    services.push({ name: `svc-${s}`, url: upstreamUrl, routes: serviceRoutes });
  }
  return { _format_version: '3.0', services };
}
