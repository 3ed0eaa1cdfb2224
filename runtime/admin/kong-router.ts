// The Kong-compatible part of the Admin API (primary thread): path patterns with `{param}`
// segments, the read endpoints of each resource family (services-routes.ts, plugins-routes.ts,
// consumers-routes.ts, upstreams-routes.ts, tags-routes.ts, schemas-routes.ts), and Kong's DB-less
// answer to every write on an entity path: 405 "cannot create 'services' entities when not using a
// database". Reads are served from the current snapshot through its index (entity-index.ts).
import type { ConfigStore } from '../config-store.ts';
import { consumersRoutes } from './consumers-routes.ts';
import { indexOf, type EntityIndex } from './entity-index.ts';
import { pluginsRoutes } from './plugins-routes.ts';
import { schemasRoutes } from './schemas-routes.ts';
import { servicesRoutes } from './services-routes.ts';
import { tagsRoutes } from './tags-routes.ts';
import { upstreamsRoutes } from './upstreams-routes.ts';

export interface KongReply {
  status: number;
  body: unknown;
}

export interface KongRequest {
  params: Record<string, string>;
  url: URL;
  index: EntityIndex;
  /** When the primary accepted the served config, Unix seconds. */
  loadedAt: number;
}

export interface KongRoute {
  /** `/services/{service}/routes`; a `{name}` segment matches one path segment. */
  path: string;
  get: (req: KongRequest) => KongReply;
  /** Kong's DAO name, for the 405 message on writes (`services`, `keyauth_credentials`). */
  entity?: string;
}

export function notFound(): KongReply {
  return { status: 404, body: { message: 'Not found' } };
}

interface Compiled {
  route: KongRoute;
  re: RegExp;
  names: string[];
}

const ROUTES: Compiled[] = [...servicesRoutes, ...pluginsRoutes, ...consumersRoutes, ...upstreamsRoutes, ...tagsRoutes, ...schemasRoutes].map((route) => {
  const names: string[] = [];
  const source = route.path.replace(/\{([a-z_]+)\}/g, (_m, name: string) => {
    names.push(name);
    return '([^/]+)';
  });
  return { route, re: new RegExp(`^${source}$`), names };
});

/** Every Kong path this API serves, in Kong's `/endpoints` order. */
export const KONG_PATHS: readonly string[] = ROUTES.map((c) => c.route.path);

const WRITE_VERBS: Record<string, string> = { POST: 'create', PUT: 'create or update', PATCH: 'update', DELETE: 'remove' };

/** The answer for `method path`, or null when no Kong route has that path. */
export function kongRoute(method: string, path: string, url: URL, store: ConfigStore): KongReply | null {
  for (const c of ROUTES) {
    const m = c.re.exec(path);
    if (m === null) continue;
    if (method === 'GET' || method === 'HEAD') {
      const params: Record<string, string> = {};
      c.names.forEach((name, i) => (params[name] = decodeURIComponent(m[i + 1] as string)));
      return c.route.get({ params, url, index: indexOf(store.snapshot), loadedAt: store.loadedAt });
    }
    const verb = WRITE_VERBS[method];
    if (verb !== undefined && c.route.entity !== undefined) {
      return { status: 405, body: { message: `cannot ${verb} '${c.route.entity}' entities when not using a database`, name: 'operation unsupported', code: 12 } };
    }
    return { status: 405, body: { message: 'Method not allowed' } };
  }
  return null;
}
