// Kong Admin API reads of services and routes (primary thread): lists with paging, one by id or
// name, a service's routes and plugins, a route's plugins.
import { kongShape } from './kong-shapes.ts';
import { notFound, type KongRoute } from './kong-router.ts';
import { page } from './paging.ts';

export const servicesRoutes: KongRoute[] = [
  { path: '/services', entity: 'services', get: ({ index, url, loadedAt }) => page(index.lists.services, url, (e) => kongShape('services', e, loadedAt)) },
  {
    path: '/services/{service}',
    entity: 'services',
    get: ({ index, params, loadedAt }) => {
      const s = index.find('services', params['service']!);
      return s === undefined ? notFound() : { status: 200, body: kongShape('services', s, loadedAt) };
    },
  },
  {
    path: '/services/{service}/routes',
    entity: 'routes',
    get: ({ index, params, url, loadedAt }) => {
      const s = index.find('services', params['service']!);
      return s === undefined ? notFound() : page(index.routesByService.get(s.id) ?? [], url, (e) => kongShape('routes', e, loadedAt));
    },
  },
  {
    path: '/services/{service}/plugins',
    entity: 'plugins',
    get: ({ index, params, url, loadedAt }) => {
      const s = index.find('services', params['service']!);
      return s === undefined ? notFound() : page(index.pluginsByService.get(s.id) ?? [], url, (e) => kongShape('plugins', e, loadedAt));
    },
  },
  { path: '/routes', entity: 'routes', get: ({ index, url, loadedAt }) => page(index.lists.routes, url, (e) => kongShape('routes', e, loadedAt)) },
  {
    path: '/routes/{route}',
    entity: 'routes',
    get: ({ index, params, loadedAt }) => {
      const r = index.find('routes', params['route']!);
      return r === undefined ? notFound() : { status: 200, body: kongShape('routes', r, loadedAt) };
    },
  },
  {
    path: '/routes/{route}/plugins',
    entity: 'plugins',
    get: ({ index, params, url, loadedAt }) => {
      const r = index.find('routes', params['route']!);
      return r === undefined ? notFound() : page(index.pluginsByRoute.get(r.id) ?? [], url, (e) => kongShape('plugins', e, loadedAt));
    },
  },
];
